"""Verifying `x-retell-signature` exactly as Retell's SDK does.

Expected outcomes come from shared/contracts/retell-api.md: the header format and key (§2.1), the
SDK's verify (§2.2: `re.fullmatch(r"v=(\\d+),d=([0-9a-f]{64})")`, reject when
`abs(now - v) > 5 min`, `compare_digest`), its verified behaviour (§2.3: raw UTF-8 body passes,
re-serialised JSON fails, uppercase hex fails) and pitfalls §8.1 and §8.3 (milliseconds, 64
lowercase hex). Bodies are the webhook fixtures in tests/fixtures/retell: webhook_call_*.json
follow the envelope §1.2, the call object §1.3 and the per-event split §1.4; function_call.json
the custom-function body §4.1; inbound_call.json the inbound webhook §4.2. The last tests check
that tests/retell_fakes.py builds them that way.
"""

import hashlib
import hmac
import json
import logging

import pytest

from integrations.retell.signature import (
    SIGNATURE_HEADER,
    TOLERANCE_MS,
    InvalidSignature,
    sign,
    signature_is_valid,
    verify,
)
from tests import retell_fakes, timeline
from tests.retell_fakes import API_KEY, OTHER_API_KEY, as_body, webhook_payload

FIVE_MINUTES_MS = 5 * 60 * 1000


def pinned_ms() -> int:
    """The verifier's now: the pinned now in Unix milliseconds, minutes after the fixture call ended."""
    return timeline.ms(timeline.now())


def webhook_body() -> bytes:
    """The call_analyzed webhook as Retell sends it, its dates rendered for the pinned now."""
    return as_body(webhook_payload("call_analyzed"))


def check(
    body: bytes | None = None, header: str | None = None, *, api_key: str = API_KEY, now_ms: int | None = None
):
    body = webhook_body() if body is None else body
    now_ms = pinned_ms() if now_ms is None else now_ms
    return signature_is_valid(body=body, header=header, api_key=api_key, now_ms=now_ms)


def reason(
    body: bytes | None = None, header: str | None = None, *, api_key: str = API_KEY, now_ms: int | None = None
):
    body = webhook_body() if body is None else body
    now_ms = pinned_ms() if now_ms is None else now_ms
    with pytest.raises(InvalidSignature) as caught:
        verify(body=body, header=header, api_key=api_key, now_ms=now_ms)
    return caught.value.reason


def header_at(ts_ms: int, body: bytes | None = None, api_key: str = API_KEY) -> str:
    return retell_fakes.sign(webhook_body() if body is None else body, api_key, ts_ms)


def test_header_name_is_retells():
    assert SIGNATURE_HEADER == "x-retell-signature"
    assert TOLERANCE_MS == FIVE_MINUTES_MS


def test_a_signature_made_now_with_the_webhook_key_is_valid():
    header = header_at(pinned_ms())
    assert check(header=header)
    verify(body=webhook_body(), header=header, api_key=API_KEY, now_ms=pinned_ms())  # does not raise


def test_known_answer_matches_the_documented_hmac():
    # HMAC-SHA256(key=api_key, msg=body + str(v)), lowercase hex (§2.1), computed here by hand.
    body, ts_ms = b'{"event":"call_started"}', pinned_ms()
    message = b'{"event":"call_started"}' + str(ts_ms).encode()
    expected = hmac.new(b"key_abc", message, hashlib.sha256).hexdigest()
    assert sign(body, "key_abc", ts_ms) == f"v={ts_ms},d={expected}"
    assert sign(body, "key_abc", ts_ms) == retell_fakes.sign(body, "key_abc", ts_ms)


def test_our_sign_verifies_with_our_verify():
    assert check(header=sign(webhook_body(), API_KEY, pinned_ms()))


def test_default_now_is_the_clock():
    assert signature_is_valid(
        body=webhook_body(), header=retell_fakes.sign(webhook_body(), API_KEY), api_key=API_KEY
    )


def test_wrong_key_is_a_mismatch():
    header = header_at(pinned_ms(), api_key=OTHER_API_KEY)
    assert not check(header=header)
    assert reason(header=header) == "mismatch"


def test_another_workspaces_key_does_not_verify_our_signature():
    assert not check(header=header_at(pinned_ms()), api_key=OTHER_API_KEY)


def test_a_key_differing_by_case_or_whitespace_is_another_key():
    header = header_at(pinned_ms())
    assert not check(header=header, api_key=API_KEY.upper())
    assert not check(header=header, api_key=API_KEY + " ")


def test_body_changed_by_one_byte_is_a_mismatch():
    header, body = header_at(pinned_ms()), webhook_body()
    changed = body.replace(b'"call_successful":true', b'"call_successful":trux')
    assert len(changed) == len(body) and changed != body
    assert reason(changed, header) == "mismatch"
    assert reason(body + b" ", header) == "mismatch"


