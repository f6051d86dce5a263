"""Reschedule and cancel: found by our id or the Cal.com uid, only within the company."""

from datetime import timedelta

import pytest
import requests

from booking.models import Appointment, AppointmentChange, AppointmentStatus
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
    refusal = fixture("error_already_cancelled")
    refusal["error"]["message"] = "Cannot cancel a booking that has already ended"  # contract §2.6
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", status=400, json=refusal)
    result = _refused(appointment_cancel, company=company, appointment=booked)
    assert result.error_type == "cancellation_failed" and "already ended" in result.message
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.changes.get().status == "failed"


def test_already_cancelled_in_cal_com_is_what_a_cancel_asked_for(company, booked, calcom):
    """A retry whose first cancel went through (or a practice that cancelled in Cal.com first):
    Cal.com's 400 "already cancelled" is read back, and the appointment is cancelled here too."""
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", status=400, json=fixture("error_already_cancelled")
    )
    calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", json=fixture("booking_cancelled"))
    result = appointment_cancel(company=company, appointment=booked)
    booked.refresh_from_db()
    assert result.appointment == booked and booked.status == AppointmentStatus.CANCELLED
    assert booked.changes.get().status == "succeeded"


def test_a_cancel_whose_answer_was_lost_is_read_back_not_sent_twice(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", body=requests.exceptions.ReadTimeout())
    calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", json=fixture("booking_cancelled"))
    appointment_cancel(company=company, appointment=booked)
    assert [c.request.method for c in calcom.calls] == ["POST", "GET"]
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED


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


# -- a move whose answer was lost, or that Cal.com committed before we heard back --------------


def _new_booking(status: str = "accepted") -> dict:
    """What the move made: bk_new at 14:00 the next day, from the booked one."""
    start = timeline.utc(_next_day(), "14:00")
    return booking_output(
        start=start,
        end=start + timedelta(minutes=30),
        uid="bk_new",
        booking_id=9002,
        status=status,
        rescheduledFromUid="bk_3fY7qLm2",
    )


def _old_booking(*, moved: bool = True) -> dict:
    """The booked one as Cal.com now has it: cancelled, by the move (or by someone)."""
    start = timeline.utc(timeline.booking_day(), "10:00")
    extra = {"rescheduledToUid": "bk_new"} if moved else {}
    return booking_output(start=start, end=start + timedelta(minutes=30), status="cancelled", **extra)


def _move_to_14(company, booked):
    return appointment_reschedule(
        company=company, appointment=booked, start=f"{_next_day().isoformat()}T14:00"
    )


def test_a_move_whose_answer_was_lost_is_read_back_and_followed_not_sent_twice(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", body=requests.exceptions.ReadTimeout())
    calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", json=_old_booking())
    calcom.add("GET", f"{BASE}/bookings/bk_new", json=_new_booking())
    result = _move_to_14(company, booked)
    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "GET"]
    assert result.appointment.calcom_booking_uid == "bk_new" and result.appointment.rescheduled_from == booked
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED


def test_a_retried_move_that_cal_com_had_committed_follows_the_new_uid(company, booked, calcom):
    """Measured on main: every retry failed with 400 'cancelled_bookings_cannot_be_rescheduled'."""
    calcom.add(
        "POST",
        f"{BASE}/bookings/bk_3fY7qLm2/reschedule",
        status=400,
        json=fixture("error_reschedule_cancelled"),
    )
    calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", json=_old_booking())
    calcom.add("GET", f"{BASE}/bookings/bk_new", json=_new_booking())
    result = _move_to_14(company, booked)
    assert result.appointment.calcom_booking_uid == "bk_new"
    assert Appointment.objects.get(calcom_booking_uid="bk_new").status == AppointmentStatus.BOOKED


def test_a_move_of_a_booking_cancelled_in_cal_com_is_refused_and_ours_is_cancelled_too(
    company, booked, calcom
):
    calcom.add(
        "POST",
        f"{BASE}/bookings/bk_3fY7qLm2/reschedule",
        status=400,
        json=fixture("error_reschedule_cancelled"),
    )
    calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", json=_old_booking(moved=False))
    result = _refused(_move_to_14, company=company, booked=booked)
    assert result.error_type == "update_failed" and "cancelled in the calendar" in result.message
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and Appointment.objects.count() == 1


def test_a_confirmed_booking_is_moved_by_its_host_so_it_stays_confirmed(company, booked, calcom):
    """Contract §2.5: rescheduledBy = the host keeps a requires-confirmation booking confirmed."""
    booked.host_email = "anna.weber@example.com"
    booked.save()
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=_new_booking())
    _move_to_14(company, booked)
    assert json_body(calcom.calls[0])["rescheduledBy"] == "anna.weber@example.com"


def test_a_pending_booking_is_moved_without_naming_the_host_and_stays_pending(company, booked, calcom):
    booked.host_email, booked.status = "anna.weber@example.com", AppointmentStatus.PENDING
    booked.save()
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=_new_booking("pending"))
    result = _move_to_14(company, booked)
    assert "rescheduledBy" not in json_body(calcom.calls[0])
    assert result.appointment.status == AppointmentStatus.PENDING


def test_a_move_while_cal_com_is_down_is_kept_and_the_worker_finishes_it(company, booked, calcom):
    from booking.tasks import retry_due_appointment_changes

    down = {"status": 503, "json": {"statusCode": 503, "message": "down"}}
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", **down)
    for _ in range(3):  # the lost answer is read back (reads are retried), Cal.com still down
        calcom.add("GET", f"{BASE}/bookings/bk_3fY7qLm2", **down)
    result = _refused(_move_to_14, company=company, booked=booked)
    assert result.error_type == "service_unavailable" and result.queued
    change = booked.changes.get()
    assert change.status == "retrying" and change.payload["start"]
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED  # nothing changed here yet

    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=_new_booking())
    AppointmentChange.objects.update(next_attempt_at=timeline.now() - timedelta(minutes=1))
    assert retry_due_appointment_changes() == 1
    change.refresh_from_db()
    assert (change.status, change.attempts, change.replacement.calcom_booking_uid) == (
        "succeeded",
        2,
        "bk_new",
    )


def test_the_same_move_asked_twice_is_sent_once(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=_new_booking())
    first = _move_to_14(company, booked)
    again = _move_to_14(company, booked)  # Retell re-sent the function
    assert again.appointment == first.appointment and len(calcom.calls) == 1


def test_one_key_repeated_is_one_cancel_even_after_it_succeeded(company, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    first = appointment_cancel(company=company, appointment=booked, idempotency_key="agent-7")
    again = appointment_cancel(company=company, appointment=booked, idempotency_key="agent-7")
    assert again.appointment == first.appointment and len(calcom.calls) == 1
    assert AppointmentChange.objects.filter(appointment=booked).count() == 1
