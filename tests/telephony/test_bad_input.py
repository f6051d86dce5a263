"""Every input class that used to answer 500 (issue: "no input that can make us answer 500").

Each request is signed with the company's real key, so it passes authentication and reaches the
parser, the serializers and the services: a clear 4xx (or, for a live function, a spoken
answer) and nothing stored, on SQLite and on PostgreSQL alike.
"""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from booking.models import Appointment, BookingRequest, Customer
from telephony.models import Call, WebhookEvent
from tests import timeline
from tests.retell_fakes import (
    API_KEY,
    CALLER_NUMBER,
    CLINIC_NUMBER,
    as_body,
    function_call_payload,
    inbound_payload,
    signed_headers,
    webhook_payload,
)

pytestmark = pytest.mark.django_db
STORED = (WebhookEvent, Call, Customer, Appointment, BookingRequest)


def _counts() -> list[int]:
    return [model.objects.count() for model in STORED]


def _urls(company) -> dict[str, str]:
    key = company.webhook_key
    return {
        "webhook": f"/api/retell/webhook/{key}",
        "legacy": "/api/retell/webhook",
        "inbound": f"/api/retell/inbound/{key}",
        "functions": f"/api/retell/functions/{key}",
    }


@pytest.fixture
def post(client, clinic):
    def send(endpoint: str, body: bytes | dict, **extra):
        raw = body if isinstance(body, bytes) else as_body(body)
        return client.post(_urls(clinic)[endpoint], raw, **signed_headers(raw), **extra)

    return send


def _refused(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and isinstance(body["message"], str) and body["message"]
    return body


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# -- the body itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["webhook", "legacy", "inbound", "functions"])
def test_nesting_ten_thousand_deep_is_400(post, endpoint):
    before = _counts()
    body = (
        '{"event":"call_ended","call":{"call_id":"c1","to_number":"+493011111111","x":' + _deep(10_000) + "}}"
    )
    response = post(endpoint, body.encode())
    # The legacy URL cannot read a company out of such a body: the same 401 as a bad signature.
    _refused(response, 401 if endpoint == "legacy" else 400)
    assert _counts() == before


def test_nesting_just_beyond_the_limit_is_400_and_the_reason_says_why(post):
    payload = webhook_payload("call_ended")
    payload["call"]["metadata"] = json.loads(_deep(40))
    body = _refused(post("webhook", payload))
    assert "nests deeper" in body["message"] and body["error"] == "validation_error"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_are_refused_before_they_are_stored(post, constant):
    body = as_body(webhook_payload("call_ended")).replace(
        b'"duration_ms":', f'"duration_ms":{constant},"_":'.encode()
    )
    before = _counts()
    _refused(post("webhook", body))
    assert _counts() == before


@pytest.mark.parametrize(
    "text",
    ["Jana\x00Caller", "\ud800", "a\udfffb"],
    ids=["NUL", "lone high surrogate", "lone low surrogate"],
)
@pytest.mark.parametrize("endpoint", ["webhook", "functions"])
def test_nul_and_lone_surrogates_are_refused(post, endpoint, text):
    if endpoint == "webhook":
        payload = webhook_payload("call_analyzed")
        payload["call"]["collected_dynamic_variables"]["name"] = text
    else:
        payload = function_call_payload("book_appointment", {"name": text, "notes": "ok"})
    # json.dumps escapes surrogates as \ud800, exactly as a hostile sender would write them.
    raw = json.dumps(payload).encode()
    before = _counts()
    _refused(post(endpoint, raw))
    assert _counts() == before


def test_a_body_that_is_not_utf8_is_refused_and_stores_nothing(client, clinic):
    """Retell signs text, so such a body cannot carry its signature: the HMAC over the bytes is
    still refused (401), never decoded into a 500."""
    raw = b'{"event":"call_ended","call":{"call_id":"\xff"}}'
    ts = str(timeline.ms(timeline.now()))
    digest = hmac.new(API_KEY.encode(), raw + ts.encode(), hashlib.sha256).hexdigest()
    response = client.post(
        _urls(clinic)["webhook"],
        raw,
        content_type="application/json",
        HTTP_X_RETELL_SIGNATURE=f"v={ts},d={digest}",
    )
    _refused(response, 401)
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_anything_but_json_is_415(client, clinic, content_type):
    raw = as_body(webhook_payload("call_ended"))
    headers = signed_headers(raw)
    headers["content_type"] = content_type
    response = client.post(_urls(clinic)["webhook"], raw, **headers)
    assert _refused(response, 415)["error"] == "unsupported_media_type"
    assert not WebhookEvent.objects.exists()


# -- fields of a webhook -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_number", 493011111111),
        ("from_number", ["+4915112345678"]),
        ("from_number", "+49" + "1" * 10_000),
        ("call_id", "c" * 10_000),
        ("call_id", 12345),
        ("agent_id", "a" * 101),
        ("direction", "sideways"),
        ("start_timestamp", 10**20),
        ("start_timestamp", -5),
        ("end_timestamp", "1795767283260"),
        ("duration_ms", 2**40),
        ("retell_llm_dynamic_variables", {"name": {"nested": "object"}}),
        ("collected_dynamic_variables", ["not", "an", "object"]),
        ("call_analysis", "not an object"),
    ],
)
def test_a_webhook_field_of_the_wrong_type_or_size_is_400_and_stores_nothing(post, field, value):
    payload = webhook_payload("call_analyzed")
    payload["call"][field] = value
    before = _counts()
    body = _refused(post("webhook", payload))
    assert body["error"] == "validation_error" and f"call.{field}" in body["message"]
    assert _counts() == before


