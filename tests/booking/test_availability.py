"""Availability (cached, UTC windows for local days) and alternatives near a wish."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from booking.services import check_availability, create_booking, find_alternative_slots
from booking.times import local_day_bounds_utc
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, fixture, slots_range

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    """The clock stands on Monday 2026-11-30, 08:00 UTC."""
    current = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    monkeypatch.setattr("booking.clock.now", lambda: current)
    monkeypatch.setattr("booking.availability.now", lambda: current)
    return current


def _query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_slots_for_local_days_are_asked_for_a_utc_window_and_returned_local(company, calcom):
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    result = check_availability(
        company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01", date_to="2026-12-02"
    )
    query = _query(calcom.calls[0])
    assert query["start"] == "2026-11-30T23:00:00Z"  # local midnight, Berlin in winter
    assert query["end"] == "2026-12-02T23:00:00Z"
    assert (query["eventTypeId"], query["timeZone"]) == (str(EVENT_TYPE_ID), "Europe/Berlin")
    assert calcom.calls[0].request.headers["cal-api-version"] == "2024-09-04"
    assert result["success"] is True
    assert result["date_range"] == {"from": "2026-12-01", "to": "2026-12-02"}
    assert result["timezone"] == "Europe/Berlin" and result["event_type_id"] == EVENT_TYPE_ID
    assert [(s["date"], s["time"]) for s in result["available_slots"]] == [
        ("2026-12-01", "09:00"),
        ("2026-12-01", "09:30"),
        ("2026-12-02", "14:00"),
    ]
    assert result["available_slots"][0]["start"] == "2026-12-01T09:00:00+01:00"
    assert result["cached_until"]


def test_defaults_are_today_plus_seven_days_in_the_branch_timezone(company, calcom):
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    result = check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID)
    assert result["date_range"] == {"from": "2026-11-30", "to": "2026-12-07"}
    assert result["available_slots"] == []


def test_a_cache_hit_makes_no_http_call(company, calcom):
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    first = check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01")
    second = check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01")
    assert len(calcom.calls) == 1
    assert second["available_slots"] == first["available_slots"]
    assert second["cached_until"] == first["cached_until"]


def test_booking_through_us_drops_the_cached_availability(company, calcom):
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01")
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    calcom.add(
        "POST", f"{BASE}/bookings", status=201, json=booking_output(start=start, end=start.replace(minute=30))
    )
    create_booking(
        company_id=company.pk, event_type_id=EVENT_TYPE_ID, start=start, name="Jana", email="jana@example.com"
    )
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    again = check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01")
    assert [c.request.method for c in calcom.calls] == ["GET", "POST", "GET"]
    assert again["available_slots"] == []


def test_cache_is_per_company(company, other_company, calcom):
    calcom.add("GET", f"{BASE}/slots", json=fixture("slots_range"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID, date_from="2026-12-01")
    theirs = check_availability(company_id=other_company.pk, event_type_id=77, date_from="2026-12-01")
    assert theirs["available_slots"] == [] and len(calcom.calls) == 2
    assert calcom.calls[1].request.headers["Authorization"] == "Bearer cal_live_other"


def test_another_companys_event_type_is_not_found(company, other_company, calcom):
    result = check_availability(company_id=company.pk, event_type_id=77)
    assert result["error"] == "configuration_error" and not calcom.calls


@pytest.mark.parametrize(
    ("first", "last", "start", "end"),
    [
        # Spring forward on Sunday 2027-03-28: that day has 23 hours.
        (date(2027, 3, 28), date(2027, 3, 28), "2027-03-27T23:00:00+00:00", "2027-03-28T22:00:00+00:00"),
        # Fall back on Sunday 2027-10-31: 25 hours.
        (date(2027, 10, 31), date(2027, 10, 31), "2027-10-30T22:00:00+00:00", "2027-10-31T23:00:00+00:00"),
        (date(2027, 3, 22), date(2027, 3, 28), "2027-03-21T23:00:00+00:00", "2027-03-28T22:00:00+00:00"),
    ],
)
def test_local_day_windows_are_dst_correct(first, last, start, end):
    window = local_day_bounds_utc(first, last, BERLIN)
    assert (window[0].isoformat(), window[1].isoformat()) == (start, end)


def _slots_around_fall_back():
    """Free slots in the week of the last Sunday of October 2027 (+02:00 until the 31st 03:00)."""
    return slots_range(
        {
            "2027-10-29": [("2027-10-29T09:00:00.000+02:00", "2027-10-29T09:30:00.000+02:00")],
            "2027-10-30": [
                ("2027-10-30T08:00:00.000+02:00", "2027-10-30T08:30:00.000+02:00"),
                ("2027-10-30T11:30:00.000+02:00", "2027-10-30T12:00:00.000+02:00"),
                ("2027-10-30T14:00:00.000+02:00", "2027-10-30T14:30:00.000+02:00"),
            ],
            "2027-11-01": [
                ("2027-11-01T10:00:00.000+01:00", "2027-11-01T10:30:00.000+01:00"),
                ("2027-11-01T16:00:00.000+01:00", "2027-11-01T16:30:00.000+01:00"),
            ],
            "2027-11-02": [("2027-11-02T10:30:00.000+01:00", "2027-11-02T11:00:00.000+01:00")],
        }
    )


def test_alternatives_same_day_nearest_first_then_following_days(company, calcom, _now, monkeypatch):
    monkeypatch.setattr("booking.availability.now", lambda: datetime(2027, 10, 25, tzinfo=UTC))
    monkeypatch.setattr("booking.clock.now", lambda: datetime(2027, 10, 25, tzinfo=UTC))
    calcom.add("GET", f"{BASE}/slots", json=_slots_around_fall_back())
    result = find_alternative_slots(
        company_id=company.pk,
        event_type_id=EVENT_TYPE_ID,
        preferred_start="2027-10-30T11:00:00",
        search_days=7,
        max_alternatives=4,
    )
    query = _query(calcom.calls[0])
    assert query["start"] == "2027-10-29T22:00:00Z"  # the wished day, local midnight (+02:00)
    assert query["end"] == "2027-11-06T23:00:00Z"  # a week later, local midnight (+01:00)
    assert [(a["date"], a["time"], a["days_from_preferred"]) for a in result["alternatives"]] == [
        ("2027-10-30", "11:30", 0),
        ("2027-10-30", "08:00", 0),
        ("2027-10-30", "14:00", 0),
        ("2027-11-01", "10:00", 2),
    ]
    assert result["alternatives"][0]["day_of_week"] == "Saturday"
    assert result["alternatives"][3]["start"] == "2027-11-01T10:00:00+01:00"
    assert result["total_available"] == 6  # the day before the wish is not an alternative
    assert result["search_period"] == {"from": "2027-10-30", "to": "2027-11-06"}
    assert result["preferred_available"] is False
    assert result["message"] == "Found 4 alternative slots."


def test_the_wish_itself_is_reported_free_not_offered(company, calcom, monkeypatch):
    monkeypatch.setattr("booking.availability.now", lambda: datetime(2027, 10, 25, tzinfo=UTC))
    monkeypatch.setattr("booking.clock.now", lambda: datetime(2027, 10, 25, tzinfo=UTC))
    calcom.add("GET", f"{BASE}/slots", json=_slots_around_fall_back())
    result = find_alternative_slots(
        company_id=company.pk,
        event_type_id=EVENT_TYPE_ID,
        preferred_start="2027-11-01T10:00:00+01:00",
        max_alternatives=1,
    )
    assert result["preferred_available"] is True
    assert [(a["date"], a["time"]) for a in result["alternatives"]] == [("2027-11-01", "16:00")]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"search_days": -1}, "search_days"),
        ({"max_alternatives": 0}, "max_alternatives"),
        ({"preferred_start": "soon"}, "ISO"),
    ],
)
def test_alternatives_reject_bad_limits(company, calcom, kwargs, fragment):
    args = {"company_id": company.pk, "event_type_id": EVENT_TYPE_ID, "preferred_start": "2026-12-01T10:00"}
    result = find_alternative_slots(**{**args, **kwargs})
    assert result["error"] == "validation_error" and fragment in result["message"]


def test_cal_com_outage_is_reported_as_service_unavailable(company, calcom, _no_retry_sleep):
    for _ in range(3):
        calcom.add("GET", f"{BASE}/slots", status=502, json={"statusCode": 502, "message": "Bad Gateway"})
    result = check_availability(company_id=company.pk, event_type_id=EVENT_TYPE_ID)
    assert result["error"] == "service_unavailable" and len(_no_retry_sleep) == 2
