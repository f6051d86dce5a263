"""The booking services end to end over real HTTP, against the local Cal.com sandbox.

The client's own tests fake the wire with `responses`; these prove the pieces fit together:
services -> breaker -> client -> a server speaking Cal.com v2 on 127.0.0.1.
"""

from datetime import date

import pytest

from booking.calendar import calendar_for
from booking.models import Appointment, AppointmentStatus
from booking.services import (
    BookingError,
    alternatives_find,
    appointment_cancel,
    appointment_reschedule,
    availability_get,
    booking_create,
)
from sandbox.server import start_sandbox
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    with start_sandbox(seed=7) as server:
        yield server


@pytest.fixture
def demo(sandbox):
    company = CompanyFactory(slug="e2e", calcom_base_url=sandbox.base_url, calcom_api_key="cal_sandbox")
    BranchFactory(company=company, name="Berlin", calcom_event_type_id=1001)
    BranchFactory(company=company, name="Team", calcom_event_type_id=2001, calcom_team_id=39203)
    return company


def _next_weekday(weekday: int) -> date:
    """The first `weekday` (0 = Monday) at least three days after the pinned today (Berlin)."""
    return timeline.weekday_ahead(3, weekday=weekday)


def _branch(company, event_type_id):
    return company.branches.get(calcom_event_type_id=event_type_id)


def _slots(company, event_type_id, day):
    return availability_get(
        company=company, branch=_branch(company, event_type_id), date_from=day, date_to=day
    ).slots


def test_book_move_and_cancel_through_the_sandbox(demo, sandbox):
    day = _next_weekday(1)  # a Tuesday
    slots = _slots(demo, 1001, day)
    assert slots[0].hhmm == "09:00" and slots[-1].hhmm == "16:30"  # 09-17 Berlin, 30 min
    branch = _branch(demo, 1001)

    booked = booking_create(
        company=demo,
        branch=branch,
        start=slots[0].start,
        name="Jana Caller",
        phone="+4915112345678",
        call_id="call_e2e_1",
        source="live_call",
    )
    assert len(sandbox.bookings.all()) == 1
    assert sandbox.bookings.all()[0]["metadata"]["callId"] == "call_e2e_1"
    assert slots[0].start not in [s.start for s in _slots(demo, 1001, day)]  # cache was dropped
    kept = calendar_for(demo).get(booked.appointment.calcom_booking_uid)
    assert (kept.start, kept.status) == (booked.appointment.start, "accepted")

    with pytest.raises(BookingError) as taken:
        booking_create(
            company=demo, branch=branch, start=slots[0].start, name="Other Caller", email="other@example.com"
        )
    assert taken.value.error_type == "slot_unavailable"
    assert [a.hhmm for a in taken.value.alternatives][:3] == ["09:30", "10:00", "10:30"]
    alternatives = alternatives_find(company=demo, branch=branch, wish=slots[0].start, max_alternatives=3)
    assert [a.hhmm for a in alternatives.alternatives] == ["09:30", "10:00", "10:30"]

    moved = appointment_reschedule(company=demo, appointment=booked.appointment, start=slots[3].start)
    assert moved.appointment.calcom_booking_uid != booked.appointment.calcom_booking_uid
    appointment_cancel(company=demo, appointment=moved.appointment)
    statuses = dict(
        Appointment.objects.filter(status__in=["rescheduled", "cancelled"]).values_list("pk", "status")
    )
    assert statuses == {booked.appointment.pk: "rescheduled", moved.appointment.pk: "cancelled"}
    assert [b["status"] for b in sandbox.bookings.all()] == ["cancelled", "cancelled"]


def test_team_event_type_needing_confirmation_is_pending(demo, sandbox):
    slots = _slots(demo, 2001, _next_weekday(2))
    result = booking_create(
        company=demo,
        branch=_branch(demo, 2001),
        start=slots[0].start,
        name="Team Caller",
        email="team@example.com",
    )
    assert result.pending
    assert Appointment.objects.get().status == AppointmentStatus.PENDING


def test_created_then_timed_out_ends_with_exactly_one_booking(demo, settings):
    settings.HTTP_READ_TIMEOUT = 0.5
    with start_sandbox(seed=3, create_then_timeout_rate=1.0, hang_seconds=3) as hanging:
        demo.calcom_base_url = hanging.base_url
        demo.save()
        slots = _slots(demo, 1001, _next_weekday(3))
        booking_create(
            company=demo,
            branch=_branch(demo, 1001),
            start=slots[2].start,
            name="Jana Caller",
            email="jana@example.com",
        )
        assert len(hanging.bookings.all()) == 1
        assert Appointment.objects.get().calcom_booking_uid == hanging.bookings.all()[0]["uid"]
