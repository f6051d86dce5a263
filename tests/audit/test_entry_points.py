"""Each way a booking is made or changed leaves one entry naming who did it: the Retell call of a
live function or of a processed webhook, a staff member in admin, Cal.com's notice, and nothing
that could identify the caller."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from audit.actors import ActorKind
from booking.models import Appointment, AppointmentStatus, CalendarNotice, Customer
from booking.references import appointment_reference
from booking.tasks import process_calendar_notice
from companies.models import StaffRole
from companies.services import staff_member_add
from integrations.calcom.signature import sign
from telephony.models import WebhookEvent
from telephony.tasks import process_webhook_event
from tests import timeline
from tests.audit.conftest import CALCOM_SECRET, entries, the_entry, whole_trail
from tests.calcom_fakes import BASE, booking_output, fixture
from tests.factories import AppointmentFactory, UserFactory
from tests.retell_fakes import CALL_ID, CALLER_NUMBER, webhook_payload
from tests.telephony.conftest import EVENT_TYPE_ID

pytestmark = pytest.mark.django_db
# What the fixtures' caller tells about herself: none of it may reach the trail.
PERSONAL = ["Jana", "jana@example.com", CALLER_NUMBER, "5112345678", "Grüß Gott"]


def _start(at: str = "11:00"):
    """The Retell fixtures' wish: the booking day at 11:00 in Berlin (Cal.com's notices: 10:00)."""
    return timeline.utc(timeline.booking_day(), at)


def _echo_created(request):
    sent = json.loads(request.body)
    body = booking_output(start=_start(), end=_start() + timedelta(minutes=30), metadata=sent["metadata"])
    return 201, {}, json.dumps(body)


def _booked(company, *, at="11:00", uid="bk_3fY7qLm2"):
    """The caller's appointment, booked by us at `at` on the booking day."""
    customer, _ = Customer.objects.get_or_create(
        company=company, phone=CALLER_NUMBER, defaults={"name": "Jana"}
    )
    return AppointmentFactory(
        company=company,
        branch=company.branches.get(),
        customer=customer,
        attendee_name="Jana Caller",
        start=_start(at),
        end=_start(at) + timedelta(minutes=30),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid=uid,
        calcom_booking_id=9001,
        event_type_id=EVENT_TYPE_ID,
    )


def _no_personal_data():
    trail = whole_trail()
    assert not [value for value in PERSONAL if value in trail]


def test_a_live_booking_is_the_retell_calls(function, clinic, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    answer = function(
        "book_appointment",
        {"date": timeline.booking_day().isoformat(), "time": "11:00", "name": "Jana Caller"},
    )
    assert answer["success"] is True, answer
    appointment = Appointment.objects.get()
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor_ref) == ("book", ActorKind.RETELL_CALL, CALL_ID)
    assert (entry.company_id, entry.object_type, entry.object_id) == (
        clinic.pk,
        "booking.appointment",
        str(appointment.pk),
    )
    assert entry.changes == {
        "status": ["requested", "booked"],
        "start": [None, _start().isoformat()],
        "source": [None, "live_call"],
    }
    _no_personal_data()


def test_a_booking_made_by_the_worker_after_the_call_is_that_calls(clinic, deliver, calcom):
    """The worker's task runs the event as its call: the entry names the call without a read
    of its own (the call id comes from the event row inside the entry's INSERT)."""
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    assert deliver(clinic, webhook_payload("call_ended")).status_code == 204
    process_webhook_event(WebhookEvent.objects.get().pk)
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.BOOKED
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor_ref) == ("book", ActorKind.RETELL_CALL, CALL_ID)
    assert (entry.company_id, entry.object_id) == (clinic.pk, str(appointment.pk))
    assert entry.changes["source"] == [None, "post_call"]
    _no_personal_data()


def test_an_event_that_books_nothing_writes_no_entry(clinic, deliver):
    assert deliver(clinic, webhook_payload("call_started")).status_code == 204
    process_webhook_event(WebhookEvent.objects.get().pk)
    assert entries() == []


