"""CalcomClient against a faked wire (`responses`); payloads are fixture files.

Fixtures in tests/fixtures/calcom/, shaped after shared/contracts/calcom-api.md ("contract") and
the saved OpenAPI spec (shared/contracts/calcom-v2-openapi.json):
- event_types.json / event_type.json: GetEventTypesOutput / GetEventTypeOutput_2024_06_14 (§2.1)
- team_event_types.json: GetTeamEventTypesOutput, hosts as TeamEventTypeResponseHost (§2.1)
- slots_range.json: GET /v2/slots with format=range, timeZone Europe/Berlin (§2.2)
- booking.json: CreateBookingOutput / GetBookingOutput with BookingOutput_2024_08_13 (§2.3, §2.4)
- booking_recurring_created.json: data as a list of RecurringBookingOutput_2024_08_13 (§2.3)
- booking_seated_created.json: CreateSeatedBookingOutput_2024_08_13 (§2.3, §8.17)
- bookings_page_{1,2}.json: GetBookingsOutput_2024_08_13 with PaginationMetaDto (§2.4)
- booking_rescheduled.json / booking_cancelled.json: reschedule and cancel answers (§2.5, §2.6)
- error_reschedule_cancelled.json: the error code `cancelled_bookings_cannot_be_rescheduled` (§2.5)
  in the HttpExceptionFilter shape
- error_*.json: the HttpExceptionFilter shape, the Prisma-filter shape (409, 500) and Nest's bare
  `{statusCode, message}` (§2.7); booking messages from §2.8; the throttler's 429 from §2.9;
  error_no_available_users_bare.json is the core error code as v1 sent it (§3).
"""

import json
import logging
from datetime import UTC, date, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from prometheus_client import REGISTRY
from urllib3.exceptions import MaxRetryError, NameResolutionError, ProtocolError

from integrations.calcom.client import BookingConflict, BookingGone, CalcomClient
from integrations.calcom.errors import retry_after_seconds
from integrations.errors import (
    AuthError,
    BadRequest,
    IntegrationError,
    NotFound,
    OutOfBounds,
    RateLimited,
    SlotUnavailable,
    TransientError,
)
from tests import calcom_fakes, timeline

# Clients keep a vendor's Retry-After where every process sees it (integrations/holds.py).
pytestmark = pytest.mark.django_db

BASE = "https://api.cal.com/v2"
API_KEY = "cal_live_0123456789abcdef0123456789abcdef"
# cal-api-version values (API identifiers, not calendar dates).
BOOKINGS_VERSION, SLOTS_VERSION, EVENT_TYPES_VERSION = "2024-08-13", "2024-09-04", "2024-06-14"
# What the fixtures know about the caller; none of it may reach a log line.
CALLER_PII = ("Jana Caller", "jana.caller@example.com", "+4915112345678")
ATTENDEE = {
    "name": "Jana Caller",
    "email": "jana.caller@example.com",
    "timeZone": "Europe/Berlin",
    "phoneNumber": "+4915112345678",
    "language": "de",
}


def load(name: str) -> dict:
    """The contract fixture `name`, its {{date tokens}} rendered for the pinned now."""
    return calcom_fakes.fixture(name.removesuffix(".json"))


def day(offset: int = 0) -> date:
    """The fixtures' booking day (the first Tuesday at least two days ahead), plus `offset` days."""
    return timeline.booking_day() + timedelta(days=offset)


