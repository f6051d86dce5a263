"""The booking services end to end over real HTTP, against the local Cal.com sandbox.

The client's own tests fake the wire with `responses`; these prove the pieces fit together:
services -> breaker -> client -> a server speaking Cal.com v2 on 127.0.0.1.
"""

from datetime import date

import pytest

from booking.models import Appointment, AppointmentStatus
from booking.services import (
    cancel_booking,
    check_availability,
    create_booking,
    find_alternative_slots,
    update_booking,
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


def _slots(company, event_type_id, day):
    result = check_availability(
        company_id=company.pk, event_type_id=event_type_id, date_from=day, date_to=day
    )
    assert result["success"] is True, result
    return result["available_slots"]


def test_book_move_and_cancel_through_the_sandbox(demo, sandbox):
    day = _next_weekday(1)  # a Tuesday
    slots = _slots(demo, 1001, day)
    assert slots[0]["time"] == "09:00" and slots[-1]["time"] == "16:30"  # 09-17 Berlin, 30 min

    booked = create_booking(
        company_id=demo.pk,
        event_type_id=1001,
        start=slots[0]["start"],
        name="Jana Caller",
        phone="+4915112345678",
        call_id="call_e2e_1",
        source="live_call",
    )
    assert booked["success"] is True, booked
    assert len(sandbox.bookings.all()) == 1
    assert sandbox.bookings.all()[0]["metadata"]["callId"] == "call_e2e_1"
    assert slots[0]["start"] not in [s["start"] for s in _slots(demo, 1001, day)]  # cache was dropped

    taken = create_booking(
        company_id=demo.pk,
        event_type_id=1001,
        start=slots[0]["start"],
        name="Other Caller",
        email="other@example.com",
    )
    assert taken["error"] == "slot_unavailable"
    alternatives = find_alternative_slots(
        company_id=demo.pk, event_type_id=1001, preferred_start=slots[0]["start"], max_alternatives=3
    )
    assert [a["time"] for a in alternatives["alternatives"]] == ["09:30", "10:00", "10:30"]

    moved = update_booking(company_id=demo.pk, booking_id=booked["appointment_id"], start=slots[3]["start"])
    assert moved["success"] is True, moved
    assert moved["booking"]["uid"] != booked["booking"]["uid"]
    cancelled = cancel_booking(company_id=demo.pk, booking_id=moved["booking"]["uid"])
    assert cancelled["success"] is True
    statuses = dict(
        Appointment.objects.filter(status__in=["rescheduled", "cancelled"]).values_list("pk", "status")
    )
    assert statuses == {booked["appointment_id"]: "rescheduled", moved["appointment_id"]: "cancelled"}
    assert [b["status"] for b in sandbox.bookings.all()] == ["cancelled", "cancelled"]


def test_team_event_type_needing_confirmation_is_pending(demo, sandbox):
    slots = _slots(demo, 2001, _next_weekday(2))
    result = create_booking(
        company_id=demo.pk,
        event_type_id=2001,
        start=slots[0]["start"],
        name="Team Caller",
        email="team@example.com",
    )
    assert result["booking"]["status"] == "pending"
    assert Appointment.objects.get().status == AppointmentStatus.PENDING


def test_created_then_timed_out_ends_with_exactly_one_booking(demo, settings):
    settings.HTTP_READ_TIMEOUT = 0.5
    with start_sandbox(seed=3, create_then_timeout_rate=1.0, hang_seconds=3) as hanging:
        demo.calcom_base_url = hanging.base_url
        demo.save()
        slots = _slots(demo, 1001, _next_weekday(3))
        result = create_booking(
            company_id=demo.pk,
            event_type_id=1001,
            start=slots[2]["start"],
            name="Jana Caller",
            email="jana@example.com",
        )
        assert result["success"] is True, result
        assert len(hanging.bookings.all()) == 1
        assert Appointment.objects.get().calcom_booking_uid == hanging.bookings.all()[0]["uid"]
