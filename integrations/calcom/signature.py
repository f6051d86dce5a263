"""Cal.com's webhook signature: `X-Cal-Signature-256` = hex HMAC-SHA256 of the raw body with the
subscription's secret (https://cal.com/docs/developing/guides/automation/webhooks; contract
shared/contracts/calcom-api.md §5). There is no timestamp, so a captured delivery could be sent
again: the inbox takes each delivery once. A subscription without a secret sends the literal
`no-secret-provided`, which proves nothing and is refused.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Cal-Signature-256"
NO_SECRET = "no-secret-provided"  # noqa: S105 (the header value of an unsigned delivery)


class InvalidSignature(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify(*, body: bytes, header: str | None, secret: str) -> None:
    """Raise InvalidSignature unless `header` signs `body` with `secret` (compared in constant time)."""
    if not secret:
        raise InvalidSignature("no secret is configured")
    if not header:
        raise InvalidSignature("missing signature")
    given = header.strip()
    if given == NO_SECRET:
        raise InvalidSignature("the subscription sends no secret")
    expected = sign(body, secret)
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise InvalidSignature("signature mismatch")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
