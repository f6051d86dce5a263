"""Reschedule and cancel: found by our id or the Cal.com uid, only within the company."""

from datetime import timedelta

import pytest

from booking.models import Appointment, AppointmentStatus
from booking.selectors import appointment_by_reference
from booking.services import BookingError, appointment_annotate, appointment_cancel, appointment_reschedule
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, fixture, json_body, slots_range
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _next_day():
    """The day the tests move the booking to: the day after it."""
    return timeline.booking_day() + timedelta(days=1)


@pytest.fixture
def booked(company, branch):
    start = timeline.utc(timeline.booking_day(), "10:00")
    return AppointmentFactory(
        company=company,
        branch=branch,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_3fY7qLm2",
        calcom_booking_id=9001,
        event_type_id=EVENT_TYPE_ID,
    )


def _refused(service, **kwargs) -> BookingError:
    with pytest.raises(BookingError) as refused:
        service(**kwargs)
    return refused.value


@pytest.mark.parametrize("by", ["id", "uid"])
def test_cancel_sends_a_reason_and_records_the_cancellation(company, booked, calcom, by):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    reference = booked.pk if by == "id" else "bk_3fY7qLm2"
    appointment = appointment_by_reference(company=company, reference=reference)
    result = appointment_cancel(company=company, appointment=appointment)
    assert result.appointment.pk == booked.pk and result.appointment.cancelled_at
    assert json_body(calcom.calls[0]) == {"cancellationReason": "Cancelled by the caller on the phone"}
    assert calcom.calls[0].request.headers["cal-api-version"] == "2024-08-13"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_at


def test_cancel_passes_the_given_reason(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    appointment_cancel(company=company, appointment=booked, reason="Sick")
    assert json_body(calcom.calls[0])["cancellationReason"] == "Sick"


@pytest.mark.parametrize("by", ["id", "uid"])
def test_company_a_cannot_cancel_company_bs_booking(company, other_company, booked, calcom, by):
    reference = booked.pk if by == "id" else "bk_3fY7qLm2"
    assert appointment_by_reference(company=other_company, reference=reference) is None
    result = _refused(appointment_cancel, company=other_company, appointment=booked)  # handed in anyway
    assert result.error_type == "not_found"
    assert not calcom.calls
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_company_a_cannot_move_company_bs_booking(company, other_company, booked, calcom):
    start = f"{_next_day().isoformat()}T10:00"
    result = _refused(appointment_reschedule, company=other_company, appointment=booked, start=start)
    assert result.error_type == "not_found" and not calcom.calls


def test_cancelling_twice_fails_without_calling_cal_com(company, booked, calcom):
    booked.status = AppointmentStatus.CANCELLED
    booked.save()
    result = _refused(appointment_cancel, company=company, appointment=booked)
    assert result.error_type == "cancellation_failed" and not calcom.calls


def test_cal_com_refusing_a_cancel_is_a_cancellation_failure(company, booked, calcom):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", status=400, json=fixture("error_already_cancelled")
    )
    result = _refused(appointment_cancel, company=company, appointment=booked)
    assert result.error_type == "cancellation_failed" and "already been cancelled" in result.message
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_reschedule_links_the_new_booking_to_the_old(company, booked, calcom):
    new_start = timeline.utc(_next_day(), "14:00")
    calcom.add(
        "POST",
        f"{BASE}/bookings/bk_3fY7qLm2/reschedule",
        status=201,
        json=booking_output(
            start=new_start, end=new_start + timedelta(minutes=30), uid="bk_new", booking_id=9002
        ),
    )
    result = appointment_reschedule(
        company=company,
        appointment=booked,
        start=f"{_next_day().isoformat()}T14:00:00",  # wall clock in Berlin
        reason="Caller asked",
    )
    assert json_body(calcom.calls[0]) == {
        "start": timeline.z(new_start),
        "reschedulingReason": "Caller asked",
    }
    assert result.appointment.calcom_booking_uid == "bk_new" and result.previous == booked
    new = Appointment.objects.get(pk=result.appointment.pk)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED
    assert new.rescheduled_from == booked and new.start == new_start and new.calcom_booking_id == 9002
    assert new.status == AppointmentStatus.BOOKED and booked.rescheduled_to == new


def test_taken_slot_on_reschedule_changes_nothing_and_offers_what_is_free(company, booked, calcom):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=400, json=fixture("error_slot_taken")
    )
    free = timeline.cal_local(timeline.at(_next_day(), "15:00"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({_next_day().isoformat(): [(free, "")]}))
    start = f"{_next_day().isoformat()}T14:00:00"
    result = _refused(appointment_reschedule, company=company, appointment=booked, start=start)
    assert result.error_type == "slot_unavailable"
    assert [(a.day, a.hhmm) for a in result.alternatives] == [(_next_day(), "15:00")]
    assert Appointment.objects.count() == 1
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_title_and_description_are_noted_locally(company, booked, calcom):
    result = appointment_annotate(company=company, appointment=booked, title="Kontrolle")
    assert result.updated_fields == ["title"]
    booked.refresh_from_db()
    assert booked.metadata["title"] == "Kontrolle" and not calcom.calls


def test_update_with_nothing_to_change_is_a_validation_error(company, booked, calcom):
    assert (
        _refused(appointment_annotate, company=company, appointment=booked).error_type == "validation_error"
    )