def query(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def sent_json(call) -> dict:
    return json.loads(call.request.body)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client():
    return CalcomClient(api_key=API_KEY)


def book(client, **overrides):
    kwargs = {
        "event_type_id": 50,
        "start": timeline.at(day(), "10:00"),
        "attendee": ATTENDEE,
    }
    return client.create_booking(**{**kwargs, **overrides})


# -- every endpoint: path, auth, version (contract §1, §8.1) -----------------------------------

ENDPOINTS = [
    (
        "list_event_types",
        lambda c: c.list_event_types(),
        "GET",
        "/event-types",
        "event_types.json",
        EVENT_TYPES_VERSION,
    ),
    (
        "list_team_event_types",
        lambda c: c.list_team_event_types(7),
        "GET",
        "/teams/7/event-types",
        "team_event_types.json",
        EVENT_TYPES_VERSION,
    ),
    (
        "get_event_type",
        lambda c: c.get_event_type(50),
        "GET",
        "/event-types/50",
        "event_type.json",
        EVENT_TYPES_VERSION,
    ),
    (
        "get_slots",
        lambda c: c.get_slots(
            event_type_id=50,
            start=timeline.at(day(), "00:00", UTC),
            end=timeline.at(day(1), "00:00", UTC),
            time_zone="Europe/Berlin",
        ),
        "GET",
        "/slots",
        "slots_range.json",
        SLOTS_VERSION,
    ),
    ("create_booking", book, "POST", "/bookings", "booking.json", BOOKINGS_VERSION),
    (
        "get_booking",
        lambda c: c.get_booking("bk_3fY7qLm2"),
        "GET",
        "/bookings/bk_3fY7qLm2",
        "booking.json",
        BOOKINGS_VERSION,
    ),
    (
        "list_bookings",
        lambda c: c.list_bookings(),
        "GET",
        "/bookings",
        "bookings_page_2.json",
        BOOKINGS_VERSION,
    ),
    (
        "reschedule_booking",
        lambda c: c.reschedule_booking("bk_3fY7qLm2", start=timeline.at(day(1), "15:00")),
        "POST",
        "/bookings/bk_3fY7qLm2/reschedule",
        "booking_rescheduled.json",
        BOOKINGS_VERSION,
    ),
    (
        "cancel_booking",
        lambda c: c.cancel_booking("bk_3fY7qLm2", reason="Caller cancelled"),
        "POST",
        "/bookings/bk_3fY7qLm2/cancel",
        "booking_cancelled.json",
        BOOKINGS_VERSION,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "fixture", "version"),
    [pytest.param(*row[1:], id=row[0]) for row in ENDPOINTS],
)
def test_each_endpoint_gets_its_path_bearer_key_and_pinned_api_version(
    wire, client, call, method, path, fixture, version
):
    """Contract §1: a missing or unknown cal-api-version silently hits 2024-04-15, a wrong valid
    one 404s; so each endpoint pins its own (bookings 2024-08-13, slots 2024-09-04, event types
    2024-06-14), and auth is `Authorization: Bearer` (§0)."""
    wire.add(method, BASE + path, json=load(fixture), status=201 if method == "POST" else 200)

    call(client)

    sent = wire.calls[0].request
    assert urlsplit(sent.url).path == "/v2" + path
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["cal-api-version"] == version


def test_default_timeout_comes_from_settings(wire, settings):
    settings.HTTP_CONNECT_TIMEOUT = 1.5
    settings.HTTP_READ_TIMEOUT = 7.0
    wire.get(BASE + "/event-types", json=load("event_types.json"))

    CalcomClient(api_key=API_KEY).list_event_types()

    assert wire.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


def test_explicit_base_url_timeout_and_session_are_used(wire):
    session = requests.Session()
    wire.get("https://api.cal.eu/v2/event-types", json=load("event_types.json"))
    client = CalcomClient(
        api_key=API_KEY, base_url="https://api.cal.eu/v2/", timeout=(2.0, 5.0), session=session
    )

    client.list_event_types()

    assert wire.calls[0].request.req_kwargs["timeout"] == (2.0, 5.0)
    assert "Authorization" not in session.headers  # a shared session never keeps our key


@pytest.mark.parametrize("api_key", ["", " cal_live_x", "cal_live_x\n"])
def test_a_missing_or_padded_api_key_is_refused(api_key):
    with pytest.raises(ValueError):
        CalcomClient(api_key=api_key)


def test_repr_never_shows_the_api_key(client):
    assert API_KEY not in repr(client)


# -- event types (contract §2.1) --------------------------------------------------------------


def test_list_event_types_returns_the_data_list(wire, client):
    wire.get(BASE + "/event-types", json=load("event_types.json"))

    event_types = client.list_event_types()

    assert [(e["id"], e["slug"], e["lengthInMinutes"]) for e in event_types] == [(50, "beratung-30", 30)]


def test_list_team_event_types_returns_team_event_types_with_their_hosts(wire, client):
    wire.get(BASE + "/teams/7/event-types", json=load("team_event_types.json"))

    [event_type] = client.list_team_event_types(7)

    assert (event_type["id"], event_type["teamId"], event_type["schedulingType"]) == (
        70,
        7,
        "roundRobin",
    )
    assert [host["userId"] for host in event_type["hosts"]] == [11, 12]


def test_get_event_type_returns_the_event_type(wire, client):
    wire.get(BASE + "/event-types/50", json=load("event_type.json"))

    assert client.get_event_type(50)["minimumBookingNotice"] == 120


@pytest.mark.parametrize("bad_id", [0, -3, "50/../7", True, None])
def test_ids_must_be_positive_integers_before_anything_is_sent(wire, client, bad_id):
    with pytest.raises(ValueError):
        client.get_event_type(bad_id)
    assert len(wire.calls) == 0


# -- slots (contract §2.2, §8.2-8.4) ----------------------------------------------------------


def test_get_slots_sends_the_window_in_utc_with_time_zone_and_range_format(wire, client):
    wire.get(BASE + "/slots", json=load("slots_range.json"))

    start, end = timeline.at(day(), "00:00"), timeline.at(day(1), "23:59:59")
    slots = client.get_slots(event_type_id=50, start=start, end=end, time_zone="Europe/Berlin")

    # Berlin midnight goes out as the evening before in UTC.
    assert query(wire.calls[0]) == {
        "eventTypeId": "50",
        "start": timeline.z(start),
        "end": timeline.z(end),
        "timeZone": "Europe/Berlin",
        "format": "range",
    }
    assert list(slots) == [day().isoformat(), day(1).isoformat()]
    assert slots[day().isoformat()][0] == {
        "start": timeline.cal_local(timeline.at(day(), "09:00")),
        "end": timeline.cal_local(timeline.at(day(), "09:30")),
    }


def test_get_slots_sends_duration_and_reschedule_uid_only_when_given(wire, client):
    wire.get(BASE + "/slots", json=load("slots_range.json"))

    client.get_slots(
        event_type_id=50,
        start=timeline.at(day(), "00:00", UTC),
        end=timeline.at(day(1), "00:00", UTC),
        time_zone="Europe/Berlin",
        duration=45,
        booking_uid_to_reschedule="bk_3fY7qLm2",
    )

    sent = query(wire.calls[0])
    assert (sent["duration"], sent["bookingUidToReschedule"]) == ("45", "bk_3fY7qLm2")


@pytest.mark.parametrize("naive", ["start", "end"])
def test_get_slots_refuses_a_naive_datetime(wire, client, naive):
    """Contract §8.2: Cal.com reads every time as UTC; a naive one would be silently misread."""
    window = {"start": timeline.at(day(), "00:00", UTC), "end": timeline.at(day(1), "00:00", UTC)}
    window[naive] = window[naive].replace(tzinfo=None)

    with pytest.raises(ValueError, match="aware"):
        client.get_slots(event_type_id=50, time_zone="Europe/Berlin", **window)
    assert len(wire.calls) == 0


def test_get_slots_refuses_an_end_before_the_start(wire, client):
    with pytest.raises(ValueError):
        client.get_slots(
            event_type_id=50,
            start=timeline.at(day(1), "00:00", UTC),
            end=timeline.at(day(), "00:00", UTC),
            time_zone="Europe/Berlin",
        )


# -- create booking (contract §2.3, §3) -------------------------------------------------------


def test_create_booking_posts_event_type_utc_start_attendee_and_metadata(wire, client):
    wire.post(BASE + "/bookings", json=load("booking.json"), status=201)

    booking = book(client, metadata={"callId": "call_8d1e0f"})

    assert sent_json(wire.calls[0]) == {
        "start": timeline.z(timeline.at(day(), "10:00")),  # 10:00 in Berlin, sent in UTC
        "eventTypeId": 50,
        "attendee": ATTENDEE,
        "metadata": {"callId": "call_8d1e0f"},
    }
    assert (booking["uid"], booking["status"], booking["metadata"]) == (
        "bk_3fY7qLm2",
        "accepted",
        {"callId": "call_8d1e0f"},
    )


def test_create_booking_sends_the_optional_fields_it_is_given(wire, client):
    wire.post(BASE + "/bookings", json=load("booking.json"), status=201)
    location = {"type": "phone"}

    book(
        client,
        length_in_minutes=45,
        booking_fields_responses={"notes": "Booked by phone agent"},
        location=location,
    )

    body = sent_json(wire.calls[0])
    assert body["lengthInMinutes"] == 45
    assert body["bookingFieldsResponses"] == {"notes": "Booked by phone agent"}
    assert body["location"] == location
    assert "metadata" not in body


def test_create_booking_returns_the_first_occurrence_of_a_recurring_booking(wire, client):
    wire.post(BASE + "/bookings", json=load("booking_recurring_created.json"), status=201)

    booking = book(client)

    assert (booking["uid"], booking["recurringBookingUid"]) == ("bk_rec_1", "rec_7Kd2")


def test_create_booking_returns_a_seated_booking_with_its_seat(wire, client):
    wire.post(BASE + "/bookings", json=load("booking_seated_created.json"), status=201)

    booking = book(client)

    assert booking["seatUid"] == "3be561a9-31f1-4b8e-aefc-9d9a085f0dd1"


def test_create_booking_refuses_a_naive_start(wire, client):
    with pytest.raises(ValueError, match="aware"):
        book(client, start=timeline.at(day(), "10:00").replace(tzinfo=None))
    assert len(wire.calls) == 0


@pytest.mark.parametrize("missing", ["name", "timeZone"])
def test_create_booking_requires_attendee_name_and_time_zone(wire, client, missing):
    attendee = {key: value for key, value in ATTENDEE.items() if key != missing}

    with pytest.raises(ValueError, match=missing):
        book(client, attendee=attendee)
    assert len(wire.calls) == 0


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({f"k{i}": "v" for i in range(51)}, id="51-keys"),
        pytest.param({"k" * 41: "v"}, id="key-41-chars"),
        pytest.param({"callId": "v" * 501}, id="value-501-chars"),
        pytest.param({"attempt": 2}, id="value-not-a-string"),
    ],
)
def test_create_booking_refuses_metadata_over_cal_com_limits(wire, client, metadata):
    """Contract §2.3: at most 50 keys, keys up to 40 characters, string values up to 500."""
    with pytest.raises(ValueError, match="metadata"):
        book(client, metadata=metadata)
    assert len(wire.calls) == 0


