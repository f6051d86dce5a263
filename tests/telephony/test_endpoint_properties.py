"""Properties of the four Retell endpoints under arbitrary signed bodies (hypothesis).

Whatever a correctly signed request carries, each endpoint answers without a 5xx, in its own
shape (the error envelope of askpro.api for every 4xx), and stores nothing unless the request
was valid: a 4xx changes no row; a 2xx webhook stores at most the one delivery, its body exactly
as posted; inbound and function calls never touch the webhook inbox.

Bodies mix (a) arbitrary JSON values, (b) the contract fixtures with fields replaced, inserted
or removed (wrong types, 10 KB strings, NUL, lone surrogates, huge and negative numbers, NaN,
objects where text belongs, unknown events, numbers as phone numbers), and (c) bytes that are
not JSON or not UTF-8, deep nesting and numbers no parser should take. Each example runs in a
savepoint that is rolled back, with an empty cache, so examples are independent and a failure
replays; Cal.com is never reachable (responses with nothing registered), so any call to it is
a connection error the services answer as "calendar unavailable".
"""

import hashlib
import hmac
import json
import string
from dataclasses import dataclass

import pytest
import responses
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from booking.models import Appointment, BookingRequest, Customer
from integrations.cache import clear_cached_data
from telephony.events import dialed_number
from telephony.live import ARG_ALIASES, HANDLERS
from telephony.models import Call, WebhookEvent
from telephony.serializers import CALL_ID_MAX, DURATION_MS_MAX, MS_MAX, NUMBER_MAX
from tests import timeline
from tests.retell_fakes import (
    API_KEY,
    CALLER_NUMBER,
    CLINIC_NUMBER,
    OTHER_API_KEY,
    WEBHOOK_EVENTS,
    fixture,
    function_call_payload,
    inbound_payload,
    signed_headers,
    webhook_payload,
)

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,  # derandomized: the same examples every run, nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STORED_MODELS = (WebhookEvent, Call, Customer, Appointment, BookingRequest)
ENVELOPE_KEYS = {"success", "error", "message", "details"}
SALON_NUMBER = "+493022222222"

# -- values ------------------------------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",
        "\udfff",
        "x\ud83dy",  # half a surrogate pair
        "😀",
        "Grüß Gott",
        "\u202e\u200b",
        "null",
        "{}",
        "<script>",
        "'; DROP TABLE telephony_call; --",
        "%s%s%n",
        "\\u0000",
    ]
)
# Long strings are built, not drawn character by character (hypothesis' buffer is small).
LONG_TEXT = st.builds(lambda char, count: char * count, st.sampled_from("xü😀\x00"), st.integers(60, 12_000))
TEXT = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    NASTY_TEXT,
    LONG_TEXT,
)
INTEGERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from(
        [
            0,
            -1,
            1,
            2**31 - 1,
            2**31,
            2**63 - 1,
            2**63,
            -(2**63) - 1,
            10**100,
            MS_MAX,
            MS_MAX + 1,
            DURATION_MS_MAX,
            DURATION_MS_MAX + 1,
            -MS_MAX,
        ]
    ),
)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324, 1.5, 11.0]),
)
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, FLOATS, TEXT)
KEYS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["event", "call", "call_id", "name", "args", "call_inbound", "to_number", "\x00", "\ud800"]
    ),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)

# What the fields we read should hold, and what they should not.
EVENT_NAMES = st.sampled_from(
    [
        *WEBHOOK_EVENTS,
        "transcript_updated",
        "chat_ended",
        "call_inbound",
        "CALL_ENDED",
        "call_ended ",
        "",
        "e" * 64,
        "e" * 65,
    ]
)
NUMBERS = st.sampled_from(
    [
        CLINIC_NUMBER,
        SALON_NUMBER,
        CALLER_NUMBER,
        "493011111111",
        "+49 30 11111111",
        "030 11111111",
        "+",
        "",
        "+" + "4" * (NUMBER_MAX - 1),
        "+" + "4" * NUMBER_MAX,
        "+49301111111\x00",
        "anonymous",
    ]
)
CALL_IDS = st.one_of(
    st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=CALL_ID_MAX),
    st.sampled_from(["", " ", "c" * CALL_ID_MAX, "c" * (CALL_ID_MAX + 1), "call_ü😀", "call\x00"]),
)
DAYS = st.sampled_from(
    [
        "heute",
        "morgen",
        "übermorgen",
        "Dienstag",
        "2027-02-30",
        "0001-01-01",
        "9999-12-31",
        "31.12.99",
        "00.00.0000",
        "next tuesday",
        "1" * 40,
        "-1",
    ]
)
TIMES = st.sampled_from(["11:00", "11", "11.30", "25:00", "24:00", "-1:00", "halb elf", "11 uhr 30", "99:99"])
DIRECTIONS = st.sampled_from(["inbound", "outbound", "OUTBOUND", "", "sideways"])
FUNCTION_NAMES = st.one_of(
    st.sampled_from([*HANDLERS, "unknown_tool", "book-appointment", "bad name", "x" * 64, "x" * 65, ""]),
    st.text(max_size=10),
)
VALUES = st.one_of(
    JSON_VALUES,
    TEXT,
    INTEGERS,
    FLOATS,
    EVENT_NAMES,
    NUMBERS,
    CALL_IDS,
    DAYS,
    TIMES,
    DIRECTIONS,
    FUNCTION_NAMES,
    st.dictionaries(KEYS, SCALARS, max_size=3),  # an object where text belongs
    st.lists(SCALARS, max_size=3),
)

