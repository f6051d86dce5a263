"""Processing stored events: calls merged in any order, one booking per call, nothing lost."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus, Customer
from telephony.models import Call, CallStatus, WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process, webhook_events_due
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture, slots_range
from tests.retell_fakes import CALL_ID, as_body, signed_headers, webhook_payload
from tests.telephony.conftest import EVENT_TYPE_ID, process_received

pytestmark = pytest.mark.django_db


def _start():
    """What the fixtures' caller books: the booking day at 11:00 in Berlin, in UTC."""
    return timeline.utc(timeline.booking_day(), "11:00")


def _echo_created(request):
    sent = json.loads(request.body)
    start = _start()
    return (
        201,
        {},
        json.dumps(booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])),
    )


def _deliver_all(deliver, clinic, events):
    for event in events:
        assert deliver(clinic, webhook_payload(event)).status_code == 204


def test_a_whole_call_ends_with_call_customer_and_one_booked_appointment(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    _deliver_all(deliver, clinic, ["call_started", "call_ended", "call_analyzed"])
    results = process_received()
    call = Call.objects.get()
    assert call.status == CallStatus.ANALYZED and call.company == clinic
    assert "Grüß Gott" in call.transcript and call.summary and call.sentiment == "Positive"
    assert call.successful is True and call.duration_ms and call.disconnection_reason == "agent_hangup"
    assert call.customer == Customer.objects.get(company=clinic, phone="+4915112345678")
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.start == _start()
    assert appointment.source == "post_call"
    assert list(call.appointments.all()) == [appointment] and list(appointment.calls.all()) == [call]
    body = json.loads(calcom.calls[0].request.body)
    assert body["metadata"]["callId"] == CALL_ID and body["attendee"]["email"] == "jana@example.com"
    assert results[1] == {
        "success": True,
        "message": "Call recorded with appointment.",
        "call_id": CALL_ID,
        "customer_id": call.customer_id,
        "appointment_created": True,
        "appointment_data": {
            "id": appointment.pk,
            "calcom_booking_id": 9001,
            "starts_at": _start().isoformat(),
        },
        "processed": True,
    }
    assert results[2]["appointment_created"] is False  # call_analyzed found the booking already made
    assert len(calcom.calls) == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_events_out_of_order_merge_without_going_backwards(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    for event in ["call_analyzed", "call_ended", "call_started"]:
        deliver(clinic, webhook_payload(event))
        process_received()
    call = Call.objects.get()
    assert call.status == CallStatus.ANALYZED
    assert call.started_at and call.ended_at and call.summary
    assert Appointment.objects.count() == 1 and len(calcom.calls) == 1


def test_processing_the_same_event_twice_changes_nothing(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, webhook_payload("call_analyzed"))
    first = process_received()[0]
    event = WebhookEvent.objects.get()
    assert webhook_event_process(event_id=event.pk) == first
    replayed = webhook_event_process(event_id=event.pk, include_failed=True)  # staff replay
    assert replayed["appointment_data"] == first["appointment_data"]
    assert Appointment.objects.count() == 1 and len(calcom.calls) == 1


def _live_request(clinic, status, appointment_status=AppointmentStatus.BOOKED):
    appointment = Appointment.objects.create(
        company=clinic,
        branch=clinic.branches.get(),
        start=_start(),
        source="live_call",
        status=appointment_status,
        calcom_booking_uid="bk_live" if status == "succeeded" else "",
        event_type_id=EVENT_TYPE_ID,
    )
    payload = {
        "company_id": clinic.pk,
        "branch_id": appointment.branch_id,
        "event_type_id": EVENT_TYPE_ID,
        "start": _start().isoformat(),
        "end": None,
        "name": "Jana Caller",
        "email": "jana@example.com",
        "phone": "+4915112345678",
        "notes": "",
        "timezone": "Europe/Berlin",
        "source": "live_call",
        "call_id": CALL_ID,
        "metadata": {},
    }
    return BookingRequest.objects.create(
        company=clinic,
        idempotency_key="live-key",
        source="live_call",
        call_id=CALL_ID,
        payload=payload,
        appointment=appointment,
        status=status,
        attempts=1,
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )


def test_a_live_booking_is_linked_and_not_booked_again(clinic, deliver, calcom):
    live = _live_request(clinic, BookingRequestStatus.SUCCEEDED)
    deliver(clinic, webhook_payload("call_analyzed"))
    result = process_received()[0]
    assert not calcom.calls
    assert result["appointment_data"]["id"] == live.appointment_id and result["appointment_created"] is False
    call = Call.objects.get()
    assert list(call.appointments.values_list("pk", flat=True)) == [live.appointment_id]
    assert list(Appointment.objects.get().calls.all()) == [call]  # linked after the fact


def test_a_live_booking_that_could_not_reach_cal_com_is_completed_after_the_call(clinic, deliver, calcom):
    live = _live_request(clinic, BookingRequestStatus.RETRYING, AppointmentStatus.REQUESTED)
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, webhook_payload("call_analyzed"))
    result = process_received()[0]
    live.refresh_from_db()
    assert live.status == BookingRequestStatus.SUCCEEDED
    assert result["appointment_created"] is True and result["appointment_data"]["id"] == live.appointment_id
    assert Appointment.objects.count() == 1
    assert [c.request.method for c in calcom.calls].count("POST") == 1


def test_cal_com_down_then_back_ends_processed_with_exactly_one_booking(clinic, deliver, calcom):
    down = {"statusCode": 503, "message": "Service Unavailable"}
    calcom.add("POST", f"{BASE}/bookings", status=503, json=down)
    for _ in range(3):
        calcom.add("GET", f"{BASE}/bookings", status=503, json=down)
    deliver(clinic, webhook_payload("call_analyzed"))
    first = process_received()[0]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.RETRYING and event.next_attempt_at > timezone.now()
    assert first["success"] is False and "Will retry" in first["message"]
    assert event.pk not in webhook_events_due()  # not before its backoff
    WebhookEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert webhook_events_due() == [event.pk]

    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())  # back: nothing had been created
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    result = webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEventStatus.PROCESSED and event.attempts == 2
    assert result["appointment_created"] is True
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def _slot(day, hhmm):
    """A free half hour on `day` from `hhmm` Berlin wall clock, as /v2/slots writes it."""
    begin = timeline.at(day, hhmm)
    return (timeline.cal_local(begin), timeline.cal_local(begin + timedelta(minutes=30)))


