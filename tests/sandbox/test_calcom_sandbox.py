"""The local Cal.com sandbox behaves like API v2 as the contract describes it.

Every test talks HTTP to an in-process sandbox on a free port (conftest.py). The sandbox runs on
its own clock, fixed at 09:00 in Berlin on the first Monday at least a day after the pinned now,
so slots and bounds are deterministic; every day a test names is counted from that Monday
(`day(TUE)`, tests/sandbox/helpers.py).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta

import pytest
import requests
from django.core.management import CommandError, call_command

from sandbox.bookings import HOSTS_UNAVAILABLE, OUT_OF_BOUNDS, USER_UNAVAILABLE
from sandbox.schedule import TEAM_HOSTS, TEAM_PRAXIS, EventTypeConfig, SandboxCalendar
from sandbox.server import start_sandbox
from tests import timeline
from tests.sandbox.helpers import (
    AUCKLAND,
    BERLIN,
    BOOKINGS,
    EVENT_TYPES,
    MON,
    NEW_YORK,
    SAT,
    SLOTS,
    SUN,
    THU,
    TUE,
    WED,
    book,
    booked,
    day,
    error_message,
    headers,
    iso,
    list_bookings,
    post,
    shown,
    slot_starts,
    slots,
    stored,
    wall,
)

# -- slots --------------------------------------------------------------------------------------


def test_slots_follow_working_hours_and_the_minimum_notice(sandbox):
    days = slot_starts(sandbox, start=day(MON), end=day(SAT))

    # Monday: it is 09:00 in Berlin, so the 60-minute notice leaves 10:00 as the first slot.
    assert days[iso(MON)][0] == shown(wall(MON, "10:00"))
    assert days[iso(TUE)][0] == shown(wall(TUE, "09:00"))
    assert days[iso(TUE)][-1] == shown(wall(TUE, "16:30"))
    assert len(days[iso(TUE)]) == 16
    assert days[iso(SAT)] == [
        shown(wall(SAT, hhmm))
        for hhmm in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30")
    ]


def test_slots_step_by_the_event_length(sandbox):
    days = slot_starts(sandbox, eventTypeId=1002, start=day(TUE), end=day(TUE))

    assert days[iso(TUE)][:3] == [
        shown(wall(TUE, "09:00")),
        shown(wall(TUE, "09:45")),
        shown(wall(TUE, "10:30")),
    ]
    assert days[iso(TUE)][-1] == shown(wall(TUE, "15:45"))  # 16:30 would end 17:15


def test_slot_times_carry_the_offset_of_the_requested_time_zone(sandbox):
    in_utc = slot_starts(sandbox, start=day(TUE), end=day(TUE), timeZone="UTC")
    in_new_york = slot_starts(sandbox, start=day(TUE), end=day(TUE), timeZone="America/New_York")

    assert in_utc[iso(TUE)][0] == shown(wall(TUE, "09:00"), UTC)
    assert in_new_york[iso(TUE)][0] == shown(wall(TUE, "09:00"), NEW_YORK)


def test_slot_dates_are_keyed_in_the_requested_time_zone(sandbox):
    days = slot_starts(sandbox, start=day(TUE), end=day(TUE), timeZone="Pacific/Auckland")

    # Auckland is 10 to 12 hours ahead of Berlin: 16:30 there is past midnight, the next morning.
    assert days[iso(TUE)][0] == shown(wall(TUE, "09:00"), AUCKLAND)
    assert days[iso(WED)][-1] == shown(wall(TUE, "16:30"), AUCKLAND)


def test_date_only_window_means_the_whole_utc_day(sandbox):
    days = slot_starts(sandbox, start=day(TUE), end=day(TUE), timeZone="UTC")
    narrow = slot_starts(sandbox, start=wall(TUE, "10:00", UTC), end=wall(TUE, "11:00", UTC), timeZone="UTC")

    assert list(days) == [iso(TUE)]
    assert narrow == {iso(TUE): [shown(wall(TUE, hhmm, UTC), UTC) for hhmm in ("10:00", "10:30", "11:00")]}


def dst_week(*, forward: bool) -> tuple[date, date, date, date]:
    """(its Monday, the Friday before, the switch Sunday, the Monday after) of the week in which
    Berlin next springs forward (or falls back) after the pinned now."""
    switch = timeline.next_offset_change(timeline.now(), forward=forward)
    sunday = switch.astimezone(BERLIN).date()
    assert sunday.weekday() == 6, sunday  # the EU switches on the last Sunday of March / October
    return sunday - timedelta(days=6), sunday - timedelta(days=2), sunday, sunday + timedelta(days=1)


def test_slots_change_offset_across_the_spring_dst_switch(sandbox, clock):
    monday, friday, sunday, next_monday = dst_week(forward=True)
    clock.now = timeline.at(monday, "09:00")

    local = slot_starts(sandbox, start=friday, end=next_monday)
    utc = slot_starts(sandbox, start=friday, end=next_monday, timeZone="UTC")

    assert sunday.isoformat() not in local  # Sunday, the switch day, is closed
    assert local[friday.isoformat()][0] == f"{friday}T09:00:00.000+01:00"
    assert local[next_monday.isoformat()][0] == f"{next_monday}T09:00:00.000+02:00"
    assert utc[friday.isoformat()][0] == f"{friday}T08:00:00.000Z"
    assert utc[next_monday.isoformat()][0] == f"{next_monday}T07:00:00.000Z"


def test_slots_change_offset_across_the_autumn_dst_switch(sandbox, clock):
    monday, friday, sunday, next_monday = dst_week(forward=False)
    clock.now = timeline.at(monday, "09:00")

    local = slot_starts(sandbox, start=friday, end=next_monday)
    utc = slot_starts(sandbox, start=friday, end=next_monday, timeZone="UTC")

    assert sunday.isoformat() not in local
    assert local[friday.isoformat()][0] == f"{friday}T09:00:00.000+02:00"
    assert local[next_monday.isoformat()][0] == f"{next_monday}T09:00:00.000+01:00"
    assert utc[friday.isoformat()][0] == f"{friday}T07:00:00.000Z"
    assert utc[next_monday.isoformat()][0] == f"{next_monday}T08:00:00.000Z"


def test_range_format_adds_the_slot_end(sandbox):
    response = slots(sandbox, start=day(TUE), end=day(TUE), format="range", duration=60)

    first = response.json()["data"][iso(TUE)][0]
    assert first == {"start": shown(wall(TUE, "09:00")), "end": shown(wall(TUE, "10:00"))}


def test_slots_stop_at_the_booking_window(sandbox):
    days = slot_starts(sandbox, start=day(MON + 58), end=day(MON + 64))

    # The clock's Monday + 60 days is a Friday, the last bookable day.
    assert sorted(days) == [iso(MON + 58), iso(MON + 59), iso(MON + 60)]


def test_booked_slot_disappears_from_slots(sandbox):
    booked(sandbox, wall(TUE, "10:00"))

    days = slot_starts(sandbox, start=day(TUE), end=day(TUE))
    assert shown(wall(TUE, "10:00")) not in days[iso(TUE)]
    assert shown(wall(TUE, "10:30")) in days[iso(TUE)]


def test_pending_bookings_block_their_slot_too(sandbox):
    booked(sandbox, wall(TUE, "10:00"), 2001)

    days = slot_starts(sandbox, eventTypeId=2001, start=day(TUE), end=day(TUE))
    assert shown(wall(TUE, "10:00")) not in days[iso(TUE)]


def test_slots_for_a_reschedule_show_the_own_slot_as_free(sandbox):
    booking = booked(sandbox, wall(TUE, "10:00"))

    days = slot_starts(sandbox, start=day(TUE), end=day(TUE), bookingUidToReschedule=booking["uid"])
    assert shown(wall(TUE, "10:00")) in days[iso(TUE)]


def test_slots_of_an_unknown_event_type_are_404(sandbox):
    response = slots(sandbox, eventTypeId=999, start=day(TUE), end=day(TUE))

    assert response.status_code == 404
    assert error_message(response) == "Event type with id 999 not found."


# -- versions and auth --------------------------------------------------------------------------


def test_a_valid_but_wrong_version_is_404_like_an_unmatched_route(sandbox):
    response = requests.post(f"{sandbox.base_url}/bookings", json={}, headers=headers(SLOTS), timeout=5)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFoundException"
    assert error_message(response) == "Cannot POST /v2/bookings"


@pytest.mark.parametrize("version", [None, "2026-02-25"])  # an unknown cal-api-version value
def test_a_missing_or_unknown_version_is_refused_not_silently_downgraded(sandbox, version):
    response = requests.get(f"{sandbox.base_url}/bookings", headers=headers(version), timeout=5)

    assert response.status_code == 400
    assert "refuses that fallback" in error_message(response)
    assert BOOKINGS in error_message(response)


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


def test_create_returns_the_booking_output(sandbox, clock):
    start = wall(TUE, "10:00")
    response = book(
        sandbox,
        start,
        bookingFieldsResponses={"notes": "Knie"},
        location={"type": "attendeePhone", "phone": "+4915112345678"},
    )

    assert response.status_code == 201
    assert response.json()["status"] == "success"
    data = response.json()["data"]
    assert data["status"] == "accepted"
    assert (data["start"], data["end"]) == (stored(start), stored(start + timedelta(minutes=30)))
    assert data["duration"] == 30
    assert data["eventType"] == {"id": 1001, "slug": "beratung"}
    assert data["metadata"] == {"callId": "call-1"}
    assert data["attendees"][0]["email"] == "alice@example.com"
    assert data["hosts"][0]["id"] == 7
    assert data["location"] == "+4915112345678"
    assert data["bookingFieldsResponses"]["notes"] == "Knie"
    assert data["createdAt"] == stored(clock.now)
    assert response.headers["X-Request-Id"]


def test_confirmation_event_type_books_as_pending(sandbox):
    assert booked(sandbox, wall(TUE, "10:00"), 2001)["status"] == "pending"


def test_booking_a_taken_slot_is_rejected_with_the_real_message(sandbox):
    booked(sandbox, wall(TUE, "10:00"))

    response = book(sandbox, wall(TUE, "10:00"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequestException"
    assert error_message(response) == USER_UNAVAILABLE


def test_a_taken_team_slot_names_the_hosts(sandbox):
    booked(sandbox, wall(TUE, "10:00"), 2001)

    response = book(sandbox, wall(TUE, "10:00"), 2001)

    assert error_message(response) == HOSTS_UNAVAILABLE


@pytest.mark.parametrize(
    ("offset", "hhmm"),
    [
        (MON, "09:30"),  # inside the 60-minute notice
        (MON - 21, "10:00"),  # in the past
        (MON + 71, "10:00"),  # beyond the 60-day window
    ],
    ids=["inside-the-notice", "in-the-past", "beyond-the-window"],
)
def test_booking_outside_the_period_is_out_of_bounds(sandbox, offset, hhmm):
    response = book(sandbox, wall(offset, hhmm))

    assert response.status_code == 400
    assert error_message(response) == OUT_OF_BOUNDS


@pytest.mark.parametrize(
    ("offset", "hhmm"),
    [(TUE, "04:00"), (TUE, "10:10"), (SUN, "10:00")],
    ids=["before-opening", "off-the-grid", "closed-sunday"],
)
def test_a_start_off_the_slot_grid_is_unavailable(sandbox, offset, hhmm):
    assert error_message(book(sandbox, wall(offset, hhmm))) == USER_UNAVAILABLE


def test_a_phone_only_attendee_gets_the_sms_email(sandbox):
    data = booked(
        sandbox,
        wall(TUE, "10:00"),
        attendee={"name": "Bob", "timeZone": "Europe/Berlin", "phoneNumber": "+49 151 1234567"},
    )

    assert data["attendees"][0]["email"] == "491511234567@sms.cal.com"
    assert data["attendees"][0]["phoneNumber"] == "+49 151 1234567"


def test_no_email_and_no_phone_is_rejected(sandbox):
    response = book(sandbox, wall(TUE, "10:00"), attendee={"name": "Bob", "timeZone": "Europe/Berlin"})

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
    response = book(sandbox, wall(TUE, "10:00"), metadata=metadata)

    assert response.status_code == 400
    assert "at most 50 keys" in error_message(response)


def test_missing_required_fields_are_listed_like_dto_validation(sandbox):
    response = post(sandbox, "/bookings", {"eventTypeId": 1001})

    assert response.status_code == 400
    messages = response.json()["error"]["details"]["message"]
    assert "start must be a valid ISO 8601 date string" in messages
    assert "attendee must be an object" in messages


def test_a_length_for_a_single_length_event_type_is_rejected(sandbox):
    response = book(sandbox, wall(TUE, "10:00"), 1002, lengthInMinutes=45)

    assert response.status_code == 400
    assert "does not have multiple possible lengths" in error_message(response)


def test_a_location_the_event_type_lacks_is_rejected(sandbox):
    response = book(
        sandbox, wall(TUE, "10:00"), 1002, location={"type": "attendeePhone", "phone": "+4915112345678"}
    )

    assert response.status_code == 400
    assert "not valid for event type with id=1002" in error_message(response)


def test_concurrent_bookings_of_one_slot_succeed_once(sandbox):
    start = wall(TUE, "10:00")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: book(sandbox, start).status_code, range(8)))

    assert sorted(statuses) == [201] + [400] * 7


def test_a_custom_round_robin_calendar_gives_each_booking_a_free_host(clock):
    round_robin = EventTypeConfig(
        3001, "erstgespraech", "Erstgespräch", 30, TEAM_HOSTS, team=TEAM_PRAXIS, scheduling_type="roundRobin"
    )
    calendar = SandboxCalendar(event_types=(round_robin,), minimum_notice_minutes=0, clock=clock)

    with start_sandbox(calendar=calendar) as custom:
        first = booked(custom, clock.now, 3001)  # 09:00 in Berlin, right now
        second = booked(custom, clock.now, 3001)
        third = book(custom, clock.now, 3001)

    assert [first["hosts"][0]["id"], second["hosts"][0]["id"]] == [9, 10]
    assert error_message(third) == HOSTS_UNAVAILABLE


def test_the_same_seed_gives_the_same_uids(clock):
    uids = []
    for _ in range(2):
        with start_sandbox(clock=clock, seed=42) as seeded:
            uids.append(booked(seeded, wall(TUE, "10:00"))["uid"])

    assert uids[0] == uids[1]


# -- read ---------------------------------------------------------------------------------------


def test_get_one_booking_by_uid(sandbox):
    uid = booked(sandbox, wall(TUE, "10:00"))["uid"]

    response = requests.get(f"{sandbox.base_url}/bookings/{uid}", headers=headers(BOOKINGS), timeout=5)

    assert response.json()["data"]["uid"] == uid


def test_an_unknown_uid_is_404(sandbox):
    response = requests.get(f"{sandbox.base_url}/bookings/nope", headers=headers(BOOKINGS), timeout=5)

    assert response.status_code == 404
    assert error_message(response) == "Booking with uid=nope was not found in the database"


def test_list_filters_by_event_type_time_window_and_attendee(sandbox):
    first = booked(sandbox, wall(TUE, "10:00"))
    booked(sandbox, wall(WED, "09:00"), 1002)
    other = {"name": "Bob", "email": "bob@example.com", "timeZone": "Europe/Berlin"}
    third = booked(sandbox, wall(THU, "10:00"), attendee=other)

    def uids(**params):
        return [booking["uid"] for booking in list_bookings(sandbox, **params)["data"]]

    assert uids(eventTypeId=1001) == [first["uid"], third["uid"]]
    assert uids(afterStart=wall(THU, "00:00", UTC), beforeEnd=wall(THU, "23:59:59", UTC)) == [third["uid"]]
    assert uids(attendeeEmail="BOB@example.com") == [third["uid"]]
    assert uids(eventTypeId=1001, attendeeEmail="alice@example.com") == [first["uid"]]


def test_list_pages_like_the_real_pagination_object(sandbox):
    for offset in (TUE, WED, THU):
        booked(sandbox, wall(offset, "10:00"))

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
    accepted = booked(sandbox, wall(TUE, "10:00"))
    pending = booked(sandbox, wall(TUE, "10:00"), 2001)
    cancelled = booked(sandbox, wall(WED, "10:00"))
    post(sandbox, f"/bookings/{cancelled['uid']}/cancel", {"cancellationReason": "Caller"})

    def uids(status):
        return {booking["uid"] for booking in list_bookings(sandbox, status=status)["data"]}

    assert uids("upcoming") == {accepted["uid"], pending["uid"]}
    assert uids("unconfirmed") == {pending["uid"]}
    assert uids("cancelled") == {cancelled["uid"]}


# -- reschedule and cancel ----------------------------------------------------------------------


def test_reschedule_makes_a_new_booking_and_cancels_the_old(sandbox):
    old = booked(sandbox, wall(TUE, "10:00"))

    response = post(
        sandbox,
        f"/bookings/{old['uid']}/reschedule",
        {"start": wall(WED, "11:00"), "reschedulingReason": "Caller asked"},
    )

    assert response.status_code == 201
    new = response.json()["data"]
    assert new["uid"] != old["uid"]
    assert new["rescheduledFromUid"] == old["uid"]
    assert new["start"] == stored(wall(WED, "11:00"))
    assert new["metadata"] == {"callId": "call-1"}
    old_now = list_bookings(sandbox, bookingUid=old["uid"])["data"][0]
    assert old_now["status"] == "cancelled"
    assert old_now["rescheduledToUid"] == new["uid"]


def test_reschedule_may_overlap_the_booking_it_replaces(sandbox):
    old = booked(sandbox, wall(TUE, "10:00"), lengthInMinutes=60)

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": wall(TUE, "10:30")})

    assert response.status_code == 201, response.text
    assert response.json()["data"]["duration"] == 60


def test_reschedule_into_a_taken_slot_is_rejected(sandbox):
    booked(sandbox, wall(TUE, "11:00"))
    old = booked(sandbox, wall(TUE, "10:00"))

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": wall(TUE, "11:00")})

    assert error_message(response) == USER_UNAVAILABLE


def test_a_cancelled_booking_cannot_be_rescheduled(sandbox):
    old = booked(sandbox, wall(TUE, "10:00"))
    post(sandbox, f"/bookings/{old['uid']}/cancel", {"cancellationReason": "Caller"})

    response = post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": wall(WED, "11:00")})

    assert response.status_code == 400
    assert error_message(response) == "cancelled_bookings_cannot_be_rescheduled"


def test_cancel_frees_the_slot(sandbox):
    booking = booked(sandbox, wall(TUE, "10:00"))

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller cancelled"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "cancelled"
    assert data["cancellationReason"] == "Caller cancelled"
    assert book(sandbox, wall(TUE, "10:00")).status_code == 201


@pytest.mark.parametrize("body", [{}, {"cancellationReason": "  "}])
def test_the_host_must_give_a_reason_and_gets_the_bare_error_shape(sandbox, body):
    booking = booked(sandbox, wall(TUE, "10:00"))

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", body)

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": "Cancellation reason is required when you are the host",
    }


def test_an_anonymous_attendee_may_cancel_without_a_reason(sandbox):
    booking = booked(sandbox, wall(TUE, "10:00"))

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {}, key=None)

    assert response.status_code == 200


def test_cancelling_twice_is_rejected(sandbox):
    booking = booked(sandbox, wall(TUE, "10:00"))
    post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller"})

    response = post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Again"})

    assert response.status_code == 400
    assert error_message(response) == "This booking has already been cancelled."


# -- rate limit and faults ----------------------------------------------------------------------


def test_the_request_after_the_limit_is_429_with_throttler_headers(clock):
    with start_sandbox(clock=clock, rate_limit=3) as limited:
        responses = [slots(limited, start=day(TUE), end=day(TUE)) for _ in range(4)]

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
        response = book(failing, wall(TUE, "10:00"))
        assert failing.bookings.all() == []

    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "message": "There was an error, please try again later.",
    }


def test_a_create_that_times_out_still_books(clock):
    with start_sandbox(clock=clock, create_then_timeout_rate=1.0, hang_seconds=3) as hanging:
        with pytest.raises(requests.exceptions.ReadTimeout):
            book(hanging, wall(TUE, "10:00"), timeout=0.3)

        found = list_bookings(
            hanging,
            attendeeEmail="alice@example.com",
            afterStart=wall(TUE, "00:00", UTC),
            beforeEnd=wall(TUE, "23:59:59", UTC),
        )

    assert [booking["metadata"]["callId"] for booking in found["data"]] == ["call-1"]


def test_latency_delays_every_answer(clock):
    # The pinned clock freezes wall time (response.elapsed is 0): measure on the monotonic clock.
    with start_sandbox(clock=clock, latency_ms=200) as slow:
        started = time.monotonic()
        slots(slow, start=day(TUE), end=day(TUE))
        elapsed = time.monotonic() - started

    assert elapsed >= 0.2


def test_the_command_refuses_a_rate_above_one():
    with pytest.raises(CommandError, match="error_rate"):
        call_command("calcom_sandbox", "--port", "0", "--error-rate", "2")