# -- near-valid payloads -----------------------------------------------------------------------

CALL_FIELDS = [
    *("call_id", "agent_id", "agent_version", "call_type", "call_status", "direction"),
    *("from_number", "to_number", "transcript", "transcript_object", "metadata"),
    *("start_timestamp", "end_timestamp", "duration_ms", "disconnection_reason"),
    *("retell_llm_dynamic_variables", "collected_dynamic_variables", "call_analysis"),
]
CALL_PATHS = [
    ("call",),
    *[("call", field) for field in CALL_FIELDS],
    ("call", "retell_llm_dynamic_variables", "heute"),
    ("call", "collected_dynamic_variables", "booking_confirmed"),
    ("call", "collected_dynamic_variables", "datum"),
    ("call", "call_analysis", "call_summary"),
    ("call", "call_analysis", "user_sentiment"),
    ("call", "call_analysis", "call_successful"),
    ("call", "call_analysis", "in_voicemail"),
    ("call", "call_analysis", "custom_analysis_data"),
    ("call", "call_analysis", "custom_analysis_data", "datum"),
]
WEBHOOK_PATHS = [("event",), *CALL_PATHS]
FUNCTION_PATHS = [
    ("name",),
    ("args",),
    *[("args", alias) for aliases in ARG_ALIASES.values() for alias in aliases],
    *CALL_PATHS,
]
INBOUND_PATHS = [
    ("event",),
    ("call_inbound",),
    *[
        ("call_inbound", field)
        for field in ("from_number", "to_number", "agent_id", "agent_version", "direction")
    ],
]


@dataclass(frozen=True)
class Body:
    """How to build one request body; built at run time, when the clock is pinned."""

    kind: str  # "value": a JSON value; "payload": a fixture with `edits`; "raw": bytes
    value: object = None
    base: str = ""
    edits: tuple = ()
    ascii: bool = True  # JSON with \\u escapes (keeps lone surrogates); else raw UTF-8 where it can
    wrap: str = ""  # for "raw" bodies derived from a payload: what is done to its bytes
    raw: bytes = b""

    def render(self) -> bytes:
        if self.kind == "raw" and not self.base:
            return self.raw
        if self.kind == "value":
            return _dumps(self.value, self.ascii)
        payload = _base_payload(self.base)
        for path, value in self.edits:
            _edit(payload, path, value)
        text = _dumps(payload, self.ascii)
        return _wrapped(text, self.wrap, self.raw) if self.kind == "raw" else text


DELETE = "<delete>"  # an edit that removes the field


def _dumps(value, ascii_only: bool) -> bytes:
    if not ascii_only:
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode(
                "utf-8"
            )
        except UnicodeEncodeError:  # a lone surrogate: only its \\u escape can be sent
            pass
    return json.dumps(value, allow_nan=True).encode("ascii")


def _base_payload(name: str) -> dict:
    if name in WEBHOOK_EVENTS:
        return webhook_payload(name)
    if name == "inbound":
        return inbound_payload(CALLER_NUMBER, CLINIC_NUMBER, agent_version=3)
    if name == "inbound_without_agent":
        return inbound_payload("", CLINIC_NUMBER, agent_id=None)
    day = timeline.booking_day().isoformat()
    args = {
        "check_availability": {"datum": day, "tageszeit": "morning"},
        "find_alternatives": {"datum": day, "uhrzeit": "11:00"},
        "book_appointment": fixture("function_call")["args"],
        "find_my_appointments": {},
        "reschedule_appointment": {"termin_ref": "AB12CD", "neues_datum": day, "neue_uhrzeit": "14:00"},
        "cancel_appointment": {"termin_ref": "AB12CD", "grund": "krank"},
    }
    return function_call_payload(name, args[name])