def test_a_cancellation_on_the_phone_is_one_entry_of_the_call(function, clinic, calcom):
    appointment = _booked(clinic)
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    answer = function("cancel_appointment", {"appointment_ref": appointment_reference(appointment)})
    assert answer["success"] is True, answer
    entry = the_entry()  # the calendar's answer is this cancellation, not news of its own
    assert (entry.action, entry.actor_kind, entry.actor_ref) == ("cancel", ActorKind.RETELL_CALL, CALL_ID)
    assert (entry.company_id, entry.object_id) == (clinic.pk, str(appointment.pk))
    assert entry.changes == {"status": ["booked", "cancelled"]}
    _no_personal_data()


def test_a_move_in_admin_is_the_staff_members(client, clinic, calcom):
    erika = UserFactory(username="erika")
    staff_member_add(company=clinic, user=erika, role=StaffRole.STAFF)
    old = _booked(clinic)
    new_day = timeline.booking_day() + timedelta(days=1)
    new_start = timeline.utc(new_day, "14:00")
    moved = booking_output(
        start=new_start, end=new_start + timedelta(minutes=30), uid="bk_new", booking_id=9002
    )
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/reschedule", status=201, json=moved)
    client.force_login(erika)
    response = client.post(
        reverse("admin:booking_appointment_move", args=[old.pk]),
        {"date": new_day.isoformat(), "time": "14:00", "attempt": "a1"},
    )
    assert response.status_code == 302
    new = Appointment.objects.get(calcom_booking_uid="bk_new")
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor_ref, entry.actor_label) == (
        "reschedule",
        ActorKind.STAFF,
        str(erika.pk),
        "erika",
    )
    assert (entry.company_id, entry.object_id) == (clinic.pk, str(old.pk))
    assert entry.changes == {
        "status": ["booked", "rescheduled"],
        "start": [_start().isoformat(), new_start.isoformat()],
        "replaced_by": new.pk,
    }
    _no_personal_data()


def _notify(client, company, name: str, **payload) -> CalendarNotice:
    """Cal.com's signed notice `name` (a contract fixture), stored by our endpoint."""
    envelope = fixture(f"notice_{name}")
    envelope["payload"].update(payload)
    body = json.dumps(envelope).encode()
    response = client.post(
        f"/api/calcom/webhook/{company.webhook_key}",
        body,
        content_type="application/json",
        HTTP_X_CAL_SIGNATURE_256=sign(body, CALCOM_SECRET),
    )
    assert response.status_code == 204
    return CalendarNotice.objects.order_by("pk").last()


def test_a_cancellation_in_cal_com_is_the_notices(client, connected):
    appointment = _booked(connected, at="10:00")
    notice = _notify(client, connected, "booking_cancelled")
    process_calendar_notice(notice.pk)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor_ref) == (
        "calendar_change",
        ActorKind.CALCOM_WEBHOOK,
        notice.delivery_key,
    )
    assert (entry.company_id, entry.object_id) == (connected.pk, str(appointment.pk))
    assert entry.changes == {"status": ["booked", "cancelled"]}
    _no_personal_data()


def test_a_move_in_cal_com_records_both_appointments(client, connected):
    old = _booked(connected, at="10:00")
    notice = _notify(client, connected, "booking_rescheduled")
    process_calendar_notice(notice.pk)
    new = Appointment.objects.get(calcom_booking_uid="bk_moved_2")
    by_object = {entry.object_id: entry for entry in entries(action="calendar_change")}
    assert set(by_object) == {str(old.pk), str(new.pk)}
    assert {entry.actor_ref for entry in by_object.values()} == {notice.delivery_key}
    assert by_object[str(old.pk)].changes == {"status": ["booked", "rescheduled"]}
    made = by_object[str(new.pk)].changes
    assert made["status"] == [None, "booked"] and made["rescheduled_from_id"] == [None, old.pk]
    assert made["start"] == [None, new.start.isoformat()]
    _no_personal_data()
