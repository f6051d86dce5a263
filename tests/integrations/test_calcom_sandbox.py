"""The local Cal.com sandbox behaves like API v2 as the contract describes it.

Every test talks HTTP to an in-process sandbox on a free port, with the clock fixed to
Monday 2027-03-22 08:00Z (09:00 in Berlin), so slots and bounds are deterministic.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from django.core.management import CommandError, call_command

from integrations.calcom.sandbox import start_sandbox
from integrations.calcom.sandbox_bookings import HOSTS_UNAVAILABLE, OUT_OF_BOUNDS, USER_UNAVAILABLE
from integrations.calcom.sandbox_calendar import TEAM_HOSTS, TEAM_PRAXIS, EventTypeConfig, SandboxCalendar

API_KEY = "cal_test_sandbox_key"
BOOKINGS, SLOTS, EVENT_TYPES = "2024-08-13", "2024-09-04", "2024-06-14"
MONDAY_MORNING = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return FakeClock(MONDAY_MORNING)


@pytest.fixture
def sandbox(clock):
    with start_sandbox(clock=clock, api_key=API_KEY, seed=7) as server:
        yield server


def headers(version: str | None, key: str | None = API_KEY) -> dict:
    sent = {}
    if version:
        sent["cal-api-version"] = version
    if key:
        sent["Authorization"] = f"Bearer {key}"
    return sent


def slots(sandbox, **params) -> requests.Response:
    params = {"eventTypeId": 1001, "timeZone": "Europe/Berlin", **params}
    return requests.get(f"{sandbox.base_url}/slots", params=params, headers=headers(SLOTS), timeout=5)


def slot_starts(sandbox, **params) -> dict[str, list[str]]:
    response = slots(sandbox, **params)
    assert response.status_code == 200, response.text
    return {day: [slot["start"] for slot in found] for day, found in response.json()["data"].items()}


def book(
    sandbox, start: str, event_type_id: int = 1001, *, timeout: float = 5, **fields
) -> requests.Response:
    body = {
        "start": start,
        "eventTypeId": event_type_id,
        "attendee": {
            "name": "Alice Caller",
            "email": "alice@example.com",
            "timeZone": "Europe/Berlin",
            "language": "de",
        },
        "metadata": {"callId": "call-1"},
        **fields,
    }
    return requests.post(
        f"{sandbox.base_url}/bookings", json=body, headers=headers(BOOKINGS), timeout=timeout
    )


def booked(sandbox, start: str, event_type_id: int = 1001, **fields) -> dict:
    response = book(sandbox, start, event_type_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def list_bookings(sandbox, **params) -> dict:
    response = requests.get(
        f"{sandbox.base_url}/bookings", params=params, headers=headers(BOOKINGS), timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def post(sandbox, path: str, body: dict, key: str | None = API_KEY) -> requests.Response:
    return requests.post(f"{sandbox.base_url}{path}", json=body, headers=headers(BOOKINGS, key), timeout=5)


def error_message(response: requests.Response) -> str:
    return response.json()["error"]["message"]


# -- slots --------------------------------------------------------------------------------------


def test_slots_follow_working_hours_and_the_minimum_notice(sandbox):
    days = slot_starts(sandbox, start="2027-03-22", end="2027-03-27")

    # Monday: it is 09:00 in Berlin, so the 60-minute notice leaves 10:00 as the first slot.
    assert days["2027-03-22"][0] == "2027-03-22T10:00:00.000+01:00"
    assert days["2027-03-23"][0] == "2027-03-23T09:00:00.000+01:00"
    assert days["2027-03-23"][-1] == "2027-03-23T16:30:00.000+01:00"
    assert len(days["2027-03-23"]) == 16
    assert days["2027-03-27"] == [
        f"2027-03-27T{hour}.000+01:00"
        for hour in (
            "09:00:00",
            "09:30:00",
            "10:00:00",
            "10:30:00",
            "11:00:00",
            "11:30:00",
            "12:00:00",
            "12:30:00",
        )
    ]


def test_slots_step_by_the_event_length(sandbox):
    days = slot_starts(sandbox, eventTypeId=1002, start="2027-03-23", end="2027-03-23")

    assert days["2027-03-23"][:3] == [
        "2027-03-23T09:00:00.000+01:00",
        "2027-03-23T09:45:00.000+01:00",
        "2027-03-23T10:30:00.000+01:00",
    ]
    assert days["2027-03-23"][-1] == "2027-03-23T15:45:00.000+01:00"  # 16:30 would end 17:15


def test_slot_times_carry_the_offset_of_the_requested_time_zone(sandbox):
    in_utc = slot_starts(sandbox, start="2027-03-23", end="2027-03-23", timeZone="UTC")
    in_new_york = slot_starts(sandbox, start="2027-03-23", end="2027-03-23", timeZone="America/New_York")

    assert in_utc["2027-03-23"][0] == "2027-03-23T08:00:00.000Z"
    assert in_new_york["2027-03-23"][0] == "2027-03-23T04:00:00.000-04:00"


def test_slot_dates_are_keyed_in_the_requested_time_zone(sandbox):
    days = slot_starts(sandbox, start="2027-03-23", end="2027-03-23", timeZone="Pacific/Auckland")

    # 16:30 in Berlin is 04:30 the next morning in Auckland (UTC+13).
    assert days["2027-03-23"][0] == "2027-03-23T21:00:00.000+13:00"
    assert days["2027-03-24"][-1] == "2027-03-24T04:30:00.000+13:00"


def test_date_only_window_means_the_whole_utc_day(sandbox):
    days = slot_starts(sandbox, start="2027-03-23", end="2027-03-23", timeZone="UTC")
    narrow = slot_starts(sandbox, start="2027-03-23T10:00:00Z", end="2027-03-23T11:00:00Z", timeZone="UTC")

    assert list(days) == ["2027-03-23"]
    assert narrow == {
        "2027-03-23": ["2027-03-23T10:00:00.000Z", "2027-03-23T10:30:00.000Z", "2027-03-23T11:00:00.000Z"]
    }


def test_slots_change_offset_across_the_spring_dst_switch(sandbox):
    local = slot_starts(sandbox, start="2027-03-26", end="2027-03-29")
    utc = slot_starts(sandbox, start="2027-03-26", end="2027-03-29", timeZone="UTC")

    assert "2027-03-28" not in local  # Sunday, the switch day, is closed
    assert local["2027-03-26"][0] == "2027-03-26T09:00:00.000+01:00"
    assert local["2027-03-29"][0] == "2027-03-29T09:00:00.000+02:00"
    assert utc["2027-03-26"][0] == "2027-03-26T08:00:00.000Z"
    assert utc["2027-03-29"][0] == "2027-03-29T07:00:00.000Z"


def test_slots_change_offset_across_the_autumn_dst_switch(sandbox, clock):
    clock.now = datetime(2027, 10, 25, 8, 0, tzinfo=UTC)

    local = slot_starts(sandbox, start="2027-10-29", end="2027-11-01")
    utc = slot_starts(sandbox, start="2027-10-29", end="2027-11-01", timeZone="UTC")

    assert "2027-10-31" not in local
    assert local["2027-10-29"][0] == "2027-10-29T09:00:00.000+02:00"
    assert local["2027-11-01"][0] == "2027-11-01T09:00:00.000+01:00"
    assert utc["2027-10-29"][0] == "2027-10-29T07:00:00.000Z"
    assert utc["2027-11-01"][0] == "2027-11-01T08:00:00.000Z"


def test_range_format_adds_the_slot_end(sandbox):
    response = slots(sandbox, start="2027-03-23", end="2027-03-23", format="range", duration=60)

    first = response.json()["data"]["2027-03-23"][0]
    assert first == {"start": "2027-03-23T09:00:00.000+01:00", "end": "2027-03-23T10:00:00.000+01:00"}


def test_slots_stop_at_the_booking_window(sandbox):
    days = slot_starts(sandbox, start="2027-05-19", end="2027-05-25")

    assert sorted(days) == ["2027-05-19", "2027-05-20", "2027-05-21"]  # 22 Mar + 60 days


def test_booked_slot_disappears_from_slots(sandbox):
    booked(sandbox, "2027-03-23T09:00:00Z")

    days = slot_starts(sandbox, start="2027-03-23", end="2027-03-23")
    assert "2027-03-23T10:00:00.000+01:00" not in days["2027-03-23"]
    assert "2027-03-23T10:30:00.000+01:00" in days["2027-03-23"]


def test_pending_bookings_block_their_slot_too(sandbox):
    booked(sandbox, "2027-03-23T09:00:00Z", 2001)

    days = slot_starts(sandbox, eventTypeId=2001, start="2027-03-23", end="2027-03-23")
    assert "2027-03-23T10:00:00.000+01:00" not in days["2027-03-23"]


def test_slots_for_a_reschedule_show_the_own_slot_as_free(sandbox):
    booking = booked(sandbox, "2027-03-23T09:00:00Z")

    days = slot_starts(sandbox, start="2027-03-23", end="2027-03-23", bookingUidToReschedule=booking["uid"])
    assert "2027-03-23T10:00:00.000+01:00" in days["2027-03-23"]


def test_slots_of_an_unknown_event_type_are_404(sandbox):
    response = slots(sandbox, eventTypeId=999, start="2027-03-23", end="2027-03-23")

    assert response.status_code == 404
    assert error_message(response) == "Event type with id 999 not found."


# -- versions and auth --------------------------------------------------------------------------


def test_a_valid_but_wrong_version_is_404_like_an_unmatched_route(sandbox):
    response = requests.post(f"{sandbox.base_url}/bookings", json={}, headers=headers(SLOTS), timeout=5)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFoundException"
    assert error_message(response) == "Cannot POST /v2/bookings"


@pytest.mark.parametrize("version", [None, "2026-02-25"])
def test_a_missing_or_unknown_version_is_refused_not_silently_downgraded(sandbox, version):
    response = requests.get(f"{sandbox.base_url}/bookings", headers=headers(version), timeout=5)

    assert response.status_code == 400
    assert "refuses that fallback" in error_message(response)
    assert "2024-08-13" in error_message(response)


def test_teams_endpoints_accept_any_version(sandbox):
    response = requests.get(f"{sandbox.base_url}/teams/39203/event-types", headers=headers(None), timeout=5)

    assert response.status_code == 200


def test_a_wrong_key_is_401(sandbox):
    response = requests.get(
        f"{sandbox.base_url}/event-types",
        headers=headers(EVENT_TYPES, key="cal_live_someone_else"),
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UnauthorizedException"
    assert response.headers["X-Request-Id"]


def test_listing_bookings_needs_a_key(sandbox):
    response = requests.get(f"{sandbox.base_url}/bookings", headers=headers(BOOKINGS, key=None), timeout=5)

    assert response.status_code == 401


def test_a_sandbox_without_a_key_accepts_any_bearer_key(clock):
    with start_sandbox(clock=clock) as open_sandbox:
        response = requests.get(
            f"{open_sandbox.base_url}/event-types", headers=headers(EVENT_TYPES, key="whatever"), timeout=5
        )

    assert response.status_code == 200


# -- event types --------------------------------------------------------------------------------


def test_personal_event_types_leave_out_team_event_types(sandbox):
    response = requests.get(f"{sandbox.base_url}/event-types", headers=headers(EVENT_TYPES), timeout=5)

    found = {et["id"]: et for et in response.json()["data"]}
    assert sorted(found) == [1001, 1002]
    assert found[1001]["lengthInMinutes"] == 30
    assert found[1002]["title"] == "Haarschnitt"


def test_team_event_types_carry_team_hosts_and_scheduling(sandbox):
    response = requests.get(
        f"{sandbox.base_url}/teams/39203/event-types", headers=headers(EVENT_TYPES), timeout=5
    )

    (team_type,) = response.json()["data"]
    assert team_type["id"] == 2001
    assert team_type["teamId"] == 39203
    assert team_type["schedulingType"] == "collective"
    assert [host["userId"] for host in team_type["hosts"]] == [9, 10]
    assert team_type["lengthInMinutes"] == 60


def test_one_event_type_by_id(sandbox):
    response = requests.get(f"{sandbox.base_url}/event-types/1002", headers=headers(EVENT_TYPES), timeout=5)

    assert response.json()["data"]["slug"] == "haarschnitt"


# -- create -------------------------------------------------------------------------------------


def test_create_returns_the_booking_output(sandbox):
    response = book(
        sandbox,
        "2027-03-23T09:00:00Z",
        bookingFieldsResponses={"notes": "Knie"},
        location={"type": "attendeePhone", "phone": "+4915112345678"},
    )

    assert response.status_code == 201
    assert response.json()["status"] == "success"
    data = response.json()["data"]
    assert data["status"] == "accepted"
    assert (data["start"], data["end"]) == ("2027-03-23T09:00:00.000Z", "2027-03-23T09:30:00.000Z")
    assert data["duration"] == 30
    assert data["eventType"] == {"id": 1001, "slug": "beratung"}
    assert data["metadata"] == {"callId": "call-1"}
    assert data["attendees"][0]["email"] == "alice@example.com"
    assert data["hosts"][0]["id"] == 7
    assert data["location"] == "+4915112345678"
    assert data["bookingFieldsResponses"]["notes"] == "Knie"
    assert data["createdAt"] == "2027-03-22T08:00:00.000Z"
    assert response.headers["X-Request-Id"]


def test_confirmation_event_type_books_as_pending(sandbox):
    assert booked(sandbox, "2027-03-23T09:00:00Z", 2001)["status"] == "pending"


def test_booking_a_taken_slot_is_rejected_with_the_real_message(sandbox):
    booked(sandbox, "2027-03-23T09:00:00Z")

    response = book(sandbox, "2027-03-23T09:00:00Z")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequestException"
    assert error_message(response) == USER_UNAVAILABLE


def test_a_taken_team_slot_names_the_hosts(sandbox):
    booked(sandbox, "2027-03-23T09:00:00Z", 2001)

    response = book(sandbox, "2027-03-23T09:00:00Z", 2001)

    assert error_message(response) == HOSTS_UNAVAILABLE


@pytest.mark.parametrize(
    "start",
    [
        "2027-03-22T08:30:00Z",  # inside the 60-minute notice
        "2027-03-01T09:00:00Z",  # in the past
        "2027-06-01T08:00:00Z",  # beyond the 60-day window
    ],
)
def test_booking_outside_the_period_is_out_of_bounds(sandbox, start):
    response = book(sandbox, start)

    assert response.status_code == 400
    assert error_message(response) == OUT_OF_BOUNDS


@pytest.mark.parametrize("start", ["2027-03-23T03:00:00Z", "2027-03-23T09:10:00Z", "2027-03-28T09:00:00Z"])
def test_a_start_off_the_slot_grid_is_unavailable(sandbox, start):
    assert error_message(book(sandbox, start)) == USER_UNAVAILABLE


def test_a_phone_only_attendee_gets_the_sms_email(sandbox):
    data = booked(
        sandbox,
        "2027-03-23T09:00:00Z",
        attendee={"name": "Bob", "timeZone": "Europe/Berlin", "phoneNumber": "+49 151 1234567"},
    )

    assert data["attendees"][0]["email"] == "491511234567@sms.cal.com"
    assert data["attendees"][0]["phoneNumber"] == "+49 151 1234567"


def test_no_email_and_no_phone_is_rejected(sandbox):
    response = book(sandbox, "2027-03-23T09:00:00Z", attendee={"name": "Bob", "timeZone": "Europe/Berlin"})

    assert response.status_code == 400
    assert error_message(response) == "Both Phone and Email are missing"


@pytest.mark.parametrize(
    "metadata",
    [
        {f"key{number}": "x" for number in range(51)},
        {"k" * 41: "x"},
        {"callId": "x" * 501},
    ],
)
def test_metadata_over_the_limits_is_rejected(sandbox, metadata):
    response = book(sandbox, "2027-03-23T09:00:00Z", metadata=metadata)

    assert response.status_code == 400
    assert "at most 50 keys" in error_message(response)


def test_missing_required_fields_are_listed_like_dto_validation(sandbox):
    response = post(sandbox, "/bookings", {"eventTypeId": 1001})

    assert response.status_code == 400
    messages = response.json()["error"]["details"]["message"]
    assert "start must be a valid ISO 8601 date string" in messages
    assert "attendee must be an object" in messages


def test_a_length_for_a_single_length_event_type_is_rejected(sandbox):
    response = book(sandbox, "2027-03-23T09:00:00Z", 1002, lengthInMinutes=45)

    assert response.status_code == 400
    assert "does not have multiple possible lengths" in error_message(response)


def test_a_location_the_event_type_lacks_is_rejected(sandbox):
    response = book(
        sandbox, "2027-03-23T09:00:00Z", 1002, location={"type": "attendeePhone", "phone": "+4915112345678"}
    )

    assert response.status_code == 400
    assert "not valid for event type with id=1002" in error_message(response)


def test_concurrent_bookings_of_one_slot_succeed_once(sandbox):
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: book(sandbox, "2027-03-23T09:00:00Z").status_code, range(8)))

    assert sorted(statuses) == [201] + [400] * 7


def test_a_custom_round_robin_calendar_gives_each_booking_a_free_host(clock):
    round_robin = EventTypeConfig(
        3001, "erstgespraech", "Erstgespräch", 30, TEAM_HOSTS, team=TEAM_PRAXIS, scheduling_type="roundRobin"
    )
    calendar = SandboxCalendar(event_types=(round_robin,), minimum_notice_minutes=0, clock=clock)

    with start_sandbox(calendar=calendar) as custom:
        first = booked(custom, "2027-03-22T08:00:00Z", 3001)  # 09:00 in Berlin, right now
        second = booked(custom, "2027-03-22T08:00:00Z", 3001)
        third = book(custom, "2027-03-22T08:00:00Z", 3001)

    assert [first["hosts"][0]["id"], second["hosts"][0]["id"]] == [9, 10]
    assert error_message(third) == HOSTS_UNAVAILABLE


def test_the_same_seed_gives_the_same_uids(clock):
    uids = []
    for _ in range(2):
        with start_sandbox(clock=clock, seed=42) as seeded:
            uids.append(booked(seeded, "2027-03-23T09:00:00Z")["uid"])

    assert uids[0] == uids[1]


# -- read ---------------------------------------------------------------------------------------


def test_get_one_booking_by_uid(sandbox):
    uid = booked(sandbox, "2027-03-23T09:00:00Z")["uid"]

    response = requests.get(f"{sandbox.base_url}/bookings/{uid}", headers=headers(BOOKINGS), timeout=5)

    assert response.json()["data"]["uid"] == uid


def test_an_unknown_uid_is_404(sandbox):
    response = requests.get(f"{sandbox.base_url}/bookings/nope", headers=headers(BOOKINGS), timeout=5)

    assert response.status_code == 404
    assert error_message(response) == "Booking with uid=nope was not found in the database"


def test_list_filters_by_event_type_time_window_and_attendee(sandbox):
    first = booked(sandbox, "2027-03-23T09:00:00Z")
    booked(sandbox, "2027-03-24T08:00:00Z", 1002)
    other = {"name": "Bob", "email": "bob@example.com", "timeZone": "Europe/Berlin"}
    third = booked(sandbox, "2027-03-25T09:00:00Z", attendee=other)

    def uids(**params):
        return [booking["uid"] for booking in list_bookings(sandbox, **params)["data"]]

    assert uids(eventTypeId=1001) == [first["uid"], third["uid"]]
    assert uids(afterStart="2027-03-25T00:00:00Z", beforeEnd="2027-03-25T23:59:59Z") == [third["uid"]]
    assert uids(attendeeEmail="BOB@example.com") == [third["uid"]]
    assert uids(eventTypeId=1001, attendeeEmail="alice@example.com") == [first["uid"]]


def test_list_pages_like_the_real_pagination_object(sandbox):
    for day in (23, 24, 25):
        booked(sandbox, f"2027-03-{day}T09:00:00Z")

    first_page = list_bookings(sandbox, take=2)
    last_page = list_bookings(sandbox, take=2, skip=2)

    assert len(first_page["data"]) == 2
    assert first_page["pagination"] == {
        "totalItems": 3,
        "remainingItems": 1,
        "returnedItems": 2,
        "itemsPerPage": 2,
        "currentPage": 1,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    assert last_page["pagination"] == {
        "totalItems": 3,
        "remainingItems": 0,
        "returnedItems": 1,
        "itemsPerPage": 2,
        "currentPage": 2,
        "totalPages": 2,
        "hasNextPage": False,
        "hasPreviousPage": True,
    }


def test_list_filters_by_status(sandbox):
    accepted = booked(sandbox, "2027-03-23T09:00:00Z")
    pending = booked(sandbox, "2027-03-23T09:00:00Z", 2001)
    cancelled = booked(sandbox, "2027-03-24T09:00:00Z")
    post(sandbox, f"/bookings/{cancelled['uid']}/cancel", {"cancellationReason": "Caller"})

    def uids(status):
        return {booking["uid"] for booking in list_bookings(sandbox, status=status)["data"]}

    assert uids("upcoming") == {accepted["uid"], pending["uid"]}
    assert uids("unconfirmed") == {pending["uid"]}
    assert uids("cancelled") == {cancelled["uid"]}


# -- reschedule and cancel ----------------------------------------------------------------------


def test_reschedule_makes_a_new_booking_and_cancels_the_old(sandbox):
    old = booked(sandbox, "2027-03-23T09:00:00Z")

    response = post(
        sandbox,
        f"/bookings/{old['uid']}/reschedule",
        {"start": "2027-03-24T10:00:00Z", "reschedulingReason": "Caller asked"},
    )

    assert response.status_code == 201
    new = response.json()["data"]
    assert new["uid"] != old["uid"]
    assert new["rescheduledFromUid"] == old["uid"]
    assert new["start"] == "2027-03-24T10:00:00.000Z"
    assert new["metadata"] == {"callId": "call-1"}
    old_now = list_bookings(sandbox, bookingUid=old["uid"])["data"][0]
    assert old_now["status"] == "cancelled"
    assert old_now["rescheduledToUid"] == new["uid"]


def test_reschedule_may_overlap_the_booking_it_replaces(sandbox):
    old = booked(sandbox, "2027-03-23T09:00:00Z", lengthInMinutes=60)

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": "2027-03-23T09:30:00Z"})

    assert response.status_code == 201, response.text
    assert response.json()["data"]["duration"] == 60


def test_reschedule_into_a_taken_slot_is_rejected(sandbox):
    booked(sandbox, "2027-03-23T10:00:00Z")
    old = booked(sandbox, "2027-03-23T09:00:00Z")

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": "2027-03-23T10:00:00Z"})

    assert error_message(response) == USER_UNAVAILABLE


def test_a_cancelled_booking_cannot_be_rescheduled(sandbox):
    old = booked(sandbox, "2027-03-23T09:00:00Z")
    post(sandbox, f"/bookings/{old['uid']}/cancel", {"cancellationReason": "Caller"})

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": "2027-03-24T10:00:00Z"})

    assert response.status_code == 400
    assert error_message(response) == "cancelled_bookings_cannot_be_rescheduled"


def test_cancel_frees_the_slot(sandbox):
    booking = booked(sandbox, "2027-03-23T09:00:00Z")

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller cancelled"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "cancelled"
    assert data["cancellationReason"] == "Caller cancelled"
    assert book(sandbox, "2027-03-23T09:00:00Z").status_code == 201


@pytest.mark.parametrize("body", [{}, {"cancellationReason": "  "}])
def test_the_host_must_give_a_reason_and_gets_the_bare_error_shape(sandbox, body):
    booking = booked(sandbox, "2027-03-23T09:00:00Z")

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", body)

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": "Cancellation reason is required when you are the host",
    }


def test_an_anonymous_attendee_may_cancel_without_a_reason(sandbox):
    booking = booked(sandbox, "2027-03-23T09:00:00Z")

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {}, key=None)

    assert response.status_code == 200


def test_cancelling_twice_is_rejected(sandbox):
    booking = booked(sandbox, "2027-03-23T09:00:00Z")
    post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller"})

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Again"})

    assert response.status_code == 400
    assert error_message(response) == "This booking has already been cancelled."


# -- rate limit and faults ----------------------------------------------------------------------


def test_the_request_after_the_limit_is_429_with_throttler_headers(clock):
    with start_sandbox(clock=clock, rate_limit=3) as limited:
        responses = [slots(limited, start="2027-03-23", end="2027-03-23") for _ in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert responses[0].headers["X-RateLimit-Limit-Default"] == "3"
    assert responses[0].headers["X-RateLimit-Remaining-Default"] == "2"
    assert 0 < int(responses[3].headers["X-RateLimit-Reset-Default"]) <= 60
    assert responses[3].json()["error"] == {
        "code": "ThrottlerException",
        "message": "CustomThrottlerGuard - Too many requests. Please try again later.",
        "details": {
            "message": "CustomThrottlerGuard - Too many requests. Please try again later.",
            "error": "Too Many Requests",
            "statusCode": 429,
        },
    }


def test_error_rate_one_answers_every_request_with_500(clock):
    with start_sandbox(clock=clock, error_rate=1.0) as failing:
        response = book(failing, "2027-03-23T09:00:00Z")
        assert failing.bookings.all() == []

    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "message": "There was an error, please try again later.",
    }


def test_a_create_that_times_out_still_books(clock):
    with start_sandbox(clock=clock, create_then_timeout_rate=1.0, hang_seconds=3) as hanging:
        with pytest.raises(requests.exceptions.ReadTimeout):
            book(hanging, "2027-03-23T09:00:00Z", timeout=0.3)

        found = list_bookings(
            hanging,
            attendeeEmail="alice@example.com",
            afterStart="2027-03-23T00:00:00Z",
            beforeEnd="2027-03-23T23:59:59Z",
        )

    assert [booking["metadata"]["callId"] for booking in found["data"]] == ["call-1"]


def test_latency_delays_every_answer(clock):
    with start_sandbox(clock=clock, latency_ms=200) as slow:
        response = slots(slow, start="2027-03-23", end="2027-03-23")

    assert response.elapsed.total_seconds() >= 0.2


def test_the_command_refuses_a_rate_above_one():
    with pytest.raises(CommandError, match="error_rate"):
        call_command("calcom_sandbox", "--port", "0", "--error-rate", "2")