def test_an_analysis_sentiment_longer_than_its_column_is_400(post):
    payload = webhook_payload("call_analyzed")
    payload["call"]["call_analysis"]["user_sentiment"] = "Positive" * 10
    _refused(post("webhook", payload))
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("event", [None, 7, ["call_ended"], "e" * 65])
def test_an_event_name_that_is_no_name_is_400(post, event):
    payload = webhook_payload("call_ended")
    payload["event"] = event
    _refused(post("webhook", payload))


def test_unknown_event_names_are_acknowledged_and_never_become_metric_labels(post, client):
    for name in ("call_exploded", "x" * 60, "transcript_updated"):
        payload = webhook_payload("call_ended")
        payload["event"] = name
        assert post("webhook", payload).status_code == 204
    metrics = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"}).content.decode()
    assert "call_exploded" not in metrics and "x" * 60 not in metrics
    assert 'mcp_webhook_total{event="other",status="ignored"}' in metrics
    assert not WebhookEvent.objects.exists()


# -- the legacy URL, where the body names the company ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"call": "x"}',
        b'{"call": {"to_number": 493011111111}}',
        b'{"call": {"to_number": ["+493011111111"]}}',
        b'{"call": {"to_number": {"a": 1}, "direction": 5}}',
        ('{"call": {"to_number": "' + "9" * 10_000 + '"}}').encode(),
        ('{"call": ' + _deep(5_000) + "}").encode(),
    ],
    ids=[
        "empty",
        "not json",
        "array",
        "call str",
        "number int",
        "number list",
        "number obj",
        "10 KB",
        "deep",
    ],
)
def test_unsigned_junk_on_the_legacy_url_is_401_never_500(client, clinic, body):
    response = client.post("/api/retell/webhook", body, content_type="application/json")
    assert _refused(response, 401)["error"] == "authentication_failed"
    assert not WebhookEvent.objects.exists()


# -- inbound and function calls ------------------------------------------------------------------


@pytest.mark.parametrize(
    "inbound",
    [
        {"from_number": 4915112345678, "to_number": CLINIC_NUMBER},
        {"from_number": CALLER_NUMBER, "to_number": ["+493011111111"]},
        {"from_number": "+49" + "1" * 10_000, "to_number": CLINIC_NUMBER},
        {"from_number": CALLER_NUMBER},
        "not an object",
    ],
    ids=["int caller", "list number", "10 KB caller", "no to_number", "str"],
)
def test_an_inbound_call_with_numbers_that_are_not_strings_is_400(post, inbound):
    payload = inbound_payload(CALLER_NUMBER, CLINIC_NUMBER)
    payload["call_inbound"] = inbound
    _refused(post("inbound", payload))
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.update(name=5), "name"),
        (lambda p: p.update(name="no spaces allowed"), "name"),
        (lambda p: p["call"].update(call_id="c" * 10_000), "call.call_id"),
        (lambda p: p["call"].update(from_number=4915112345678), "call.from_number"),
        (lambda p: p.update(call=["not", "a", "call"]), "call"),
    ],
    ids=["name int", "name spaces", "10 KB call_id", "int caller", "call list"],
)
def test_a_function_call_envelope_that_is_wrong_is_400(post, mutate, field):
    payload = function_call_payload("find_my_appointments", {})
    mutate(payload)
    body = _refused(post("functions", payload))
    assert body["message"].startswith(f"Invalid request: {field}")


@pytest.mark.parametrize(
    "args",
    [{"name": {"first": "Jana"}}, {"notes": "n" * 2001}, {"date": ["tomorrow"]}, {"time": True}],
    ids=["object name", "2 KB notes", "list date", "bool time"],
)
def test_function_arguments_the_agent_got_wrong_are_answered_aloud(post, args):
    response = post("functions", function_call_payload("book_appointment", {"time": "11:00", **args}))
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is False and answer["data"]["error"] == "validation_error"
    assert answer["message"].startswith("Ich habe ") and "nicht verstanden" in answer["message"]
    assert not BookingRequest.objects.exists()