def _edit(payload: dict, path: tuple, value) -> None:
    """Set (or with DELETE remove) payload[path]; a path through a non-object is left alone."""
    node = payload
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    if value == DELETE:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _wrapped(text: bytes, how: str, extra: bytes) -> bytes:
    if how == "truncate":
        return text[: len(extra)]  # `extra` only measures the cut
    if how == "prefix":
        return extra + text
    if how == "suffix":
        return text + extra
    if how == "latin-1":  # the same JSON in another encoding: not UTF-8 as soon as it has an umlaut
        return text.decode("utf-8").encode("latin-1", "replace")
    if how == "nest":  # a field N objects deep in front of the real ones (the parser's depth limit)
        depth = len(extra)
        return b'{"deep":' + b'{"a":' * depth + b"1" + b"}" * depth + b"," + text[1:]
    raise AssertionError(how)


def _weighted(common, rare, one_in: int):
    """`rare` about once in `one_in` draws, else `common` (one_of would weigh them equally)."""
    return st.tuples(st.integers(1, one_in), common, rare).map(lambda t: t[2] if t[0] == 1 else t[1])


def payloads(bases: list[str], paths: list[tuple]) -> st.SearchStrategy[Body]:
    """A fixture payload with up to four fields replaced, inserted or removed."""
    unknown_field = st.one_of(
        st.tuples(st.sampled_from(["call", "args", "call_inbound"]), KEYS),
        st.tuples(KEYS),
    )
    edit = st.tuples(
        _weighted(st.sampled_from(paths), unknown_field, 4),
        _weighted(VALUES, st.just(DELETE), 5),
    )
    return st.builds(
        Body,
        kind=st.just("payload"),
        base=st.sampled_from(bases),
        edits=st.lists(edit, max_size=4).map(tuple),
        ascii=st.booleans(),
    )


def mangled(bases: list[str]) -> st.SearchStrategy[Body]:
    """A real payload whose bytes are no longer a valid body (or barely are)."""
    return st.one_of(
        st.builds(
            Body,
            kind=st.just("raw"),
            base=st.sampled_from(bases),
            wrap=st.just("truncate"),
            raw=st.binary(min_size=0, max_size=300),
        ),
        st.builds(
            Body,
            kind=st.just("raw"),
            base=st.sampled_from(bases),
            wrap=st.sampled_from(["prefix", "suffix"]),
            raw=st.sampled_from(
                [b"\xef\xbb\xbf", b"\xff", b"\xc3\x28", b"\x00", b" \n\t", b"garbage", b"{}", b","]
            ),
        ),
        st.builds(
            Body,
            kind=st.just("raw"),
            base=st.sampled_from(bases),
            wrap=st.just("latin-1"),
            ascii=st.just(False),
        ),
        st.builds(
            Body,
            kind=st.just("raw"),
            base=st.sampled_from(bases),
            wrap=st.just("nest"),
            raw=st.sampled_from([29, 30, 31, 32, 33, 2000]).map(lambda n: b"." * n),
        ),
    )


RAW_BODIES = st.builds(
    Body,
    kind=st.just("raw"),
    raw=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=50).map(lambda t: t.encode("utf-8")),
        st.sampled_from(
            [
                b"",
                b"null",
                b"[]",
                b'"call_ended"',
                b"1",
                b"NaN",
                b"{",
                b'{"event": "call_ended", "event": "call_started", "call": {"call_id": "dup"}}',
                b'{"event": "call_ended", "call": {"call_id": "c", "duration_ms": ' + b"9" * 5000 + b"}}",
                b'{"event": "call_ended", "call": {"call_id": "c", "duration_ms": 1e999}}',
                b'{"event": "call_ended", "call": {"call_id": "c", "duration_ms": -Infinity}}',
                b'{"event": "call_ended", "call": {"call_id": "\\u0000"}}',
                b'{"event": "call_ended", "call": {"call_id": "\\udc00"}}',
                b'{"call_inbound": {"from_number": "", "to_number": "\\ud800"}}',
                b'{"name": "check_availability", "args": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                b"[" * 33 + b"]" * 33,
                b'{"event": "call_ended", "call": {"call_id": "c"}}\xff',
            ]
        ),
    ),
)
VALUE_BODIES = st.builds(Body, kind=st.just("value"), value=JSON_VALUES, ascii=st.booleans())