def test_create_booking_accepts_metadata_exactly_at_the_limits(wire, client):
    wire.post(BASE + "/bookings", json=load("booking.json"), status=201)
    metadata = {f"k{i:02d}".ljust(40, "x"): "v" * 500 for i in range(50)}

    book(client, metadata=metadata)

    assert sent_json(wire.calls[0])["metadata"] == metadata


def test_a_metadata_error_never_repeats_the_value(client):
    with pytest.raises(ValueError) as raised:
        book(client, metadata={"caller": "jana.caller@example.com" + "x" * 500})
    assert "jana.caller" not in str(raised.value)


# -- read, list, reschedule, cancel (contract §2.4-§2.6) -------------------------------------


def test_get_booking_returns_the_booking(wire, client):
    wire.get(BASE + "/bookings/bk_3fY7qLm2", json=load("booking.json"))

    assert client.get_booking("bk_3fY7qLm2")["eventType"] == {"id": 50, "slug": "beratung-30"}


def test_a_booking_uid_is_sent_as_one_path_segment(wire, client):
    wire.get(BASE + "/bookings/a%2F..%2Fme%3Fx", json=load("booking.json"))

    client.get_booking("a/../me?x")

    assert urlsplit(wire.calls[0].request.url).path == "/v2/bookings/a%2F..%2Fme%3Fx"


