"""An erasure request: her future appointment cancelled in Cal.com first, Retell's copies of her
calls deleted, then our rows deleted or blanked, so that nothing leads back to her, while counts
stay as they were and another company's customer with her number is untouched. What could not be
done at the vendors is listed for staff."""

import json
from collections import Counter
from datetime import timedelta
from hashlib import sha256

import pytest
from django.core import serializers
from django.db import connection
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from audit.models import AuditEntry
from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentChangeKind,
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    CalendarNotice,
    WorkStatus,
)
from booking.notices import calendar_notice_process
from booking.services import (
    BookingError,
    ErrorType,
    appointment_cancel,
    appointment_change_retry,
    booking_create,
    booking_request_retry,
)
from console.attention import attention_items
from console.models import FollowUp
from core import clock
from integrations.calcom.signature import sign
from privacy.erasure import CANCELLATION_REASON, erase_person, erasure_plan
from privacy.person import TABLES
from privacy.retention import apply_retention
from telephony.models import Call, CallStatus, WebhookEvent
from tests import calcom_fakes, retell_fakes, timeline
from tests.calcom_fakes import json_body
from tests.privacy import people
from tests.privacy.vendors import CALCOM, HER_CALLS, cal_com_cancels, database_dump, retell_deletes

pytestmark = pytest.mark.django_db


CAL_COM_SECRET = "whsec_alpha"


def _erase(company, **kwargs):
    return erase_person(company=company, phone=kwargs.pop("phone", people.PHONE), **kwargs)


def cal_com_tells(client, company, notice: dict) -> None:
    """Cal.com's webhook `notice`, signed with CAL_COM_SECRET (set on `company`), accepted and
    processed as the worker would."""
    body = json.dumps(notice).encode()
    answer = client.post(
        f"/api/calcom/webhook/{company.webhook_key}",
        body,
        content_type="application/json",
        HTTP_X_CAL_SIGNATURE_256=sign(body, CAL_COM_SECRET),
    )
    assert answer.status_code < 300
    calendar_notice_process(notice_id=CalendarNotice.objects.get(status="received").pk)


