"""Availability is cached per local day: a question about any day is answered from what a wider
question fetched, and only the days not known are asked of Cal.com, in one request. The call's
first question is fetched while the phone rings (booking.tasks.prefetch_availability)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.services import availability_get
from booking.tasks import prefetch_availability
from tests import timeline
from tests.calcom_fakes import BASE, slots_range

pytestmark = pytest.mark.django_db


def _free(*days_and_times) -> dict:
    by_day: dict[str, list] = {}
    for day, hhmm in days_and_times:
        start = timeline.utc(day, hhmm)
        by_day.setdefault(day.isoformat(), []).append(
            (timeline.z(start), timeline.z(start + timedelta(minutes=30)))
        )
    return slots_range(by_day)


def _asked_days(call) -> tuple[str, str]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}
    return query["start"], query["end"]


def test_a_day_inside_a_wider_question_is_answered_from_the_cache(company, branch, calcom):
    day = timeline.booking_day()
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "09:00"), (day + timedelta(days=1), "14:00")))
    availability_get(company=company, branch=branch, date_from=day, date_to=day + timedelta(days=3))

    one_day = availability_get(company=company, branch=branch, date_from=day, date_to=day)
    next_day = availability_get(
        company=company, branch=branch, date_from=day + timedelta(days=1), date_to=day + timedelta(days=1)
    )
    full_day = availability_get(
        company=company, branch=branch, date_from=day + timedelta(days=2), date_to=day + timedelta(days=2)
    )

    assert len(calcom.calls) == 1
    assert [s.hhmm for s in one_day.slots] == ["09:00"]
    assert [s.hhmm for s in next_day.slots] == ["14:00"]
    assert full_day.slots == []  # known to be full, not unknown


def test_only_the_days_not_known_are_asked_for_in_one_request(company, branch, calcom):
    day = timeline.booking_day()
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "09:00")))
    availability_get(company=company, branch=branch, date_from=day, date_to=day)
    calcom.add("GET", f"{BASE}/slots", json=_free((day + timedelta(days=2), "11:00")))

    found = availability_get(company=company, branch=branch, date_from=day, date_to=day + timedelta(days=2))

    assert [s.hhmm for s in found.slots] == ["09:00", "11:00"]
    start, end = _asked_days(calcom.calls[1])
    assert start == timeline.z(timeline.at(day + timedelta(days=1), "00:00"))  # the cached day not again
    assert end == timeline.z(timeline.at(day + timedelta(days=3), "00:00"))


def test_the_prefetch_of_a_ringing_call_answers_the_first_question_from_the_cache(company, branch, calcom):
    today = timeline.today()
    # A weekday two to four days ahead: inside the week the prefetch fetches, whatever today is
    # (booking_day, a Tuesday, is eight days ahead on a Monday).
    day = timeline.weekday_ahead(2)
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "10:00")))
    prefetch_availability(company.pk, branch.pk)
    asked_before = len(calcom.calls)

    first_question = availability_get(company=company, branch=branch, date_from=day, date_to=day)

    assert asked_before == 1 and len(calcom.calls) == 1
    assert [s.hhmm for s in first_question.slots] == ["10:00"]
    assert first_question.first >= today


def test_the_prefetch_of_another_companys_branch_does_nothing(company, other_company, calcom):
    prefetch_availability(company.pk, other_company.branches.get().pk)
    assert len(calcom.calls) == 0


def _book(company, branch, calcom, start) -> int:
    """Book `start` through the front door (Cal.com takes it); how many requests Cal.com has had."""
    import json

    from booking.services import booking_create
    from tests.calcom_fakes import booking_output

    def created(request):
        sent = json.loads(request.body)
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    booking_create(company=company, branch=branch, start=start, name="Jana", phone="0151 12345678")
    return len(calcom.calls)


def _one_day(company, branch, day, **kwargs):
    return availability_get(company=company, branch=branch, date_from=day, date_to=day, **kwargs)


def test_after_a_booking_the_next_days_question_is_still_a_hit_and_the_booked_day_is_asked_again(
    company, branch, calcom
):
    """A booking forgets only its own day (#15): the next caller asking about tomorrow, or any
    other day, is answered from the cache; one asking about the booked day gets fresh slots."""
    day = timeline.booking_day()
    tomorrow, later = day + timedelta(days=1), day + timedelta(days=3)
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "10:00"), (tomorrow, "08:00"), (later, "11:00")))
    availability_get(company=company, branch=branch, date_from=day, date_to=later)

    asked = _book(company, branch, calcom, timeline.utc(day, "10:00"))

    assert [s.hhmm for s in _one_day(company, branch, tomorrow).slots] == ["08:00"]
    assert [s.hhmm for s in _one_day(company, branch, later).slots] == ["11:00"]
    assert len(calcom.calls) == asked
    calcom.add("GET", f"{BASE}/slots", json=_free())
    assert _one_day(company, branch, day).slots == [] and len(calcom.calls) == asked + 1


def test_a_booking_late_in_the_evening_forgets_the_next_day_too(company, branch, calcom):
    """A slot of the next morning's first hours may overlap a booking made at 22:30."""
    day = timeline.booking_day()
    tomorrow = day + timedelta(days=1)
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "22:30"), (tomorrow, "01:00")))
    availability_get(company=company, branch=branch, date_from=day, date_to=tomorrow)

    asked = _book(company, branch, calcom, timeline.utc(day, "22:30"))

    calcom.add("GET", f"{BASE}/slots", json=_free())
    assert _one_day(company, branch, tomorrow).slots == [] and len(calcom.calls) == asked + 1