def bodies(bases: list[str], paths: list[tuple]) -> st.SearchStrategy[Body]:
    # Near-valid payloads most of the time: they get past the parser and exercise the services.
    return st.one_of(
        payloads(bases, paths),
        payloads(bases, paths),
        payloads(bases, paths),
        VALUE_BODIES,
        RAW_BODIES,
        mangled(bases),
    )


# -- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    body: Body
    url_company: str = "clinic"  # whose webhook key is in the URL: clinic, salon, or a literal key
    signer: str = "own"  # the key of the company the URL (or dialed number) names, or the other's
    content_type: str = "application/json"
    twice: bool = False  # delivered again (Retell retries): the second must store nothing new


# Mostly a company's own URL signed with its own key, so that most bodies get to the parser.
# (sampled_from for the weights: one_of merges equal branches.)
URL_COMPANIES = st.sampled_from(["clinic"] * 14 + ["salon"] * 3 + ["x" * 65, "%00", "%ff", "unknown"])
SIGNERS = st.sampled_from(["own"] * 9 + ["other"])
CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 22
    + [
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/plain",
        "application/x-www-form-urlencoded",
    ]
)


def requests(bases: list[str], paths: list[tuple], *, keyed: bool = True) -> st.SearchStrategy[Request]:
    return st.builds(
        Request,
        body=bodies(bases, paths),
        url_company=URL_COMPANIES if keyed else st.just(""),
        signer=SIGNERS,
        content_type=CONTENT_TYPES,
        twice=st.booleans(),
    )


WEBHOOK_REQUESTS = requests(list(WEBHOOK_EVENTS), WEBHOOK_PATHS)
LEGACY_REQUESTS = requests(list(WEBHOOK_EVENTS), WEBHOOK_PATHS, keyed=False)
INBOUND_REQUESTS = requests(["inbound", "inbound_without_agent"], INBOUND_PATHS)
FUNCTION_REQUESTS = requests(list(HANDLERS), FUNCTION_PATHS)

# -- checking ----------------------------------------------------------------------------------


def _signature_headers(body: bytes, key: str, content_type: str) -> dict:
    try:
        headers = signed_headers(body, key)
    except UnicodeDecodeError:
        # Retell signs text; for bytes that are not UTF-8 sign the bytes, as a naive sender would.
        ts_ms = int(timeline.now().timestamp() * 1000)
        digest = hmac.new(key.encode(), body + str(ts_ms).encode(), hashlib.sha256).hexdigest()
        headers = {"HTTP_X_RETELL_SIGNATURE": f"v={ts_ms},d={digest}"}
    return {**headers, "content_type": content_type}


def _signing_key(endpoint: str, req: Request, body: bytes) -> str:
    own_is_salon = req.url_company == "salon"
    if endpoint == "legacy":
        try:
            call = json.loads(body).get("call")
            own_is_salon = dialed_number(call) == SALON_NUMBER
        except (ValueError, RecursionError, AttributeError, TypeError):  # not for this test to judge
            pass
    return (
        (OTHER_API_KEY if own_is_salon else API_KEY)
        if req.signer == "own"
        else (API_KEY if own_is_salon else OTHER_API_KEY)
    )


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED_MODELS}


def _check(client, companies: dict, endpoint: str, req: Request) -> None:
    body = req.body.render()
    key = companies[req.url_company].webhook_key if req.url_company in companies else req.url_company
    url = "/api/retell/webhook" if endpoint == "legacy" else f"/api/retell/{endpoint}/{key}"
    signing_key = _signing_key(endpoint, req, body)
    headers = _signature_headers(body, signing_key, req.content_type)
    signer = next(c for c in companies.values() if c.retell_api_key.reveal() == signing_key)
    first_new_event = (WebhookEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for attempt in range(2 if req.twice else 1):  # a second time: Retell's retry of the same delivery
        before = _counts()
        with responses.RequestsMock(assert_all_requests_are_fired=False):  # Cal.com is unreachable
            response = client.post(url, body, **headers)
        status = response.status_code
        seen = f"POST {url} #{attempt + 1}: {status} {response.content[:300]!r} for body {body[:300]!r}"
        assert status < 500, seen  # before counting: a database error may have aborted the transaction
        after = _counts()
        if 400 <= status < 500:
            envelope = response.json()
            assert envelope["success"] is False, seen
            assert isinstance(envelope["error"], str) and envelope["error"], seen
            assert isinstance(envelope["message"], str) and envelope["message"], seen
            assert set(envelope) <= ENVELOPE_KEYS, seen
            assert after == before, f"stored on a refusal: {before} -> {after}; {seen}"
            event(f"{status} {envelope['error']}")
        elif endpoint in ("webhook", "legacy"):
            assert status == 204 and response.content == b"", seen
            _check_inbox(body, signer, first_new_event, seen)
            event("204 " + ("stored" if after["WebhookEvent"] > before["WebhookEvent"] else "not stored"))
            # Receiving only stores the delivery; the worker does the rest, after commit.
            assert _without_inbox(after) == _without_inbox(before), seen
        elif endpoint == "inbound":
            assert status == 200, seen
            answer = response.json()
            assert set(answer) == {"call_inbound"}, seen
            assert set(answer["call_inbound"]) == {"dynamic_variables"}, seen
            variables = answer["call_inbound"]["dynamic_variables"]
            assert isinstance(variables, dict), seen
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in variables.items()), seen
            assert after["WebhookEvent"] == before["WebhookEvent"], seen
            event(f"200 line_active={variables.get('line_active')}")
        else:
            assert status == 200, seen
            answer = response.json()
            assert isinstance(answer.get("success"), bool), seen
            assert isinstance(answer.get("message"), str) and answer["message"], seen
            assert isinstance(answer.get("data"), dict), seen
            assert after["WebhookEvent"] == before["WebhookEvent"], seen
            event(f"200 {answer['data'].get('error', 'ok')}")