def _task_queue() -> str:
    """django-q's tables as raw rows, and the tasks waiting in its database broker unpacked."""
    texts = []
    with connection.cursor() as cursor:
        for table in ("django_q_task", "django_q_ormq", "django_q_schedule"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            texts.append(repr(cursor.fetchall()))
    texts += [repr(SignedPackage.loads(queued.payload)) for queued in OrmQ.objects.all()]
    return "\n".join(texts)


def _counts() -> dict:
    return {
        "calls": Counter(Call.objects.values_list("company_id", "status")),
        "appointments": Counter(Appointment.objects.values_list("company_id", "status")),
        "booking_requests": Counter(BookingRequest.objects.values_list("company_id", "status")),
    }


def test_after_erasure_no_row_and_no_dump_holds_any_of_her_identifiers(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    assert people.rows_naming_her()  # before: many rows

    _erase(alpha, email=people.EMAIL)

    assert people.rows_naming_her() == {}
    dump, queue = database_dump(), _task_queue()
    for identifier in people.IDENTIFIERS:
        assert identifier not in dump, identifier
        assert identifier not in queue, identifier


def test_counts_stay_as_they_were_but_her_future_appointment_is_cancelled(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    before = _counts()

    _erase(alpha)

    after = _counts()
    assert after["calls"] == before["calls"]
    assert after["booking_requests"] == before["booking_requests"]
    moved = before["appointments"].copy()
    moved[(alpha.pk, AppointmentStatus.BOOKED)] -= 1
    moved[(alpha.pk, AppointmentStatus.CANCELLED)] += 1
    assert after["appointments"] == +moved
    her.call.refresh_from_db()
    assert her.call.duration_ms and her.call.branch_id and her.call.to_number == people.CLINIC_NUMBER
    assert her.call.transcript == "" and her.call.from_number == "" and her.call.customer_id is None


def test_her_future_appointment_is_cancelled_in_cal_com_with_a_reason_and_the_result_says_so(
    her, alpha, wire
):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)

    result = _erase(alpha)

    cancel = next(call for call in wire.calls if call.request.url.endswith("/cancel"))
    assert json_body(cancel) == {"cancellationReason": CANCELLATION_REASON}
    assert [item.uid for item in result.cancelled] == [people.BOOKING_UID]
    assert result.not_cancelled == []
    her.future.refresh_from_db()
    assert her.future.status == AppointmentStatus.CANCELLED and her.future.attendee_name == ""
    assert result.erased["customers"] == 1 and result.erased["calls"] == 2
    assert sorted(result.retell_deleted) == sorted(HER_CALLS) and result.retell_failed == []
    # Cal.com keeps its bookings, cancelled ones too; the SMS provider its text: staff are told.
    assert result.calendar_bookings == sorted([people.BOOKING_UID, "bk_past_1"])
    assert result.texts_sent == ["SM0123456789abcdef"] and result.staff_must_act


def test_an_appointment_cal_com_will_not_cancel_is_listed_for_staff_with_branch_time_and_uid(
    her, alpha, wire
):
    start = people.booking_start() + timedelta(hours=2)
    second = Appointment.objects.create(
        company=alpha,
        branch=alpha.branches.get(),
        customer=her.customer,
        attendee_name=people.NAME,
        start=start,
        status=AppointmentStatus.BOOKED,
        source="admin",
        calcom_booking_uid="bk_refused",
    )
    cal_com_cancels(wire)
    wire.post(
        f"{CALCOM}/bookings/bk_refused/cancel", status=403, json=calcom_fakes.fixture("error_forbidden")
    )
    retell_deletes(wire, *HER_CALLS)

    result = _erase(alpha)

    [left] = result.not_cancelled
    assert (left.appointment_id, left.uid, left.branch) == (second.pk, "bk_refused", "Alpha Mitte")
    assert timeline.at(timeline.booking_day(), "13:00").strftime("%H:%M") in left.when and left.reason
    second.refresh_from_db()
    assert second.status == AppointmentStatus.BOOKED and second.attendee_name == ""  # erased all the same


def test_retell_is_asked_to_delete_each_call_and_a_refusal_is_listed_for_staff(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, retell_fakes.CALL_ID)
    retell_deletes(wire, "call_outbound_jana", status=500)

    result = _erase(alpha)

    deletes = [call for call in wire.calls if call.request.method == "DELETE"]
    assert {call.request.headers["Authorization"] for call in deletes} == {f"Bearer {retell_fakes.API_KEY}"}
    assert result.retell_deleted == [retell_fakes.CALL_ID]
    [failed] = result.retell_failed
    assert failed.call_id == "call_outbound_jana" and "Retell" in failed.reason


def test_without_a_retell_key_every_call_is_listed_and_retell_is_not_asked(her, alpha, wire):
    alpha.retell_api_key = None
    alpha.save()
    cal_com_cancels(wire)

    result = _erase(alpha)

    assert sorted(item.call_id for item in result.retell_failed) == sorted(HER_CALLS)
    assert all("Retell API key" in item.reason for item in result.retell_failed)
    assert not [call for call in wire.calls if call.request.method == "DELETE"]


def test_her_twin_at_another_company_is_untouched(her, alpha, wire):
    beta = people.salon()
    people.twin_at(beta)
    theirs = _rows_of(beta)
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)

    _erase(alpha)

    assert _rows_of(beta) == theirs
    assert {people.company_of(row) for row in people.rows_naming_her().values()} == {beta.pk}


def _rows_of(company) -> dict:
    return {
        table.key: serializers.serialize("json", table.model.objects.filter(company=company).order_by("pk"))
        for table in TABLES
        if table.key != "admin_log"
    }


def test_the_plan_changes_nothing_and_says_what_will_go(her, alpha):
    dump = database_dump()
    plan = erasure_plan(company=alpha, phone="0151 12345678")
    assert database_dump() == dump
    assert plan.counts["calls"] == 2 and plan.counts["customers"] == 1
    assert [appointment.pk for appointment in plan.to_cancel] == [her.future.pk]
    assert sorted(plan.retell_call_ids) == sorted(HER_CALLS) and plan.retell_configured


def test_one_audit_entry_records_the_erasure_by_counts_only(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    result = _erase(alpha)
    entry = AuditEntry.objects.get(action="erase")
    assert entry.company_id == alpha.pk and entry.object_type == "privacy.person" and entry.object_id == ""
    assert {key: entry.changes[key] for key in result.erased} == result.erased
    assert entry.changes["cancelled_in_calendar"] == 1 and entry.changes["deleted_at_retell"] == 2
    for other in AuditEntry.objects.all():
        assert not people.names_her(json.dumps(other.changes) + other.actor_label + other.object_id)


def test_her_open_items_leave_needs_attention_and_waiting_work_is_stopped(her, alpha, wire):
    waiting = BookingRequest.objects.create(
        company=alpha,
        idempotency_key="waiting-1",
        source="live_call",
        call_id="call_waiting",  # a live wish kept for a retry: Cal.com was away
        payload={"name": people.NAME, "phone": people.PHONE},
        status=WorkStatus.RETRYING,
    )
    lost = WebhookEvent.objects.get(call_id="call_lost_jana")
    assert [item.subject for item in attention_items(alpha)] == [f"webhookevent:{lost.pk}"]
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)

    result = _erase(alpha)

    waiting.refresh_from_db()
    assert waiting.status == WorkStatus.FAILED and waiting.payload == {"erased": True} and result.stopped == 1
    assert attention_items(alpha) == []
    assert FollowUp.objects.get(subject=f"bookingrequest:{her.failed_wish.pk}").note == ""
    closed = FollowUp.objects.get(subject=f"bookingrequest:{waiting.pk}")
    assert closed.note and not people.names_her(closed.note)


def test_cal_coms_notice_of_the_cancellation_arriving_later_does_not_bring_her_back(her, alpha, wire, client):
    alpha.calcom_webhook_secret = CAL_COM_SECRET
    alpha.save()
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    _erase(alpha)

    notice = calcom_fakes.fixture("notice_booking_cancelled")
    notice["payload"]["attendees"][0].update({"name": people.NAME, "email": people.EMAIL})
    start = people.booking_start()
    end = start + timedelta(minutes=30)
    notice["payload"].update({"startTime": timeline.z(start), "endTime": timeline.z(end)})
    cal_com_tells(client, alpha, notice)

    her.future.refresh_from_db()
    assert her.future.attendee_name == "" and her.future.attendee_email == ""
    assert people.rows_naming_her() == {}


def test_the_plan_warns_of_a_call_still_being_reported_but_not_of_one_long_quiet(her, alpha, pinned_clock):
    assert erasure_plan(company=alpha, phone=people.PHONE).under_way == 0
    Call.objects.filter(pk=her.call.pk).update(status=CallStatus.ENDED, updated_at=clock.now())
    assert erasure_plan(company=alpha, phone=people.PHONE).under_way == 1  # call_analyzed is due
    pinned_clock.move_to(clock.now() + timedelta(hours=2))
    assert erasure_plan(company=alpha, phone=people.PHONE).under_way == 0


def test_her_erased_wish_cannot_be_run_again_and_its_key_names_nothing(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    _erase(alpha)
    wish = BookingRequest.objects.get(pk=her.failed_wish.pk)
    before = (wish.status, wish.attempts, wish.payload, wish.result)

    with pytest.raises(BookingError, match="erased on the person's request") as refused:
        booking_request_retry(booking_request=wish, include_failed=True)  # staff's "Retry now"

    assert refused.value.error_type == ErrorType.BOOKING_FAILED
    wish.refresh_from_db()
    assert (wish.status, wish.attempts, wish.payload, wish.result) == before
    # An agent that made her wish under its own key gives that key again.
    BookingRequest.objects.filter(pk=wish.pk).update(
        idempotency_key=sha256(f"key|{alpha.pk}|k-1".encode()).hexdigest()
    )
    with pytest.raises(BookingError, match="already used for a different booking"):
        booking_create(
            company=alpha,
            branch=alpha.branches.get(),
            start=people.booking_start() + timedelta(days=7),
            name="Someone Else",
            phone="+4930555010",
            idempotency_key="k-1",
        )


def test_her_erased_change_cannot_be_retried_and_a_repeat_gets_its_outcome(her, alpha, wire):
    cal_com_cancels(wire)
    retell_deletes(wire, *HER_CALLS)
    _erase(alpha)
    cancelled_by_us = AppointmentChange.objects.get(appointment=her.future)
    assert cancelled_by_us.payload == {"erased": True} and cancelled_by_us.result is None
    failed = AppointmentChange.objects.create(
        company=alpha,
        appointment=her.past,
        kind=AppointmentChangeKind.RESCHEDULE,
        idempotency_key="move-past-erased",
        source=AppointmentSource.ADMIN,
        payload={"erased": True},
        status=WorkStatus.FAILED,
    )

    with pytest.raises(BookingError, match="erased on the person's request"):
        appointment_change_retry(change=failed, include_failed=True)
    repeat = appointment_cancel(company=alpha, appointment=her.future, reason=CANCELLATION_REASON)

    assert repeat.appointment.pk == her.future.pk and repeat.appointment.status == AppointmentStatus.CANCELLED
    failed.refresh_from_db()
    assert failed.status == WorkStatus.FAILED and failed.attempts == 0


def test_her_booking_moved_in_cal_com_after_erasure_comes_back_without_her(her, alpha, wire, client):
    alpha.calcom_webhook_secret = CAL_COM_SECRET
    alpha.save()
    refused = calcom_fakes.fixture("error_forbidden")
    wire.post(f"{CALCOM}/bookings/{people.BOOKING_UID}/cancel", status=403, json=refused)
    retell_deletes(wire, *HER_CALLS)
    assert [item.uid for item in _erase(alpha).not_cancelled] == [people.BOOKING_UID]

    notice = calcom_fakes.fixture("notice_booking_rescheduled")  # staff moved it, in Cal.com
    notice["payload"]["attendees"][0].update({"name": people.NAME, "email": people.EMAIL})
    cal_com_tells(client, alpha, notice)

    moved = Appointment.objects.get(company=alpha, calcom_booking_uid="bk_moved_2")
    assert moved.metadata["erased"] is True and moved.customer_id is None
    assert (moved.attendee_name, moved.attendee_email) == ("", "")
    assert people.rows_naming_her() == {}
    assert apply_retention(company=alpha).counts["appointments"] == 0  # the mark stays