def test_a_taken_slot_fails_the_event_and_keeps_alternatives_for_staff(clinic, deliver, calcom):
    day = timeline.booking_day()  # the caller wished 11:00 on it
    calcom.add("POST", f"{BASE}/bookings", status=400, json=fixture("error_slot_taken"))
    calcom.add(
        "GET",
        f"{BASE}/slots",
        json=slots_range({day.isoformat(): [_slot(day, "11:30"), _slot(day, "09:00")]}),
    )
    deliver(clinic, webhook_payload("call_analyzed"))
    process_received()
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED and "already has booking" in event.last_error
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.FAILED
    assert [a["time"] for a in appointment.alternatives] == ["11:30", "09:00"]
    assert Call.objects.get().status == CallStatus.ANALYZED  # the call itself is recorded


def test_an_unreadable_date_fails_with_a_reason_and_calls_nobody(clinic, deliver, calcom):
    payload = webhook_payload("call_analyzed")
    payload["call"]["call_analysis"]["custom_analysis_data"]["datum"] = "nächsten Dienstag"
    payload["call"]["collected_dynamic_variables"]["datum"] = "nächsten Dienstag"
    deliver(clinic, payload)
    process_received()
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED and "Cannot read the date" in event.last_error
    assert not calcom.calls and not Appointment.objects.exists()