def test_list_bookings_follows_pages_with_the_same_filters(wire, client):
    wire.get(BASE + "/bookings", json=load("bookings_page_1.json"))
    wire.get(BASE + "/bookings", json=load("bookings_page_2.json"))

    bookings = client.list_bookings(
        event_type_id=50,
        attendee_email="jana.caller@example.com",
        after_start=timeline.at(day(), "00:00"),
        before_end=timeline.at(day(4), "00:00"),
        status=["upcoming", "unconfirmed"],
        take=2,
    )

    assert [b["uid"] for b in bookings] == ["bk_3fY7qLm2", "bk_p1_b", "bk_p2_a"]
    filters = {
        "eventTypeId": "50",
        "attendeeEmail": "jana.caller@example.com",
        "afterStart": timeline.z(timeline.at(day(), "00:00")),
        "beforeEnd": timeline.z(timeline.at(day(4), "00:00")),
        "status": "upcoming,unconfirmed",
        "take": "2",
    }
    assert query(wire.calls[0]) == {**filters, "skip": "0"}
    assert query(wire.calls[1]) == {**filters, "skip": "2"}


def test_list_bookings_of_several_event_types_sends_them_as_one_list(wire, client):
    wire.get(BASE + "/bookings", json=load("bookings_page_2.json"))
    client.list_bookings(event_type_ids=[50, 77], status=["cancelled", "past"])
    assert query(wire.calls[0])["eventTypeIds"] == "50,77"
    assert query(wire.calls[0])["status"] == "cancelled,past"


