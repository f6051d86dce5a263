"""One link between calls and appointments (Call.appointments), kept by telephony: a live booking
is linked to its call once the call is recorded, a moved appointment keeps its calls, and the
migration carried both old links (Call.appointment, Appointment.call) into it."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from booking.models import Appointment, AppointmentStatus, Customer
from telephony.models import Call, CallStatus
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, slots_range
from tests.factories import AppointmentFactory, CallFactory
from tests.retell_fakes import API_KEY, CALL_ID, CALLER_NUMBER, as_body, function_call_payload, signed_headers
from tests.telephony.conftest import EVENT_TYPE_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def function(client, clinic):
    def call(name, args):
        body = as_body(function_call_payload(name, args))
        return client.post(
            f"/api/retell/functions/{clinic.webhook_key}", body, **signed_headers(body, API_KEY)
        ).json()

    return call


def _created(start):
    def callback(request):
        metadata = json.loads(request.body)["metadata"]
        return (
            201,
            {},
            json.dumps(booking_output(start=start, end=start + timedelta(minutes=30), metadata=metadata)),
        )

    return callback


def test_a_live_booking_is_linked_at_once_when_the_call_is_already_recorded(function, clinic, calcom):
    call = CallFactory(company=clinic, branch=clinic.branches.get(), retell_call_id=CALL_ID)
    start = timeline.utc(timeline.booking_day(), "11:00")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created(start))
    args = {"date": timeline.booking_day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    assert function("book_appointment", args)["success"] is True
    assert list(call.appointments.all()) == [Appointment.objects.get()]


def test_a_live_booking_before_any_webhook_records_the_call_and_links_to_it(function, clinic, calcom):
    """The call is on record from its first function on: staff see it, with what it booked, before
    Retell's webhooks arrive (they merge into the same row)."""
    start = timeline.utc(timeline.booking_day(), "11:00")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created(start))
    args = {"date": timeline.booking_day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    assert function("book_appointment", args)["success"] is True
    call = Call.objects.get(retell_call_id=CALL_ID)
    assert (call.company, call.branch) == (clinic, clinic.branches.get())
    assert call.from_number == CALLER_NUMBER and call.status == CallStatus.ONGOING
    assert list(call.appointments.all()) == [Appointment.objects.get()]


def test_a_moved_appointment_keeps_the_calls_of_the_old_one_and_gains_this_one(function, clinic, calcom):
    customer = Customer.objects.create(company=clinic, phone=CALLER_NUMBER)
    old = AppointmentFactory(
        company=clinic,
        branch=clinic.branches.get(),
        customer=customer,
        start=timeline.utc(timeline.booking_day(), "11:00"),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_a",
        event_type_id=EVENT_TYPE_ID,
    )
    booked_in = CallFactory(company=clinic, branch=old.branch, retell_call_id="call_that_booked")
    booked_in.appointments.add(old)
    moving = CallFactory(company=clinic, branch=old.branch, retell_call_id=CALL_ID)
    new_start = timeline.utc(timeline.booking_day(), "14:00")
    calcom.add(
        "POST",
        f"{BASE}/bookings/bk_a/reschedule",
        status=201,
        json=booking_output(start=new_start, end=new_start + timedelta(minutes=30), uid="bk_new"),
    )
    args = {"new_date": timeline.booking_day().isoformat(), "new_time": "14:00"}
    assert function("reschedule_appointment", args)["success"] is True
    moved = Appointment.objects.get(rescheduled_from=old)
    assert set(moved.calls.all()) == {booked_in, moving}


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_both_old_links_into_the_one_link(clinic):
    """Rows made under the old schema: a call pointing at its appointment, and an appointment
    (made live, before the call existed) pointing at its call."""
    executor = MigrationExecutor(connection)
    old_state = [("booking", "0005_unique_messages"), ("telephony", "0003_requeue_schedule")]
    executor.migrate(old_state)
    apps = executor.loader.project_state(old_state).apps
    OldCall, OldAppointment = apps.get_model("telephony", "Call"), apps.get_model("booking", "Appointment")
    branch = clinic.branches.get()
    start = timeline.utc(timeline.booking_day(), "11:00")

    def appointment():
        return OldAppointment.objects.create(
            company_id=clinic.pk, branch_id=branch.pk, start=start, source="live_call"
        )

    posted, live, both = appointment(), appointment(), appointment()
    call_a = OldCall.objects.create(company_id=clinic.pk, retell_call_id="call_a", appointment_id=posted.pk)
    call_b = OldCall.objects.create(company_id=clinic.pk, retell_call_id="call_b", appointment_id=both.pk)
    OldAppointment.objects.filter(pk=live.pk).update(call_id=call_b.pk)
    OldAppointment.objects.filter(pk=both.pk).update(call_id=call_b.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    links = {
        (call.retell_call_id, pk)
        for call in Call.objects.all()
        for pk in call.appointments.values_list("pk", flat=True)
    }
    assert links == {("call_a", posted.pk), ("call_b", live.pk), ("call_b", both.pk)}
    assert call_a.pk and not hasattr(Call, "appointment") and not hasattr(Appointment, "call")


def test_each_question_for_free_times_is_counted_on_the_call_with_what_was_offered(function, clinic, calcom):
    """The dashboard's funnel: calls that asked for times, and were offered some."""
    day = timeline.booking_day()
    slots = [
        (timeline.z(timeline.utc(day, hhmm)), timeline.z(timeline.utc(day, hhmm) + timedelta(minutes=30)))
        for hhmm in ("09:00", "09:30", "10:00")
    ]
    calcom.add("GET", f"{BASE}/slots", json=slots_range({day.isoformat(): slots}))
    assert function("check_availability", {"date": day.isoformat()})["success"] is True
    call = Call.objects.get(retell_call_id=CALL_ID)
    assert (call.availability_checks, call.slots_offered) == (1, 3)