# -- dates a caller can say but nobody can book --------------------------------------------------


@pytest.mark.parametrize("when", ["0001-01-01", "1999-12-31", "yesterday"])
@pytest.mark.parametrize("function", ["check_availability", "find_alternatives", "book_appointment"])
def test_a_day_in_the_past_is_refused_aloud_and_nothing_is_asked_or_stored(post, calcom, function, when):
    day = timeline.today() - timedelta(days=1) if when == "yesterday" else None
    args = {"date": day.isoformat() if day else when, "time": "11:00", "name": "Jana Caller"}
    answer = post("functions", function_call_payload(function, args)).json()
    assert answer["success"] is False and answer["data"]["reason"] == "past"
    assert "liegt in der Vergangenheit" in answer["message"]
    assert not calcom.calls and not BookingRequest.objects.exists()


@pytest.mark.parametrize("when", ["9999-12-31", "far"])
@pytest.mark.parametrize("function", ["check_availability", "find_alternatives", "book_appointment"])
def test_a_day_beyond_the_horizon_is_refused_aloud(post, calcom, settings, function, when):
    settings.BOOKING_HORIZON_DAYS = 90
    day = timeline.days_ahead(91).isoformat() if when == "far" else when
    answer = post(
        "functions", function_call_payload(function, {"date": day, "time": "11:00", "name": "J"})
    ).json()
    assert answer["success"] is False and answer["data"]["reason"] == "too_far"
    last = timeline.days_ahead(90)
    assert answer["message"].startswith("So weit im Voraus kann ich leider noch nicht buchen")
    assert timeline.german_date(last) in answer["message"]
    assert not calcom.calls and not BookingRequest.objects.exists()


def test_an_event_types_booking_window_is_the_last_day_when_we_know_it(post, calcom, clinic):
    from booking import cache

    cache.event_types_set(clinic.pk, [{"id": 50, "booking_window": {"type": "calendarDays", "value": 14}}])
    answer = post(
        "functions",
        function_call_payload("check_availability", {"date": timeline.days_ahead(15).isoformat()}),
    ).json()
    assert answer["data"]["reason"] == "too_far"
    assert timeline.german_date(timeline.days_ahead(14)) in answer["message"]
    assert not calcom.calls


def test_a_past_day_is_refused_in_english_on_an_english_line(post, calcom, clinic):
    branch = clinic.branches.get()
    branch.language = "en"
    branch.save()
    args = {"date": (timeline.today() - timedelta(days=3)).isoformat()}
    answer = post("functions", function_call_payload("check_availability", args)).json()
    assert answer["message"].endswith("is in the past. Which day suits you?")


def test_a_time_earlier_today_is_refused_aloud(post, calcom, pinned_clock):
    pinned_clock.move_to(timeline.at(timeline.weekday_ahead(1), "15:00"))
    args = {"date": "heute", "time": "09:00", "name": "Jana Caller"}
    answer = post("functions", function_call_payload("book_appointment", args)).json()
    assert answer["data"]["reason"] == "time_past"
    assert answer["message"].startswith("Diese Uhrzeit ist heute schon vorbei")
    assert not calcom.calls and not BookingRequest.objects.exists()


@pytest.mark.parametrize(
    ("language", "args", "message"),
    [
        (
            "de",
            {"date": "irgendwann", "time": "11:00", "name": "Jana"},
            "Ich habe das Datum nicht verstanden. Können Sie es bitte noch einmal sagen?",
        ),
        (
            "de",
            {"date": "morgen", "time": "nachmittags", "name": "Jana"},
            "Ich habe die Uhrzeit nicht verstanden.",
        ),
        (
            "de",
            {"name": {"x": 1}, "email": ["a"], "time": "11:00"},
            "Ich habe die E-Mail-Adresse und den Namen",
        ),
        ("en", {"date": "someday", "time": "11:00", "name": "Jana"}, "I did not catch the date."),
        (
            "en",
            {"email": "not-an-address", "date": "tomorrow", "time": "11:00", "name": "J"},
            "the email address",
        ),
    ],
)
def test_what_was_not_understood_is_said_in_the_callers_language_only(
    post, clinic, calcom, language, args, message
):
    """No English service message inside a German sentence: the answer names the field."""
    branch = clinic.branches.get()
    branch.language = language
    branch.save()
    answer = post("functions", function_call_payload("book_appointment", args)).json()
    assert answer["success"] is False and answer["data"]["error"] == "validation_error"
    assert message in answer["message"]
    assert "Cannot" not in answer["message"] and "is not" not in answer["message"]
    assert not BookingRequest.objects.exists()
