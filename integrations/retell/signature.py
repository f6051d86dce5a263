"""Retell's `x-retell-signature`: verify webhooks and custom-function calls, sign test requests.

Retell signs every webhook, custom-function request and inbound-call webhook with the workspace's
API key that carries the "webhook" badge; there is no separate webhook secret
(https://docs.retellai.com/features/secure-webhook, shared/contracts/retell-api.md §2):

    x-retell-signature: v=<unix ms>,d=<hex HMAC-SHA256(key=api_key, msg=raw_body_text + str(ms))>

We mirror the official SDK's `retell.lib.verify` (retell-python-sdk 5.60.0,
src/retell/lib/webhook_auth.py, quoted in contract §2.2) rule for rule, so a request passes here
exactly when it would pass there:

- The whole header must match `v=(\\d+),d=([0-9a-f]{64})` (`re.fullmatch`, since SDK 5.57.2). No
  spaces, no other order, no extra parts, and **lowercase hex only**: contract §2.3 "Verified
  behaviour" lists uppercase hex as rejected, and §8.3 repeats "exactly 64 lowercase hex chars".
- `v` is milliseconds. A timestamp in seconds reads as a moment in January 1970 and is rejected
  as stale, like the SDK does (contract §8.3: "the timestamp is in milliseconds, not seconds").
- The window is inclusive: the SDK rejects only when `abs(now - v) > 5 min`, so a delivery exactly
  5 minutes old (or 5 minutes in the future) passes, one millisecond more does not.
- The message is the body *text* plus `str(int(v))`: a `v` with leading zeros is hashed as the
  number, as the SDK does. The body is the raw bytes decoded as UTF-8 (the contract's Django
  recipe), never re-serialised JSON, so non-ASCII transcripts verify (contract §2.3, §8.1).
- Digests are compared with `hmac.compare_digest` (constant time).

Callers log `InvalidSignature.reason`, never the key, the header or the body (contract §8.12).
"""

import hashlib
import hmac
import re

from core import clock

SIGNATURE_HEADER = "x-retell-signature"
TOLERANCE_MS = 5 * 60 * 1000  # contract §2.1: "within 5 minutes of the current time"

# The SDK's pattern, except that `v` is capped at 32 ASCII digits: the SDK's `\d` also matches
# other scripts' digits and an absurdly long `v` makes int() raise; either would be stale anyway.
_HEADER_PATTERN = re.compile(r"v=([0-9]{1,32}),d=([0-9a-f]{64})")

MISSING = "missing"  # no header, or an empty one
MALFORMED = "malformed"  # not `v=<digits>,d=<64 lowercase hex>`
STALE = "stale"  # outside the ±5 minute window (or a timestamp in seconds)
MISMATCH = "mismatch"  # wrong key, changed body, or a body that is not UTF-8
NO_KEY = "no_key"  # we have no key to check with (a configuration problem, not the sender's)


class InvalidSignature(Exception):
    """The request is not provably from Retell. `reason` is one of the codes above, safe to log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify(
    *,
    body: bytes,
    header: str | None,
    api_key: str,
    now_ms: int | None = None,
    tolerance_ms: int = TOLERANCE_MS,
) -> None:
    """Return if `header` signs `body` with `api_key` within the window; else raise InvalidSignature."""
    if not api_key:
        # An empty HMAC key is public: anyone could sign with it.
        raise InvalidSignature(NO_KEY)
    if not header:
        raise InvalidSignature(MISSING)
    match = _HEADER_PATTERN.fullmatch(header)
    if match is None:
        raise InvalidSignature(MALFORMED)
    signed_at_ms, digest = int(match[1]), match[2]
    now_ms = _now_ms() if now_ms is None else now_ms
    if abs(now_ms - signed_at_ms) > tolerance_ms:
        raise InvalidSignature(STALE)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Retell signs text (the SDK's sign/verify take str), so bytes that are not UTF-8 were
        # never signed by it.
        raise InvalidSignature(MISMATCH) from None
    if not hmac.compare_digest(_digest(text, api_key, signed_at_ms), digest):
        raise InvalidSignature(MISMATCH)


def signature_is_valid(
    *,
    body: bytes,
    header: str | None,
    api_key: str,
    now_ms: int | None = None,
    tolerance_ms: int = TOLERANCE_MS,
) -> bool:
    """True when `header` is Retell's signature of `body` with `api_key`, made within the window."""
    try:
        verify(body=body, header=header, api_key=api_key, now_ms=now_ms, tolerance_ms=tolerance_ms)
    except InvalidSignature:
        return False
    return True


def sign(body: bytes, api_key: str, ts_ms: int) -> str:
    """The header value Retell would send for `body` at `ts_ms` (for simulate_call and tests).

    Signed with HMAC-SHA256 as the docs describe and `verify` checks. (The SDK's own `sign`
    helper is not used: in the copy we read it hashes `sha256(key + message)` without HMAC, which
    its own `verify` rejects.) Raises UnicodeDecodeError for a body that is not UTF-8.
    """
    if isinstance(ts_ms, bool) or not isinstance(ts_ms, int) or ts_ms < 0:
        raise ValueError("ts_ms must be a non-negative integer (Unix time in milliseconds)")
    return f"v={ts_ms},d={_digest(body.decode('utf-8'), api_key, ts_ms)}"


def _digest(text: str, api_key: str, ts_ms: int) -> str:
    message = (text + str(ts_ms)).encode("utf-8")
    return hmac.new(api_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _now_ms() -> int:
    return clock.now_ms()
