"""Availability (cached, UTC windows for local days) and alternatives near a wish."""

from datetime import UTC, datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.services import BookingError, alternatives_find, availability_get, booking_create
from booking.times import local_day_bounds_utc
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, fixture, slots_range
from tests.timeline import BERLIN

pytestmark = pytest.mark.django_db
WINTER, SUMMER = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))  # Berlin's CET / CEST


def _query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_slots_for_local_days_are_asked_for_a_utc_window_and_returned_local(company, branch, calcom):
    day = timeline.booking_day()  # the fixture's slots: that day 09:00 and 09:30, the next 14:00
    following = day + timedelta(days=1)
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    result = availability_get(
        company=company, branch=branch, date_from=day.isoformat(), date_to=following.isoformat()
    )
    query = _query(calcom.calls[0])
    assert query["start"] == timeline.z(timeline.at(day, "00:00"))  # local midnight in Berlin
    assert query["end"] == timeline.z(timeline.at(following + timedelta(days=1), "00:00"))
    assert (query["eventTypeId"], query["timeZone"]) == (str(EVENT_TYPE_ID), "Europe/Berlin")
    assert calcom.calls[0].request.headers["cal-api-version"] == "2024-09-04"
    assert (result.first, result.last) == (day, following)
    assert result.timezone == "Europe/Berlin" and result.event_type_id == EVENT_TYPE_ID
    assert [(s.day, s.hhmm) for s in result.slots] == [
        (day, "09:00"),
        (day, "09:30"),
        (following, "14:00"),
    ]
    assert result.slots[0].start.isoformat() == timeline.at(day, "09:00").isoformat()  # +01:00/+02:00
    assert result.cached_until > timeline.now()


def test_defaults_are_today_plus_seven_days_in_the_branch_timezone(company, branch, calcom):
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    result = availability_get(company=company, branch=branch)
    today = timeline.today()  # Berlin's today, not UTC's
    assert (result.first, result.last) == (today, timeline.days_ahead(7))
    assert result.slots == []


def test_a_cache_hit_makes_no_http_call(company, branch, calcom):
    day = timeline.booking_day().isoformat()
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    first = availability_get(company=company, branch=branch, date_from=day)
    second = availability_get(company=company, branch=branch, date_from=day)
    assert len(calcom.calls) == 1
    assert second.slots == first.slots
    assert second.cached_until == first.cached_until


def test_booking_through_us_drops_the_cached_availability(company, branch, calcom):
    day = timeline.booking_day()
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    availability_get(company=company, branch=branch, date_from=day.isoformat())
    start = timeline.utc(day, "09:00")
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start, end=start + timedelta(minutes=30)),
    )
    booking_create(company=company, branch=branch, start=start, name="Jana", email="jana@example.com")
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    again = availability_get(company=company, branch=branch, date_from=day.isoformat())
    assert [c.request.method for c in calcom.calls] == ["GET", "POST", "GET"]
    # Only the booked day is asked again (and is now full); the week's other days stay cached.
    asked = parse_qs(urlsplit(calcom.calls[2].request.url).query)
    assert (asked["start"], asked["end"]) == (
        [timeline.z(timeline.at(day, "00:00"))],
        [timeline.z(timeline.at(day + timedelta(days=1), "00:00"))],
    )
    assert [s for s in again.slots if s.start.date() == day] == [] and again.slots


def test_cache_is_per_company(company, branch, other_company, calcom):
    day = timeline.booking_day().isoformat()
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    availability_get(company=company, branch=branch, date_from=day)
    theirs = availability_get(company=other_company, branch=other_company.branches.get(), date_from=day)
    assert theirs.slots == [] and len(calcom.calls) == 2
    assert calcom.calls[1].request.headers["Authorization"] == "Bearer cal_live_other"


def test_another_companys_branch_is_refused(company, other_company, calcom):
    with pytest.raises(BookingError) as refused:
        availability_get(company=company, branch=other_company.branches.get())
    assert refused.value.error_type == "configuration_error" and not calcom.calls


def _switch_day(*, forward: bool):
    """The next Sunday Berlin springs forward (or falls back) on, as a local date."""
    return timeline.next_offset_change(timeline.now(), forward=forward).astimezone(BERLIN).date()