def _check_inbox(body: bytes, signer, first_new_event: int, seen: str) -> None:
    """At most one new delivery, for the company that signed it, and exactly what was posted."""
    stored = list(WebhookEvent.objects.filter(pk__gte=first_new_event))
    assert len(stored) <= 1, seen
    if not stored:
        return
    posted = json.loads(body)  # it was accepted: a JSON object with a call (the last of equal keys)
    assert stored[0].body == body.decode("utf-8"), seen
    assert stored[0].call_id == posted["call"]["call_id"], seen
    assert stored[0].event == posted["event"], seen
    assert stored[0].company_id == signer.pk, seen


def _without_inbox(counts: dict[str, int]) -> dict[str, int]:
    return {name: count for name, count in counts.items() if name != "WebhookEvent"}


def _run(client, companies: dict, endpoint: str, req: Request) -> None:
    """One example in a savepoint rolled back afterwards, with an empty cache (rate limits,
    cached answers, number lookups): examples do not see each other."""
    clear_cached_data()
    with transaction.atomic():
        _check(client, companies, endpoint, req)
        transaction.set_rollback(True)


@pytest.fixture
def companies(clinic, salon):
    return {"clinic": clinic, "salon": salon}


def always_tried(bases: list[str], *, keyed: bool = True):
    """Cases every run tries before the drawn ones: a valid delivery and its retry, raw UTF-8, a
    body that is not UTF-8, one nested too deep, a lone surrogate, and (for the keyed URLs) a
    NUL in the URL key, the one part of the request no parser has checked."""
    cases = [
        Request(Body("payload", base=bases[0]), twice=True),
        Request(Body("payload", base=bases[-1], ascii=False)),
        Request(Body("raw", raw=b'{"event": "call_ended", "call": {"call_id": "\xfc"}}')),
        Request(Body("raw", base=bases[0], wrap="nest", raw=b"." * 2000)),
        Request(Body("payload", base=bases[0], edits=((("event",), "\ud800"),))),
    ]
    if keyed:
        cases.append(Request(Body("payload", base=bases[0]), url_company="%00"))

    def decorate(test):
        for case in reversed(cases):
            test = example(req=case)(test)
        return test

    return decorate


@PROPERTY_SETTINGS
@always_tried(list(WEBHOOK_EVENTS))
@given(req=WEBHOOK_REQUESTS)
def test_webhook_endpoint_survives_any_signed_body(client, companies, req):
    _run(client, companies, "webhook", req)


@PROPERTY_SETTINGS
@always_tried(list(WEBHOOK_EVENTS), keyed=False)
@given(req=LEGACY_REQUESTS)
def test_legacy_webhook_endpoint_survives_any_signed_body(client, companies, req):
    _run(client, companies, "legacy", req)


@PROPERTY_SETTINGS
@always_tried(["inbound", "inbound_without_agent"])
@given(req=INBOUND_REQUESTS)
def test_inbound_endpoint_survives_any_signed_body(client, companies, req):
    _run(client, companies, "inbound", req)


@PROPERTY_SETTINGS
@always_tried(list(HANDLERS))
@given(req=FUNCTION_REQUESTS)
def test_function_endpoint_survives_any_signed_body(client, companies, req):
    _run(client, companies, "functions", req)