# -- webhook subscriptions (contract §5; OpenAPI CreateWebhookInputDto, UserWebhookOutputDto) ------


def test_create_webhook_posts_url_triggers_and_secret(wire, client):
    wire.post(BASE + "/webhooks", json=load("webhook.json"), status=201)
    created = client.create_webhook(
        subscriber_url="https://askpro.example.com/api/calcom/webhook/key-alpha",
        triggers=["BOOKING_CREATED", "BOOKING_CANCELLED"],
        secret="whsec-not-real",
    )
    assert created["id"] == "9f3c2d1e-6b7a-4e58-8c90-1a2b3c4d5e6f"
    assert sent_json(wire.calls[0]) == {
        "active": True,
        "subscriberUrl": "https://askpro.example.com/api/calcom/webhook/key-alpha",
        "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"],
        "secret": "whsec-not-real",
    }
    assert wire.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_list_webhooks_reads_pages_until_a_short_one(wire, client):
    """UserWebhooksOutputResponseDto carries no pagination: a page shorter than `take` is the last."""
    wire.get(BASE + "/webhooks", json=load("webhooks_list.json"))
    wire.get(BASE + "/webhooks", json={"status": "success", "data": []})
    listed = client.list_webhooks(take=2)
    assert [w["subscriberUrl"] for w in listed] == [
        "https://hooks.zapier.example/cal",
        "https://askpro.example.com/api/calcom/webhook/key-alpha",
    ]
    assert [query(c) for c in wire.calls] == [{"take": "2", "skip": "0"}, {"take": "2", "skip": "2"}]


def test_update_webhook_patches_only_what_it_is_given(wire, client):
    wire.patch(BASE + "/webhooks/9f3c2d1e-6b7a-4e58-8c90-1a2b3c4d5e6f", json=load("webhook.json"))
    client.update_webhook("9f3c2d1e-6b7a-4e58-8c90-1a2b3c4d5e6f", secret="whsec-new", active=True)
    assert sent_json(wire.calls[0]) == {"secret": "whsec-new", "active": True}
    assert wire.calls[0].request.method == "PATCH"


def test_list_bookings_stops_at_max_pages_even_if_more_remain(wire, client, caplog):
    wire.get(BASE + "/bookings", json=load("bookings_page_1.json"))

    with caplog.at_level(logging.WARNING, logger="integrations.calcom"):
        bookings = client.list_bookings(take=2, max_pages=1)

    assert len(bookings) == 2
    assert len(wire.calls) == 1
    assert "stopped after 1 pages" in caplog.text


def test_reschedule_posts_the_new_utc_start_reason_and_who_rescheduled(wire, client):
    wire.post(BASE + "/bookings/bk_3fY7qLm2/reschedule", json=load("booking_rescheduled.json"), status=201)

    booking = client.reschedule_booking(
        "bk_3fY7qLm2",
        start=timeline.at(day(1), "15:00"),
        reason="Caller asked",
        rescheduled_by="anna.weber@example.com",
    )

    assert sent_json(wire.calls[0]) == {
        "start": timeline.z(timeline.at(day(1), "15:00")),
        "reschedulingReason": "Caller asked",
        "rescheduledBy": "anna.weber@example.com",
    }
    # Contract §2.5: rescheduling creates a new booking with a new uid.
    assert (booking["uid"], booking["rescheduledFromUid"]) == ("bk_9Hq2Vx4n", "bk_3fY7qLm2")