def _utc_on(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.mark.parametrize("case", ["spring forward", "fall back", "week up to spring forward"])
def test_local_day_windows_are_dst_correct(case):
    if case == "fall back":
        sunday = _switch_day(forward=False)
        first = last = sunday
        # 25 hours: from midnight at +02:00 to midnight at +01:00.
        start, end = _utc_on(sunday - timedelta(days=1), 22), _utc_on(sunday, 23)
    else:
        sunday = _switch_day(forward=True)
        first, last = (sunday - timedelta(days=6), sunday) if case.startswith("week") else (sunday, sunday)
        # The spring-forward day has 23 hours: from midnight at +01:00 to midnight at +02:00.
        start, end = _utc_on(first - timedelta(days=1), 23), _utc_on(sunday, 22)
    assert sunday.weekday() == 6  # Berlin switches on a Sunday
    window = local_day_bounds_utc(first, last, BERLIN)
    assert (window[0].isoformat(), window[1].isoformat()) == (start.isoformat(), end.isoformat())


@pytest.fixture
def fall_back_week(pinned_clock):
    """The clock stands on the Monday before Berlin next falls back (00:00 UTC); the days around
    that Sunday, by name."""
    sunday = _switch_day(forward=False)
    pinned_clock.move_to(_utc_on(sunday - timedelta(days=6), 0))
    return {
        "friday": sunday - timedelta(days=2),
        "saturday": sunday - timedelta(days=1),
        "sunday": sunday,
        "monday": sunday + timedelta(days=1),
        "tuesday": sunday + timedelta(days=2),
    }


def _slots_around_fall_back(days):
    """Free slots in the week Berlin falls back (+02:00 until the Sunday 03:00, then +01:00)."""

    def slot(day, hhmm):
        begin = timeline.at(days[day], hhmm)
        return (timeline.cal_local(begin), timeline.cal_local(begin + timedelta(minutes=30)))

    return slots_range(
        {
            days["friday"].isoformat(): [slot("friday", "09:00")],
            days["saturday"].isoformat(): [
                slot("saturday", "08:00"),
                slot("saturday", "11:30"),
                slot("saturday", "14:00"),
            ],
            days["monday"].isoformat(): [slot("monday", "10:00"), slot("monday", "16:00")],
            days["tuesday"].isoformat(): [slot("tuesday", "10:30")],
        }
    )


def test_alternatives_same_day_nearest_first_then_following_days(company, branch, calcom, fall_back_week):
    days = fall_back_week
    saturday, monday = days["saturday"], days["monday"]
    calcom.add("GET", f"{BASE}/slots", json=_slots_around_fall_back(days))
    result = alternatives_find(
        company=company,
        branch=branch,
        wish=f"{saturday.isoformat()}T11:00:00",
        search_days=7,
        max_alternatives=4,
    )
    query = _query(calcom.calls[0])
    # the wished day, local midnight (+02:00); a week later, local midnight (+01:00)
    assert query["start"] == timeline.z(timeline.at(saturday, "00:00", SUMMER))
    assert query["end"] == timeline.z(timeline.at(saturday + timedelta(days=8), "00:00", WINTER))
    assert [(a.day, a.hhmm, a.days_from_preferred) for a in result.alternatives] == [
        (saturday, "11:30", 0),
        (saturday, "08:00", 0),
        (saturday, "14:00", 0),
        (monday, "10:00", 2),
    ]
    assert result.alternatives[0].day_of_week == "Saturday"
    assert result.alternatives[3].start.isoformat() == timeline.at(monday, "10:00", WINTER).isoformat()
    assert result.total_available == 6  # the day before the wish is not an alternative
    assert (result.first, result.last) == (saturday, saturday + timedelta(days=7))
    assert result.preferred_available is False
    assert result.message == "Found 4 alternative slots."


def test_the_wish_itself_is_reported_free_not_offered(company, branch, calcom, fall_back_week):
    days = fall_back_week
    calcom.add("GET", f"{BASE}/slots", json=_slots_around_fall_back(days))
    result = alternatives_find(
        company=company,
        branch=branch,
        wish=timeline.at(days["monday"], "10:00", WINTER).isoformat(),
        max_alternatives=1,
    )
    assert result.preferred_available is True
    assert [(a.day, a.hhmm) for a in result.alternatives] == [(days["monday"], "16:00")]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"search_days": -1}, "search_days"),
        ({"max_alternatives": 0}, "max_alternatives"),
        ({"wish": "soon"}, "ISO"),
    ],
)
def test_alternatives_reject_bad_limits(company, branch, calcom, kwargs, fragment):
    wish = f"{timeline.booking_day().isoformat()}T10:00"
    with pytest.raises(BookingError) as refused:
        alternatives_find(**{"company": company, "branch": branch, "wish": wish, **kwargs})
    assert refused.value.error_type == "validation_error" and fragment in refused.value.message


def test_cal_com_outage_is_reported_as_service_unavailable(company, branch, calcom, _no_retry_sleep):
    for _ in range(3):
        calcom.add("GET", f"{BASE}/slots", status=502, json={"statusCode": 502, "message": "Bad Gateway"})
    with pytest.raises(BookingError) as refused:
        availability_get(company=company, branch=branch)
    assert refused.value.error_type == "service_unavailable" and len(_no_retry_sleep) == 2
