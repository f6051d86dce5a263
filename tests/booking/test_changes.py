"""Reschedule and cancel: by our id or the Cal.com uid, only within the company."""

from datetime import timedelta

import pytest

from booking.models import Appointment, AppointmentStatus
from booking.services import cancel_booking, update_booking
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, fixture, json_body
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


@pytest.mark.parametrize("by", ["id", "uid"])
def test_cancel_sends_a_reason_and_records_the_cancellation(company, booked, calcom, by):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    reference = booked.pk if by == "id" else "bk_3fY7qLm2"
    result = cancel_booking(company_id=company.pk, booking_id=reference)
    assert result["success"] is True and result["booking_id"] == booked.pk and result["cancelled_at"]
    assert json_body(calcom.calls[0]) == {"cancellationReason": "Cancelled by the caller on the phone"}
    assert calcom.calls[0].request.headers["cal-api-version"] == "2024-08-13"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_at


def test_cancel_passes_the_given_reason(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    cancel_booking(company_id=company.pk, booking_id=booked.pk, cancellation_reason="Sick")
    assert json_body(calcom.calls[0])["cancellationReason"] == "Sick"


@pytest.mark.parametrize("by", ["id", "uid"])
def test_company_a_cannot_cancel_company_bs_booking(company, other_company, booked, calcom, by):
    reference = booked.pk if by == "id" else "bk_3fY7qLm2"
    result = cancel_booking(company_id=other_company.pk, booking_id=reference)
    assert result["success"] is False and result["error"] == "validation_error"
    assert not calcom.calls
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_company_a_cannot_move_company_bs_booking(company, other_company, booked, calcom):
    start = f"{_next_day().isoformat()}T10:00"
    result = update_booking(company_id=other_company.pk, booking_id=booked.pk, start=start)
    assert result["error"] == "validation_error" and not calcom.calls


def test_cancelling_twice_fails_without_calling_cal_com(company, booked, calcom):
    booked.status = AppointmentStatus.CANCELLED
    booked.save()
    result = cancel_booking(company_id=company.pk, booking_id=booked.pk)
    assert result["error"] == "cancellation_failed" and not calcom.calls


def test_cal_com_refusing_a_cancel_is_a_cancellation_failure(company, booked, calcom):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", status=400, json=fixture("error_already_cancelled")
    )
    result = cancel_booking(company_id=company.pk, booking_id=booked.pk)
    assert result["error"] == "cancellation_failed" and "already been cancelled" in result["message"]
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
    result = update_booking(
        company_id=company.pk,
        booking_id=booked.pk,
        start=f"{_next_day().isoformat()}T14:00:00",  # wall clock in Berlin
        reschedule_reason="Caller asked",
    )
    assert json_body(calcom.calls[0]) == {
        "start": timeline.z(new_start),
        "reschedulingReason": "Caller asked",
    }
    assert result["success"] is True and result["booking"]["uid"] == "bk_new"
    new = Appointment.objects.get(pk=result["appointment_id"])
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED
    assert new.rescheduled_from == booked and new.start == new_start and new.calcom_booking_id == 9002
    assert new.status == AppointmentStatus.BOOKED and booked.rescheduled_to == new


def test_taken_slot_on_reschedule_changes_nothing(company, booked, calcom):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=400, json=fixture("error_slot_taken")
    )
    start = f"{_next_day().isoformat()}T14:00:00"
    result = update_booking(company_id=company.pk, booking_id=booked.pk, start=start)
    assert result["error"] == "slot_unavailable"
    assert Appointment.objects.count() == 1
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_title_and_description_are_noted_locally(company, booked, calcom):
    result = update_booking(company_id=company.pk, booking_id=booked.pk, title="Kontrolle")
    assert result["success"] is True and result["updated_fields"] == ["title"]
    booked.refresh_from_db()
    assert booked.metadata["title"] == "Kontrolle" and not calcom.calls


def test_update_with_nothing_to_change_is_a_validation_error(company, booked, calcom):
    assert update_booking(company_id=company.pk, booking_id=booked.pk)["error"] == "validation_error"
