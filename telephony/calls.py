"""Calls merged from Retell events that arrive in any order, never moving backwards."""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from askpro.work import PermanentFailure
from core import clock
from core.rows import first_where, insert, row_insert_once, save_all
from telephony.models import Call, CallDirection, CallStatus

STATUS_RANK = {
    CallStatus.REGISTERED: 0,
    CallStatus.ONGOING: 1,
    CallStatus.NOT_CONNECTED: 2,
    CallStatus.ENDED: 2,
    CallStatus.ERROR: 2,
    CallStatus.ANALYZED: 3,
}


class ForeignCall(PermanentFailure):
    """The call id is already recorded for another company: never merge across tenants."""


def _status_for(event: str, data: dict) -> str:
    if event == "call_analyzed":
        return CallStatus.ANALYZED
    if event == "call_ended":
        reported = data.get("call_status")
        return reported if reported in (CallStatus.ERROR, CallStatus.NOT_CONNECTED) else CallStatus.ENDED
    return CallStatus.ONGOING


def _from_ms(value) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC) if isinstance(value, int | float) else None


def call_upsert(*, company, branch, customer, event: str, data: dict) -> Call:
    """Create or update the call from one event; safe to run for the same event twice.

    A locked read, then one UPDATE of the call found or one INSERT of a new one: four
    statements with the transaction's own. Two first events of one call at once: the INSERT
    that loses raises IntegrityError and its event is merged again into the winner's row."""
    try:
        return _call_merged(company, branch, customer, event, data)
    except IntegrityError:
        return _call_merged(company, branch, customer, event, data)  # now it is there to lock


def _call_merged(company, branch, customer, event: str, data: dict) -> Call:
    call_id = data["call_id"]
    with transaction.atomic():
        call = first_where(Call, "retell_call_id", call_id, for_update=True)
        if call is not None and call.company_id != company.pk:
            raise ForeignCall(f"Call {call_id} belongs to another company.")
        new = call is None
        if new:
            call = Call(company=company, retell_call_id=call_id)
        _merge(call, event, data)
        if call.branch_id is None:  # the ids: reading call.branch would load it
            call.branch = branch
        if call.customer_id is None:
            call.customer = customer
        if new:
            insert(call)
        else:
            save_all(call)
    return call


def call_appointment_link(*, company, call_id: str, appointment, replacing=None) -> None:
    """Link an appointment to the call it was made or moved in, once that call is recorded (a
    live booking may come before the call's first webhook is processed; post-call links it).
    An appointment `replacing` another (a move) also belongs to every call of the one it replaced."""
    calls = (
        set(Call.objects.filter(company=company, retell_call_id=call_id).values_list("pk", flat=True))
        if call_id
        else set()
    )
    if replacing is not None:
        calls |= set(replacing.calls.values_list("pk", flat=True))
    for pk in calls:
        _link(pk, appointment.pk)


def call_appointments_add(call: Call, appointments) -> None:
    """Link appointments made or kept for `call` (post-call processing); a link already there
    (a replay) stays as it is."""
    for appointment in appointments:
        _link(call.pk, appointment.pk)


def _link(call_pk: int, appointment_pk: int) -> None:
    """One INSERT per link and no transaction of its own: a bulk insert, or the relation's
    add(), wraps even one row in BEGIN and COMMIT (#15)."""
    row_insert_once(Call.appointments.through, call_id=call_pk, appointment_id=appointment_pk)


def _merge(call: Call, event: str, data: dict) -> None:
    status = _status_for(event, data)
    if STATUS_RANK[status] > STATUS_RANK.get(call.status, 0):
        call.status = status
    for field, key in (
        ("agent_id", "agent_id"),
        ("from_number", "from_number"),
        ("to_number", "to_number"),
        ("direction", "direction"),
        ("disconnection_reason", "disconnection_reason"),
        ("transcript", "transcript"),
    ):
        if data.get(key):
            setattr(call, field, str(data[key]))
    call.started_at = _from_ms(data.get("start_timestamp")) or call.started_at
    call.ended_at = _from_ms(data.get("end_timestamp")) or call.ended_at
    call.duration_ms = data.get("duration_ms") or call.duration_ms
    variables = {
        "retell_llm": data.get("retell_llm_dynamic_variables"),
        "collected": data.get("collected_dynamic_variables"),
    }
    call.dynamic_variables = {**call.dynamic_variables, **{k: v for k, v in variables.items() if v}}
    if event == "call_analyzed" and isinstance(data.get("call_analysis"), dict):
        _merge_analysis(call, data["call_analysis"])


def _merge_analysis(call: Call, analysis: dict) -> None:
    call.analysis = analysis
    call.summary = str(analysis.get("call_summary") or call.summary)
    call.sentiment = str(analysis.get("user_sentiment") or call.sentiment)
    if isinstance(analysis.get("call_successful"), bool):
        call.successful = analysis["call_successful"]


# Functions whose answer offers the caller free times (telephony.live), for the call's funnel.
ASKING_FOR_TIMES = frozenset({"check_availability", "find_alternatives"})


def live_call_ensure(*, company, branch, call_id: str, caller: str, dialed: str) -> None:
    """A live call is on record from its first function on, so what it books is linked to it at
    once and the call shows in admin before Retell's webhooks arrive (they merge into this row)."""
    if not call_id or len(call_id) > Call._meta.get_field("retell_call_id").max_length:
        return  # not an id Retell gives; the function is still answered
    recorded = Call(
        company=company,
        branch=branch,
        retell_call_id=call_id,
        from_number=caller,
        to_number=dialed[: Call._meta.get_field("to_number").max_length],
        direction=CallDirection.INBOUND,
        status=CallStatus.ONGOING,
        started_at=clock.now(),
    )
    # One statement whether or not its webhook recorded it first (then nothing changes here).
    Call.objects.bulk_create([recorded], ignore_conflicts=True)


def live_call_count(*, company, call_id: str, function: str, answer: dict) -> None:
    """Count a question for free times and how many were offered (the dashboard's funnel)."""
    if not call_id or function not in ASKING_FOR_TIMES:
        return
    data = answer.get("data") or {}
    offered = len(data.get("slots") or data.get("alternatives") or [])
    if data.get("preferred_available"):
        offered = max(offered, 1)  # the time wished for is free: that is the offer
    Call.objects.filter(company=company, retell_call_id=call_id).update(
        availability_checks=F("availability_checks") + 1, slots_offered=F("slots_offered") + offered
    )


def call_outcome(call: Call) -> tuple[str, str]:
    """How the call went, for staff: (label, tone: ok / warning / wrong / neutral). Reads the
    call's prefetched appointments."""
    states = {appointment.status for appointment in call.appointments.all()}
    if states & {"booked", "pending"}:
        return _("Booked"), "ok"
    if "failed" in states:
        return _("Booking failed"), "wrong"
    if call.status in (CallStatus.REGISTERED, CallStatus.ONGOING):
        return _("In progress"), "neutral"
    if call.status in (CallStatus.ERROR, CallStatus.NOT_CONNECTED):
        return _("Not connected"), "warning"
    if states & {"cancelled", "rescheduled"}:
        return _("Moved or cancelled"), "neutral"
    return _("No booking"), "neutral"