def test_the_timestamp_is_part_of_the_signed_message():
    digest = header_at(pinned_ms()).split(",d=")[1]
    assert reason(header=f"v={pinned_ms() + 1},d={digest}") == "mismatch"


def test_uppercase_hex_is_rejected_like_the_sdk():
    # §2.3 "uppercase hex ✗"; §8.3 "exactly 64 lowercase hex chars" (SDK >= 5.57.2).
    v, digest = header_at(pinned_ms()).split(",d=")
    assert not check(header=f"{v},d={digest.upper()}")
    assert reason(header=f"{v},d={digest.upper()}") == "malformed"


def test_timestamp_in_seconds_is_rejected_as_stale():
    # §8.3: v is milliseconds. Even correctly signed, a seconds value lies in January 1970.
    ts_seconds = pinned_ms() // 1000
    header = header_at(ts_seconds)
    assert not check(header=header)
    assert reason(header=header) == "stale"


@pytest.mark.parametrize("offset_ms", [FIVE_MINUTES_MS, -FIVE_MINUTES_MS, 0, 1, -1])
def test_the_window_is_inclusive_at_five_minutes_both_ways(offset_ms):
    # The SDK rejects only when abs(now - v) > FIVE_MINUTES (§2.2).
    assert check(header=header_at(pinned_ms() + offset_ms))


@pytest.mark.parametrize("offset_ms", [FIVE_MINUTES_MS + 1, -FIVE_MINUTES_MS - 1, 3_600_000, -3_600_000])
def test_just_beyond_five_minutes_either_way_is_stale(offset_ms):
    header = header_at(pinned_ms() + offset_ms)
    assert not check(header=header)
    assert reason(header=header) == "stale"


def test_a_custom_tolerance_is_honoured():
    header = header_at(pinned_ms() - 60_001)
    assert not signature_is_valid(
        body=webhook_body(), header=header, api_key=API_KEY, now_ms=pinned_ms(), tolerance_ms=60_000
    )
    assert signature_is_valid(
        body=webhook_body(), header=header, api_key=API_KEY, now_ms=pinned_ms(), tolerance_ms=60_001
    )


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header(header):
    assert not check(header=header)
    assert reason(header=header) == "missing"


def _valid_parts() -> tuple[str, str]:
    v, d = header_at(pinned_ms()).split(",")
    return v, d


GARBLED = {
    "blank": " ",
    "empty parts": "v=,d=",
    "digest only": "d=" + "a" * 64,
    "short digest": "v={ts},d=abc",
    "timestamp only": "v={ts}",
    "letters for timestamp": "v=abc,d={digest}",
    "negative timestamp": "v=-{ts},d={digest}",
    "decimal timestamp": "v={ts}.0,d={digest}",
    "reversed order": "d={digest},v={ts}",
    "space after comma": "v={ts}, d={digest}",
    "spaces around =": "v = {ts},d = {digest}",
    "leading space": " v={ts},d={digest}",
    "trailing space": "v={ts},d={digest} ",
    "trailing newline": "v={ts},d={digest}\n",
    "semicolon": "v={ts};d={digest}",
    "extra part": "v={ts},d={digest},x=1",
    "two digests": "v={ts},d={digest},d={digest}",
    "uppercase keys": "V={ts},D={digest}",
    "65 hex chars": "v={ts},d={digest}0",
    "63 hex chars": "v={ts},d={digest_63}",
    "non-hex digest": "v={ts},d={non_hex}",
    "prefixed sha256=": "v={ts},d=sha256={digest}",
    "arabic-indic digits": "v=\u0661\u0662\u0663,d={digest}",
    "huge timestamp": "v={huge},d={digest}",
}


@pytest.mark.parametrize("template", GARBLED.values(), ids=GARBLED.keys())
def test_garbled_headers_are_malformed(template):
    digest = header_at(pinned_ms()).split(",d=")[1]
    header = template.format(
        ts=pinned_ms(),
        digest=digest,
        digest_63=digest[:63],
        non_hex="g" + digest[1:],
        huge="9" * 5000,
    )
    assert not check(header=header)
    assert reason(header=header) == "malformed"


def test_leading_zeros_in_the_timestamp_are_read_as_the_number_like_the_sdk():
    # The SDK hashes str(int(v)), so "v=0<ms>" verifies against the digest for "<ms>".
    digest = header_at(pinned_ms()).split(",d=")[1]
    assert check(header=f"v=0{pinned_ms()},d={digest}")


def test_a_non_ascii_body_verifies_on_its_raw_utf8_bytes():
    assert "Grüß Gott, ich möchte einen Termin am Dienstag um 11 Uhr".encode() in webhook_body()
    assert check(header=header_at(pinned_ms()))