def test_a_call_without_confirmation_books_nothing(clinic, deliver, calcom):
    payload = webhook_payload("call_ended")
    payload["call"]["collected_dynamic_variables"]["booking_confirmed"] = "false"
    deliver(clinic, payload)
    result = process_received()[0]
    assert result["success"] is True and result["appointment_created"] is False
    assert not Appointment.objects.exists() and not calcom.calls


def test_a_worker_that_died_leaves_the_event_to_the_sweeper(clinic, deliver, monkeypatch):
    deliver(clinic, webhook_payload("call_started"))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.update(
        status=WebhookEventStatus.PROCESSING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    queued = []
    monkeypatch.setattr("askpro.inbox.enqueue", lambda func, *args, queue: queued.append(args[0]))
    from telephony.tasks import requeue_due_webhook_events

    assert requeue_due_webhook_events() == 1 and queued == [event.pk]
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEventStatus.PROCESSED


def test_an_event_the_queue_refused_is_picked_up_at_the_next_sweep(
    clinic, deliver, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("askpro.inbox.enqueue", broker_down)
    with django_capture_on_commit_callbacks(execute=True):  # enqueued after the commit, as served
        deliver(clinic, webhook_payload("call_started"))
    assert webhook_events_due() == [WebhookEvent.objects.get().pk]


def test_an_event_waiting_in_the_queue_is_left_to_it_until_the_queue_must_have_lost_it(clinic, deliver):
    """A backlog is not a loss: re-queueing merely waiting events doubles the work (#15)."""
    from askpro.inbox import QUEUE_LOST_AFTER

    deliver(clinic, webhook_payload("call_started"))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert webhook_events_due() == []
    WebhookEvent.objects.update(received_at=timezone.now() - QUEUE_LOST_AFTER - timedelta(seconds=1))
    assert webhook_events_due() == [WebhookEvent.objects.get().pk]


def test_replay_command_processes_failed_events_again(clinic, deliver, calcom, capsys):
    calcom.add("POST", f"{BASE}/bookings", status=400, json=fixture("error_slot_taken"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    deliver(clinic, webhook_payload("call_analyzed"))
    process_received()
    assert WebhookEvent.objects.get().status == WebhookEventStatus.FAILED
    call_command("replay_webhooks", "--failed", "--dry-run")
    assert "would replay" in capsys.readouterr().out
    with pytest.raises(CommandError, match="1 events did not succeed"):
        call_command("replay_webhooks", "--failed")  # the booking request replays its failure
    assert WebhookEvent.objects.get().attempts == 2
    assert len(calcom.calls) == 2  # no second POST: the booking's first answer is replayed


def test_company_as_number_is_not_merged_into_another_companys_call(clinic, salon, deliver, calcom):
    deliver(clinic, webhook_payload("call_started"))
    process_received()
    from tests.retell_fakes import OTHER_API_KEY

    deliver(salon, webhook_payload("call_started", to_number="+493022222222"), key=OTHER_API_KEY)
    process_received()
    assert Call.objects.get().company == clinic
    foreign = WebhookEvent.objects.get(company=salon)
    assert foreign.status == WebhookEventStatus.FAILED and "another company" in foreign.last_error


@pytest.mark.django_db(transaction=True)
def test_three_concurrent_deliveries_store_one_event_and_book_once(clinic, calcom):
    """Three webhooks at once: on SQLite too, none meets 'database is locked'."""
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    body = as_body(webhook_payload("call_analyzed"))
    barrier, codes = threading.Barrier(3), []

    def post():
        try:
            barrier.wait()
            codes.append(
                Client()
                .post(f"/api/retell/webhook/{clinic.webhook_key}", body, **signed_headers(body))
                .status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [204, 204, 204]
    assert WebhookEvent.objects.count() == 1
    process_received()
    assert Appointment.objects.count() == 1 and len(calcom.calls) == 1


def test_a_sweep_hands_a_stored_event_back_once_not_every_minute(clinic, deliver, monkeypatch, pinned_clock):
    """Handed back to the queue, an event counts as queued again for a while: a backlog does not
    get it queued once a minute until a worker reaches it (#15)."""
    from askpro.inbox import QUEUE_LOST_AFTER
    from telephony.tasks import requeue_due_webhook_events

    deliver(clinic, webhook_payload("call_started"))
    WebhookEvent.objects.update(received_at=timezone.now() - QUEUE_LOST_AFTER - timedelta(minutes=1))
    queued = []
    monkeypatch.setattr("askpro.inbox.enqueue", lambda func, *args, queue: queued.append(args[0]))
    assert requeue_due_webhook_events() == 1
    pinned_clock.shift(timedelta(minutes=1))
    assert requeue_due_webhook_events() == 0
    pinned_clock.shift(QUEUE_LOST_AFTER)
    assert requeue_due_webhook_events() == 1 and len(queued) == 2


@pytest.mark.django_db(transaction=True)  # counted as they run: no test transaction around
def test_a_post_call_booking_writes_each_row_once_in_at_most_26_statements(
    clinic, deliver, calcom, django_assert_max_num_queries
):
    """#15: the booking event's hot path, counted as it runs (no test transaction around it, so
    each transaction's BEGIN and COMMIT count). The event is claimed and read in one statement;
    the customer is written once, in one statement of its own (the booking reuses the row
    processing just wrote); the call in one statement after its locked read; the company and the
    branch's services read once, the branch not at all (it came with the dialed number's cached
    owner); the call linked in one INSERT of its own. Four transactions: the call, the wish
    (appointment and request: on PostgreSQL one statement instead, core.rows.insert_pair), the
    breaker's row made on first use, and the outcome with its
    audit entry (#14), which reads nothing (its actor's call id is a subquery of that INSERT:
    audit.actors). The embedded defaults also read the vendor hold from the database. Was 49
    measured for #15."""
    deliver(clinic, webhook_payload("call_started"))
    process_received()
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, webhook_payload("call_ended"))
    event = WebhookEvent.objects.get(event="call_ended")
    with django_assert_max_num_queries(26) as captured:
        result = webhook_event_process(event_id=event.pk)
    assert result["appointment_created"] is True
    statements = [query["sql"] for query in captured.captured_queries]
    customer_upsert = [
        i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "booking_customer"')
    ]
    assert len(customer_upsert) == 1 and not statements[customer_upsert[0] - 1].startswith("BEGIN")
    link = next(i for i, sql in enumerate(statements) if 'INTO "telephony_call_appointments"' in sql)
    assert not statements[link - 1].startswith("BEGIN")  # a statement of its own
    assert sum('INTO "telephony_call_appointments"' in sql for sql in statements) == 1
    assert statements[0].startswith('UPDATE "telephony_webhookevent"')  # claimed and read at once
    assert sum('FROM "telephony_webhookevent"' in sql for sql in statements) == 0
    assert sum('"companies_company"' in sql for sql in statements) == 1
    assert sum('FROM "companies_branch"' in sql for sql in statements) == 0
    assert sum('FROM "companies_service"' in sql for sql in statements) <= 1
    if connection.vendor == "postgresql":  # the wish's appointment and request: one statement
        wish = 'WITH "first" AS (INSERT INTO "booking_appointment"'
        assert sum(sql.startswith(wish) for sql in statements) == 1
        assert sum(sql.startswith("BEGIN") for sql in statements) == 3
    else:
        assert sum(sql.startswith("BEGIN") for sql in statements) == 4
    assert sum('INTO "audit_auditentry"' in sql for sql in statements) == 1
    customer = Customer.objects.get()
    assert (customer.name, customer.email) == ("Jana Caller", "jana@example.com")
    assert Appointment.objects.get().customer == customer == Call.objects.get().customer