def test_a_question_in_another_zone_never_gets_slots_a_booking_took(company, branch, calcom):
    """Asked in New York, the booked Berlin morning is part of the previous New York day: that
    day is forgotten too, whatever zone the cache holds it in."""
    day = timeline.booking_day()
    new_york = "America/New_York"
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "10:00")))
    _one_day(company, branch, day, timezone=new_york)  # 10:00 Berlin is 04:00 in New York

    asked = _book(company, branch, calcom, timeline.utc(day, "10:00"))

    calcom.add("GET", f"{BASE}/slots", json=_free())
    assert _one_day(company, branch, day, timezone=new_york).slots == []
    assert len(calcom.calls) == asked + 1


def test_a_booking_also_forgets_the_day_in_the_branchs_other_services(company, branch, calcom):
    """The services of a branch share its hosts: a slot booked in one is gone in the others."""
    import json

    from booking.services import booking_create
    from companies.models import Service
    from tests.calcom_fakes import booking_output

    Service.objects.create(branch=branch, name_de="Kontrolle", calcom_event_type_id=77)
    day = timeline.booking_day()
    calcom.add("GET", f"{BASE}/slots", json=_free((day, "10:00")))
    availability_get(company=company, branch=branch, date_from=day, date_to=day, service="Kontrolle")
    start = timeline.utc(day, "10:00")

    def created(request):
        sent = json.loads(request.body)
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    booking_create(company=company, branch=branch, start=start, name="Jana", phone="0151 12345678")
    calcom.add("GET", f"{BASE}/slots", json=_free())
    again = availability_get(company=company, branch=branch, date_from=day, date_to=day, service="Kontrolle")
    assert again.slots == [] and [c.request.method for c in calcom.calls] == ["GET", "POST", "GET"]


def test_a_booking_made_while_slots_were_fetched_is_not_hidden_by_the_late_write(company, branch, calcom):
    """The fetch started before the booking: what it brings back was true before it, so it is
    stored where no question after the booking finds it."""
    import json

    from booking import cache as availability_cache
    from tests.booking.conftest import EVENT_TYPE_ID

    day = timeline.booking_day()

    def slots_then_a_booking(request):
        availability_cache.availability_invalidate(company, EVENT_TYPE_ID, timeline.utc(day, "10:00"))
        return 200, {}, json.dumps(_free((day, "10:00")))

    calcom.add_callback("GET", f"{BASE}/slots", callback=slots_then_a_booking)
    availability_get(company=company, branch=branch, date_from=day, date_to=day)
    calcom.add("GET", f"{BASE}/slots", json=_free())
    after = availability_get(company=company, branch=branch, date_from=day, date_to=day)
    assert after.slots == [] and len(calcom.calls) == 2