def test_re_serialised_json_does_not_verify():
    # §2.3: json.dumps() escapes non-ASCII and adds spaces, so its bytes differ from what was signed.
    header, body = header_at(pinned_ms()), webhook_body()
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    assert reason(reserialised, header) == "mismatch"


def test_invalid_utf8_body_is_invalid_without_an_exception():
    body = b'{"event":"call_ended","transcript":"Gr\xfc\xdf Gott"}'  # Latin-1, not UTF-8
    # A digest over the undecodable bytes themselves: still not something Retell could have signed.
    ts = str(pinned_ms()).encode()
    digest = hmac.new(API_KEY.encode(), body + ts, hashlib.sha256).hexdigest()
    header = f"v={pinned_ms()},d={digest}"
    assert not check(body, header)
    assert reason(body, header) == "mismatch"


def test_an_empty_key_verifies_nothing():
    # HMAC with an empty key is forgeable by anyone: a missing configuration must not pass.
    header = header_at(pinned_ms(), api_key="")
    assert not check(header=header, api_key="")
    assert reason(header=header, api_key="") == "no_key"


def test_an_empty_body_can_be_signed_and_verified():
    # GET/DELETE custom functions carry no body (§4.1, [secondary]): the message is just the timestamp.
    assert check(b"", header_at(pinned_ms(), body=b""))


def test_the_reason_is_the_exception_text_and_nothing_secret(caplog):
    header = header_at(pinned_ms(), api_key=OTHER_API_KEY)
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidSignature) as caught:
        verify(body=webhook_body(), header=header, api_key=API_KEY, now_ms=pinned_ms())
    assert str(caught.value) == "mismatch"
    assert API_KEY not in repr(caught.value) and header not in repr(caught.value)
    assert caplog.text == ""  # the module never logs; callers log the reason


@pytest.mark.parametrize(
    "make_ts",
    [lambda: -1, lambda: 1.5, lambda: True, lambda: str(pinned_ms())],
    ids=["negative", "fraction", "bool", "digits-as-text"],
)
def test_sign_refuses_a_timestamp_that_is_not_whole_milliseconds(make_ts):
    with pytest.raises(ValueError):
        sign(webhook_body(), API_KEY, make_ts())


# -- the fakes other tests build requests with (tests/retell_fakes.py) ---------------------------


def test_fake_signatures_have_the_sdk_header_shape():
    header = retell_fakes.sign(webhook_body(), API_KEY, pinned_ms())
    assert header.startswith(f"v={pinned_ms()},d=") and len(header.split(",d=")[1]) == 64
    assert retell_fakes.signed_headers(webhook_body(), ts_ms=pinned_ms())["HTTP_X_RETELL_SIGNATURE"] == header


def test_fake_webhooks_carry_per_event_fields_as_the_contract_splits_them():
    # §1.4: call_started has no transcript; call_analysis arrives only with call_analyzed.
    started, ended, analyzed = (webhook_payload(e)["call"] for e in retell_fakes.WEBHOOK_EVENTS)
    assert "transcript" not in started and "collected_dynamic_variables" not in started
    assert "call_analysis" not in ended and "Grüß Gott" in ended["transcript"]
    assert analyzed["call_analysis"]["custom_analysis_data"]["booking_confirmed"] == "true"
    assert all(isinstance(v, str) for v in analyzed["collected_dynamic_variables"].values())


def test_fake_webhook_overrides_replace_or_omit_call_fields():
    payload = webhook_payload("call_ended", to_number="+493022222222", metadata=retell_fakes.OMIT)
    assert payload["event"] == "call_ended"
    assert payload["call"]["to_number"] == "+493022222222" and "metadata" not in payload["call"]
    assert webhook_payload("transcript_updated")["event"] == "transcript_updated"


def test_fake_function_call_and_inbound_payloads_follow_the_contract():
    datum = timeline.booking_day().isoformat()
    body = retell_fakes.function_call_payload("check_availability", {"datum": datum}, call_id="call_x")
    assert set(body) == {"name", "args", "call"}  # §4.1
    assert (body["name"], body["args"], body["call"]["call_id"]) == (
        "check_availability",
        {"datum": datum},
        "call_x",
    )
    inbound = retell_fakes.inbound_payload("+4915112345678", "+493011111111")
    assert inbound == {
        "event": "call_inbound",
        "call_inbound": {
            "agent_id": retell_fakes.AGENT_ID,
            "from_number": "+4915112345678",
            "to_number": "+493011111111",
        },
    }
    no_agent = retell_fakes.inbound_payload("+4915112345678", "+493011111111", agent_id=None)
    assert set(no_agent["call_inbound"]) == {"from_number", "to_number"}  # §4.2
