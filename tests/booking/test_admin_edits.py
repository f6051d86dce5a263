"""Staff edits in admin reach Cal.com: moving, cancelling and adding an appointment, and booking
a failed wish again. If Cal.com refuses, the form says why and our records stay as they were.
Cal.com is faked at the wire (contract §2.3-§2.6 shapes, tests/calcom_fakes.py)."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from booking.models import Appointment, AppointmentStatus, BookingRequest
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, fixture, json_body, slots_range
from tests.factories import AppointmentFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _next_day():
    return timeline.booking_day() + timedelta(days=1)


@pytest.fixture
def booked(company, branch):
    start = timeline.utc(timeline.booking_day(), "10:00")
    return AppointmentFactory(
        company=company,
        branch=branch,
        customer=CustomerFactory(company=company, phone="+4915112345678", name="Jana Caller"),
        attendee_name="Jana Caller",
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_3fY7qLm2",
        event_type_id=EVENT_TYPE_ID,
    )


@pytest.fixture
def staff(client, charlie):
    client.force_login(charlie)
    return client


def _moved(uid="bk_new"):
    start = timeline.utc(_next_day(), "14:00")
    return booking_output(start=start, end=start + timedelta(minutes=30), uid=uid, booking_id=9002)


def test_moving_in_admin_reschedules_in_cal_com_on_the_branchs_clock(staff, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=_moved())
    page = staff.get(reverse("admin:booking_appointment_move", args=[booked.pk]))
    assert "Europe/Berlin" in page.content.decode()
    response = staff.post(
        reverse("admin:booking_appointment_move", args=[booked.pk]),
        {"date": _next_day().isoformat(), "time": "14:00", "attempt": "a1"},
    )
    new = Appointment.objects.get(calcom_booking_uid="bk_new")
    assert response.status_code == 302 and response.url == reverse(
        "admin:booking_appointment_change", args=[new.pk]
    )
    sent = json_body(calcom.calls[0])
    assert sent["start"] == timeline.z(timeline.utc(_next_day(), "14:00"))
    assert sent["reschedulingReason"] == "Moved by staff (charlie)"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED and new.rescheduled_from == booked


def test_a_move_cal_com_refuses_is_said_on_the_form_with_what_is_free_and_changes_nothing(
    staff, booked, calcom
):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=400, json=fixture("error_slot_taken")
    )
    free = timeline.cal_local(timeline.at(_next_day(), "15:30"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({_next_day().isoformat(): [(free, "")]}))
    response = staff.post(
        reverse("admin:booking_appointment_move", args=[booked.pk]),
        {"date": _next_day().isoformat(), "time": "14:00"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The time was already taken in the calendar." in html
    assert f'value="{timeline.at(_next_day(), "15:30").isoformat()}"' in html  # one click books it
    assert "15:30" in html
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and Appointment.objects.count() == 1


@pytest.mark.german
def test_the_times_offered_instead_name_their_weekday_in_the_staff_members_language(staff, booked, calcom):
    calcom.add(
        "POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=400, json=fixture("error_slot_taken")
    )
    free = timeline.cal_local(timeline.at(_next_day(), "15:30"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({_next_day().isoformat(): [(free, "")]}))
    response = staff.post(
        reverse("admin:booking_appointment_move", args=[booked.pk]),
        {"date": _next_day().isoformat(), "time": "14:00"},
    )
    weekday = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"][_next_day().weekday()]
    assert f"{weekday} {_next_day():%d.%m.%Y} 15:30" in response.content.decode()


def test_cancelling_in_admin_cancels_in_cal_com(staff, booked, calcom):
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    response = staff.post(
        reverse("admin:booking_appointment_cancel", args=[booked.pk]), {"reason": "Praxis zu"}
    )
    assert response.status_code == 302
    assert json_body(calcom.calls[0]) == {"cancellationReason": "Praxis zu"}
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED


def test_the_change_form_cannot_change_what_cal_com_holds(staff, booked, calcom):
    """Editing the row itself (status, time) changes nothing: those fields are read-only."""
    url = reverse("admin:booking_appointment_change", args=[booked.pk])
    page = staff.get(url).content.decode()
    assert "Move in Cal.com" in page and "Cancel in Cal.com" in page
    staff.post(
        url,
        {"status": "cancelled", "start_0": "2000-01-01", "start_1": "00:00", "customer": booked.customer_id},
    )
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and booked.start == timeline.utc(
        timeline.booking_day(), "10:00"
    )
    assert not calcom.calls


def _echo_booked(uid="bk_admin"):
    def callback(request):
        sent = json.loads(request.body)
        start = timeline.utc(timeline.booking_day(), "11:00")
        made = booking_output(
            start=start, end=start + timedelta(minutes=30), uid=uid, metadata=sent["metadata"]
        )
        return 201, {}, json.dumps(made)

    return callback


def _book_form(branch, **fields):
    return {
        "branch": branch.pk,
        "date": timeline.booking_day().isoformat(),
        "time": "11:00",
        "name": "Walk In",
        "phone": "0151 23456789",
        "attempt": "page-1",
        **fields,
    }


def test_adding_an_appointment_books_it_in_cal_com(staff, branch, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booked())
    response = staff.post(reverse("admin:booking_appointment_add"), _book_form(branch))
    made = Appointment.objects.get()
    assert response.status_code == 302 and (made.source, made.status) == ("admin", "booked")
    sent = json_body(calcom.calls[0])
    assert sent["start"] == timeline.z(timeline.utc(timeline.booking_day(), "11:00"))
    assert sent["attendee"]["phoneNumber"] == "+4915123456789" and sent["metadata"]["source"] == "admin"
    again = staff.post(reverse("admin:booking_appointment_add"), _book_form(branch))  # a double click
    assert again.status_code == 302 and len(calcom.calls) == 1 and Appointment.objects.count() == 1


def test_an_addition_cal_com_refuses_leaves_no_appointment_and_says_why(staff, branch, calcom):
    calcom.add("POST", f"{BASE}/bookings", status=400, json=fixture("error_slot_taken"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    response = staff.post(reverse("admin:booking_appointment_add"), _book_form(branch))
    assert response.status_code == 200
    assert "The time was already taken in the calendar." in response.content.decode()
    assert not Appointment.objects.exists()
    assert BookingRequest.objects.get().status == "failed"  # the wish and the refusal, for the record


def test_a_failed_wish_is_booked_again_at_an_offered_time_with_one_click(staff, company, branch, calcom):
    alternative = timeline.at(timeline.booking_day(), "11:00")
    failed = AppointmentFactory(
        company=company,
        branch=branch,
        customer=CustomerFactory(company=company, phone="+4915112345678", name="Jana Caller"),
        attendee_name="Jana Caller",
        status=AppointmentStatus.FAILED,
        event_type_id=EVENT_TYPE_ID,
        alternatives=[{"start": alternative.isoformat(), "end": None, "days_from_preferred": 0}],
    )
    url = reverse("admin:booking_appointment_book_again", args=[failed.pk])
    page = staff.get(url).content.decode()
    assert 'value="Jana Caller"' in page and f'value="{alternative.isoformat()}"' in page
    assert (
        "Book again"
        in staff.get(reverse("admin:booking_appointment_change", args=[failed.pk])).content.decode()
    )
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booked())
    form = _book_form(branch, name="Jana Caller", phone="+4915112345678", alternative=alternative.isoformat())
    response = staff.post(url, form)
    assert response.status_code == 302
    assert json_body(calcom.calls[0])["start"] == timeline.z(alternative)
    assert Appointment.objects.get(calcom_booking_uid="bk_admin").attendee_name == "Jana Caller"


def test_staff_cannot_move_or_book_for_another_company(client, alice, company_b, calcom):
    theirs = AppointmentFactory(
        company=company_b,
        branch=company_b.branches.get(),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_b",
    )
    client.force_login(alice)
    for name in ("move", "cancel", "book_again"):
        assert client.get(reverse(f"admin:booking_appointment_{name}", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("admin:booking_appointment_add"), _book_form(company_b.branches.get()))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not calcom.calls and Appointment.objects.count() == 1