def test_cancel_always_sends_the_cancellation_reason(wire, client):
    """Contract §2.6: a host (our API key) must give a non-empty cancellationReason."""
    wire.post(BASE + "/bookings/bk_3fY7qLm2/cancel", json=load("booking_cancelled.json"))

    booking = client.cancel_booking("bk_3fY7qLm2", reason="Caller cancelled by phone")

    assert sent_json(wire.calls[0]) == {"cancellationReason": "Caller cancelled by phone"}
    assert booking["status"] == "cancelled"


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_refuses_an_empty_reason(wire, client, reason):
    with pytest.raises(ValueError):
        client.cancel_booking("bk_3fY7qLm2", reason=reason)
    assert len(wire.calls) == 0


# -- error mapping (contract §2.7-§2.9, §3) ---------------------------------------------------

ERRORS = [
    # §2.8: no_available_users_found_error -> 400 "User either already has booking ..."
    ("slot-taken", 400, "error_slot_taken.json", SlotUnavailable),
    # §2.8: team event types and hosts_unavailable_for_booking -> "One of the hosts ..."
    ("hosts-unavailable", 400, "error_hosts_unavailable.json", SlotUnavailable),
    # §3: the core error code itself, as v1 (and any unmapped path) sends it
    ("core-code", 400, "error_no_available_users_bare.json", SlotUnavailable),
    # §2.8: booking_time_out_of_bounds_error (minimum notice / booking window)
    ("out-of-bounds", 400, "error_out_of_bounds.json", OutOfBounds),
    # §2.8: "Attempting to book a meeting in the past."
    ("in-the-past", 400, "error_in_the_past.json", OutOfBounds),
    # §2.5, §2.6: a booking cancelled already (by anyone, or by its own reschedule) is gone
    ("already-cancelled", 400, "error_already_cancelled.json", BookingGone),
    ("reschedule-cancelled", 400, "error_reschedule_cancelled.json", BookingGone),
    # §2.6/§2.7: Nest's bare shape, observed for the missing cancellation reason
    ("bare-shape", 400, "error_cancel_reason_required_bare.json", BadRequest),
    # §2.7: bare shape with a list of validation messages
    ("validation-list", 400, "error_validation_bare.json", BadRequest),
    # §2.8: event type not found
    ("not-found", 404, "error_event_type_not_found.json", NotFound),
    # §2.7: UnauthorizedException, and a key without access to a team
    ("unauthorized", 401, "error_unauthorized.json", AuthError),
    ("forbidden", 403, "error_forbidden.json", AuthError),
    # §2.7/§3: Prisma P2002 on Booking.idempotencyKey -> 409 CONFLICT
    ("conflict", 409, "error_conflict.json", BookingConflict),
    # §2.9: the throttler's 429
    ("rate-limited", 429, "error_rate_limited.json", RateLimited),
    # §2.7: any other Prisma error -> 500 INTERNAL_SERVER_ERROR
    ("server-error", 500, "error_internal.json", TransientError),
]


@pytest.mark.parametrize(
    ("status", "fixture", "expected"), [pytest.param(*row[1:], id=row[0]) for row in ERRORS]
)
def test_each_cal_com_error_maps_to_its_typed_error(wire, client, status, fixture, expected):
    wire.post(BASE + "/bookings", json=load(fixture), status=status, headers={"X-Request-Id": "req-7f3a"})

    with pytest.raises(expected) as raised:
        book(client)

    error = raised.value
    assert type(error) is expected
    assert (error.service, error.status, error.request_id) == ("calcom", status, "req-7f3a")
    assert error.permanent is (status < 429)


