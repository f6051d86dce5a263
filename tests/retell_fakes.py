"""Retell requests for tests, built from the contract fixtures in tests/fixtures/retell.

Shapes follow shared/contracts/retell-api.md: webhook envelope §1.2 and call object §1.3, split per
event as §1.4 says (`call_started` has no transcript, `call_ended` no `call_analysis`); custom
function body `{name, args, call}` §4.1; inbound webhook §4.2; signature header §2.

The call is company_a's (tests/conftest.py): the caller dials +493011111111 and books a
"Beratung" at 11:00 (Europe/Berlin) on `timeline.booking_day()`, the first Tuesday at
least two days after the pinned now, spoken in German.

`sign` is written here from the documented scheme, independently of
integrations/retell/signature.py, so tests of our verifier are not checked against themselves.
"""

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path

from tests import timeline

FIXTURES = Path(__file__).parent / "fixtures" / "retell"
BASE = "https://api.retellai.com"

API_KEY = "key_test_3f8a1c9e7b2d4f6a0c5e8b1d9f2a"  # the workspace key with the "webhook" badge
OTHER_API_KEY = "key_test_0d4b6e2a9c1f3e5b7a8c0d2e4f6b"
AGENT_ID = "agent_9f3c2a7d1e5b4c8a6d0e2f4b1a"
CALL_ID = "call_7c1e9a4b2d6f3a8e5b0c1d7f4a"
CALLER_NUMBER = "+4915112345678"
CLINIC_NUMBER = "+493011111111"  # company_a's number

WEBHOOK_EVENTS = ("call_started", "call_ended", "call_analyzed")
# Pass as an override to leave a field out, as Retell does with unset optional fields (§1.2).
OMIT = object()


def fixture(name: str) -> dict:
    """The contract fixture `name`, its {{date tokens}} rendered for the pinned now."""
    return timeline.render(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def sign(body: bytes, api_key: str, ts_ms: int | None = None) -> str:
    """The `x-retell-signature` value Retell sends for `body`: `v=<ms>,d=<lowercase hex>` (§2.1).

    HMAC-SHA256 keyed with the API key over the body text followed by the timestamp; `ts_ms`
    defaults to now.
    """
    if ts_ms is None:
        ts_ms = int(time.time() * 1000)
    message = body.decode("utf-8") + str(ts_ms)
    digest = hmac.new(api_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"v={ts_ms},d={digest}"


def as_body(payload: dict) -> bytes:
    """The raw body as Retell sends it: compact UTF-8 JSON, non-ASCII unescaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(body: bytes, api_key: str = API_KEY, ts_ms: int | None = None) -> dict[str, str]:
    """Keyword arguments for Django's test client: `client.post(url, body, **signed_headers(body))`."""
    return {"content_type": "application/json", "HTTP_X_RETELL_SIGNATURE": sign(body, api_key, ts_ms)}


def webhook_payload(event: str, **call_overrides) -> dict:
    """A webhook `{"event", "call"}` for call_started, call_ended or call_analyzed.

    `call_overrides` replace fields of the call (`OMIT` removes one). Any other event name (an
    unsubscribed `transcript_updated`, a chat event) gets the call_ended call under that name,
    which is enough for tests that it is acknowledged and ignored.
    """
    name = event if event in WEBHOOK_EVENTS else "call_ended"
    payload = fixture(f"webhook_{name}")
    payload["event"] = event
    _override(payload["call"], call_overrides)
    return payload


def function_call_payload(name: str, args: dict, **call) -> dict:
    """A custom-function request `{"name", "args", "call"}` (§4.1); the call is mid-conversation."""
    payload = fixture("function_call")
    payload["name"] = name
    payload["args"] = copy.deepcopy(args)
    _override(payload["call"], call)
    return payload


def inbound_payload(
    from_number: str,
    to_number: str,
    agent_id: str | None = AGENT_ID,
    agent_version: int | None = None,
) -> dict:
    """An inbound-call webhook (§4.2). `agent_id`/`agent_version` are sent only when the number
    has an inbound agent (pass None for a number without one)."""
    payload = fixture("inbound_call")
    inbound = payload["call_inbound"]
    inbound.update({"from_number": from_number, "to_number": to_number})
    inbound.pop("agent_version")
    if agent_id is None:
        inbound.pop("agent_id")
    else:
        inbound["agent_id"] = agent_id
        if agent_version is not None:
            inbound["agent_version"] = agent_version
    return payload


def _override(call: dict, overrides: dict) -> None:
    for key, value in overrides.items():
        if value is OMIT:
            call.pop(key, None)
        else:
            call[key] = copy.deepcopy(value)