def test_the_error_message_is_read_from_either_shape(wire, client):
    """Contract §2.7: parse `error.message`, then bare `message` (a string or a list)."""
    wire.post(BASE + "/bookings", json=load("error_slot_taken.json"), status=400)
    wire.post(BASE + "/bookings", json=load("error_cancel_reason_required_bare.json"), status=400)
    wire.post(BASE + "/bookings", json=load("error_validation_bare.json"), status=400)

    messages = []
    for _ in range(3):
        with pytest.raises(IntegrationError) as raised:
            book(client)
        messages.append(raised.value.message)

    assert messages == [
        "User either already has booking at this time or is not available",
        "Cancellation reason is required when you are the host",
        "start must be a valid ISO 8601 date string; attendee.timeZone must be a string",
    ]


def test_a_non_json_gateway_error_is_transient_with_its_raw_text(wire, client):
    """§2.7: when neither shape parses, fall back to the raw body (here a proxy's page)."""
    wire.get(BASE + "/event-types", body="upstream connect error", status=502, content_type="text/html")

    with pytest.raises(TransientError) as raised:
        client.list_event_types()

    assert (raised.value.message, raised.value.status) == ("upstream connect error", 502)
    assert raised.value.request_sent is True


def test_a_409_conflict_is_a_slot_unavailable_the_caller_may_look_up(wire, client):
    """§3: the 409 may be our own booking from an earlier ambiguous attempt; BookingConflict
    lets the booking flow look it up while plain SlotUnavailable handlers still catch it."""
    wire.post(BASE + "/bookings", json=load("error_conflict.json"), status=409)

    with pytest.raises(SlotUnavailable) as raised:
        book(client)

    assert isinstance(raised.value, BookingConflict)


def test_a_5xx_on_a_post_says_the_request_was_sent(wire, client):
    """§3/§8.5: a 5xx after a POST is ambiguous: the booking may exist, look it up first."""
    wire.post(BASE + "/bookings", json=load("error_internal.json"), status=503)

    with pytest.raises(TransientError) as raised:
        book(client)

    assert raised.value.request_sent is True


def test_rate_limited_takes_retry_after_seconds(wire, client):
    """§2.9 and DESIGN: honour 429 and Retry-After."""
    wire.get(
        BASE + "/slots",
        json=load("error_rate_limited.json"),
        status=429,
        headers={"Retry-After": "17", "X-RateLimit-Reset-Default": "40"},
    )

    with pytest.raises(RateLimited) as raised:
        client.get_slots(
            event_type_id=50,
            start=timeline.at(day(), "00:00", UTC),
            end=timeline.at(day(1), "00:00", UTC),
            time_zone="Europe/Berlin",
        )

    assert raised.value.retry_after == 17.0


def test_rate_limited_falls_back_to_cal_com_reset_seconds(wire, client):
    """§2.9: X-RateLimit-Reset-Default is seconds remaining (60 in issue #16824)."""
    wire.get(
        BASE + "/event-types",
        json=load("error_rate_limited.json"),
        status=429,
        headers={
            "X-RateLimit-Limit-Default": "120",
            "X-RateLimit-Remaining-Default": "0",
            "X-RateLimit-Reset-Default": "60",
        },
    )

    with pytest.raises(RateLimited) as raised:
        client.list_event_types()

    assert raised.value.retry_after == 60.0


def test_rate_limited_without_any_hint_has_no_retry_after(wire, client):
    wire.get(BASE + "/event-types", json=load("error_rate_limited.json"), status=429)

    with pytest.raises(RateLimited) as raised:
        client.list_event_types()

    assert raised.value.retry_after is None


def test_retry_after_as_an_http_date_becomes_seconds_from_now():
    now = timeline.now()
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)

    assert retry_after_seconds({"Retry-After": later}, now=now.timestamp()) == 90.0


def test_a_reset_header_sent_as_an_epoch_becomes_seconds_from_now():
    """§2.9: one third-party page calls the reset an epoch; such a value cannot be seconds."""
    now = timeline.now().timestamp()

    assert retry_after_seconds({"X-RateLimit-Reset-Default": str(now + 30)}, now=now) == 30.0


# -- transport failures ------------------------------------------------------------------------


def _name_resolution_failure() -> requests.exceptions.ConnectionError:
    reason = NameResolutionError("api.cal.com", None, OSError("Name or service not known"))
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/v2/bookings", reason))


def _reset_while_reading() -> requests.exceptions.ConnectionError:
    reason = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    return requests.exceptions.ConnectionError(reason)


@pytest.mark.parametrize(
    ("failure", "request_sent"),
    [
        pytest.param(requests.exceptions.ConnectTimeout("connect timed out"), False, id="connect-timeout"),
        pytest.param(_name_resolution_failure(), False, id="dns-failure"),
        pytest.param(_reset_while_reading(), True, id="reset-while-reading"),
        pytest.param(requests.exceptions.ReadTimeout("read timed out"), True, id="read-timeout"),
    ],
)
def test_transport_failures_are_transient_and_say_whether_the_request_left(
    wire, client, failure, request_sent
):
    """§3/§8.5: only a request that surely never left may be re-sent; otherwise look it up."""
    wire.post(BASE + "/bookings", body=failure)

    with pytest.raises(TransientError) as raised:
        book(client)

    assert raised.value.request_sent is request_sent
    assert (raised.value.service, raised.value.status) == ("calcom", None)


def test_a_transport_error_never_carries_the_query_string(wire, client, caplog):
    """requests puts the full URL in its message; ours must not (attendeeEmail is PII)."""
    failure = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='api.cal.com', port=443): Max retries exceeded with url: "
        "/v2/bookings?attendeeEmail=jana.caller%40example.com"
    )
    wire.get(BASE + "/bookings", body=failure)

    with (
        caplog.at_level(logging.DEBUG, logger="integrations.calcom"),
        pytest.raises(TransientError) as raised,
    ):
        client.list_bookings(attendee_email="jana.caller@example.com")

    assert raised.value.message == "ConnectionError on GET /bookings"
    assert raised.value.__cause__ is None
    assert "jana.caller" not in caplog.text


def test_a_2xx_that_is_not_json_is_transient_after_sending(wire, client):
    """A success we cannot read: Cal.com may have booked, so request_sent stays True."""
    wire.post(
        BASE + "/bookings",
        body="<html>gateway</html>",
        status=201,
        content_type="text/html",
        headers={"X-Request-Id": "req-9b1"},
    )

    with pytest.raises(TransientError) as raised:
        book(client)

    assert raised.value.request_sent is True
    assert (raised.value.status, raised.value.request_id) == (201, "req-9b1")


# -- logs and metrics --------------------------------------------------------------------------


def test_logs_name_method_path_status_and_request_id_but_no_key_or_caller(wire, client, caplog):
    wire.post(BASE + "/bookings", json=load("booking.json"), status=201, headers={"X-Request-Id": "req-ok-1"})
    wire.get(BASE + "/bookings", json=load("bookings_page_2.json"))
    wire.post(
        BASE + "/bookings/bk_3fY7qLm2/cancel",
        json=load("error_cancel_reason_required_bare.json"),
        status=400,
        headers={"X-Request-Id": "req-err-2"},
    )

    with caplog.at_level(logging.DEBUG, logger="integrations.calcom"):
        book(client, metadata={"callId": "call_8d1e0f"})
        client.list_bookings(attendee_email="jana.caller@example.com")
        with pytest.raises(BadRequest):
            client.cancel_booking("bk_3fY7qLm2", reason="Jana Caller changed her mind")

    first, _, failed = caplog.records
    assert first.levelno == logging.INFO
    assert "create_booking POST /bookings -> 201" in first.getMessage()
    assert "req-ok-1" in first.getMessage()
    assert failed.levelno == logging.WARNING
    assert "cancel_booking POST /bookings/{uid}/cancel failed: BadRequest status=400" in (failed.getMessage())
    assert "req-err-2" in failed.getMessage()
    for secret in (API_KEY, "bk_3fY7qLm2", *CALLER_PII):
        assert secret not in caplog.text


def test_every_call_is_timed_in_the_api_duration_histogram(wire, client):
    def count() -> float:
        labels = {"service": "calcom", "method": "create_booking"}
        return REGISTRY.get_sample_value("mcp_api_duration_seconds_count", labels) or 0.0

    wire.post(BASE + "/bookings", json=load("booking.json"), status=201)
    wire.post(BASE + "/bookings", body=requests.exceptions.ReadTimeout("read timed out"))
    before = count()

    book(client)
    with pytest.raises(TransientError):
        book(client)

    assert count() == before + 2
