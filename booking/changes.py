"""Move, cancel and annotate appointments, only within the company.

A move or cancellation is recorded (AppointmentChange) before Cal.com is called, like a booking:
a repeat gets the first outcome, a lost answer is read back from the calendar instead of being
sent again (booking/calendar/calcom.py), and a worker finishes what a dead process left. What
the calendar then holds is applied through calendar_sync, as Cal.com's own notices are.
"""

import hashlib
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import translation

from askpro import metrics
from askpro.work import RetriedWork
from audit.actions import Action
from audit.trail import CHANGED, record
from booking.availability import alternatives_when_taken
from booking.calendar import CalendarBooking, calendar_for
from booking.calendar_sync import calendar_booking_apply
from booking.calendar_work import attempt, await_first, refuse_erased, take_over, unfinished_or_failed
from booking.errors import BookingError, ErrorType
from booking.horizon import bookable_days
from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentChangeKind,
    AppointmentSource,
    AppointmentStatus,
    WorkStatus,
)
from booking.results import Annotated, Cancelled, Rescheduled
from booking.scope import own_appointment
from booking.times import parse_datetime, zone
from companies.models import Company
from core import clock

logger = logging.getLogger(__name__)
DEFAULT_CANCELLATION_REASON = "Cancelled by the caller on the phone"
DEFAULT_RESCHEDULE_REASON = "Rescheduled by the caller on the phone"
WORK = RetriedWork(
    AppointmentChange,
    processing=WorkStatus.PROCESSING,
    retrying=WorkStatus.RETRYING,
    done=WorkStatus.SUCCEEDED,
    failed=WorkStatus.FAILED,
    lease=timedelta(seconds=90),  # longer than one Cal.com call plus its read-back can take
    max_attempts_setting="BOOKING_MAX_ATTEMPTS",
    base_seconds_setting="BOOKING_RETRY_BASE_SECONDS",
)
# A failed change asked for again after this is tried again (the slot may be free now); within
# it, a repeat (Retell re-sends a function) gets the first answer.
FAILURE_REPLAYED_FOR = timedelta(minutes=15)


def _active(company: Company, appointment: Appointment, error: ErrorType) -> Appointment:
    """The company's appointment, still booked in the calendar; `error` if it no longer is."""
    own_appointment(company=company, appointment=appointment)
    if not appointment.is_active or not appointment.calcom_booking_uid:
        with translation.override(None):  # BookingError messages stay English (logs, API answers)
            state = appointment.get_status_display().lower()
        raise BookingError(error, f"Appointment {appointment.pk} is {state}.", appointment=appointment)
    return appointment


def appointment_reschedule(
    *,
    company: Company,
    appointment: Appointment,
    start,
    reason: str | None = None,
    source: str = AppointmentSource.API,
    call_id: str = "",
    idempotency_key: str | None = None,
) -> Rescheduled:
    """Move the appointment to `start` (a datetime or ISO string; naive means the branch's wall
    clock). Cal.com makes a new booking with a new uid; the old appointment is linked to the
    new one. A taken slot comes back with what is free instead."""
    own_appointment(company=company, appointment=appointment)
    tz = zone(appointment.branch.effective_timezone)
    new_start = parse_datetime(start, tz)
    payload = {"start": new_start.isoformat(), "reason": reason or DEFAULT_RESCHEDULE_REASON}
    payload |= {"idempotency_key": idempotency_key} if idempotency_key else {}
    repeated = _repeated(AppointmentChangeKind.RESCHEDULE, company, appointment, payload)
    if repeated is not None:
        return repeated
    _active(company, appointment, ErrorType.UPDATE_FAILED)
    if appointment.event_type_id:
        bookable_days(branch=appointment.branch, event_type_id=appointment.event_type_id).check_start(
            new_start, tz
        )
    return _run(company, appointment, AppointmentChangeKind.RESCHEDULE, payload, source, call_id)


def appointment_cancel(
    *,
    company: Company,
    appointment: Appointment,
    reason: str | None = None,
    source: str = AppointmentSource.API,
    call_id: str = "",
    idempotency_key: str | None = None,
) -> Cancelled:
    """Cancel in Cal.com (always with a reason: Cal.com requires one from the host)."""
    own_appointment(company=company, appointment=appointment)
    payload = {"reason": (reason or "").strip() or DEFAULT_CANCELLATION_REASON}
    payload |= {"idempotency_key": idempotency_key} if idempotency_key else {}
    repeated = _repeated(AppointmentChangeKind.CANCEL, company, appointment, payload)
    if repeated is not None:
        return repeated
    _active(company, appointment, ErrorType.CANCELLATION_FAILED)
    return _run(company, appointment, AppointmentChangeKind.CANCEL, payload, source, call_id)


def appointment_change_retry(*, change: AppointmentChange, include_failed: bool = False):
    """Run a waiting (or, for staff, a failed) change again; else its recorded outcome."""
    statuses = [WorkStatus.RETRYING, *([WorkStatus.FAILED] if include_failed else [])]
    if change.status in statuses:
        refuse_erased(change, _failure_type(change))
    if not take_over(change, work=WORK, from_statuses=statuses):
        return _replay(change)
    return _execute(change)


def _run(company: Company, appointment: Appointment, kind: str, payload: dict, source: str, call_id: str):
    change, created = _claim(company, appointment, kind, payload, source, call_id)
    if not created:
        return await_first(change, work=WORK, execute=_execute, replay=_replay)
    return _execute(change)


def _key(kind: str, company: Company, appointment: Appointment, payload: dict) -> str:
    """What makes two changes the same: the appointment, what is done to it, where to, and the
    key the asker gave (an agent's repeat of one request; without one, the change itself)."""
    given = payload.get("idempotency_key", "")
    basis = f"{kind}|{company.pk}|{appointment.pk}|{payload.get('start', '')}|{given}"
    return hashlib.sha256(basis.encode()).hexdigest()


def _repeated(kind: str, company: Company, appointment: Appointment, payload: dict):
    """The first answer to a change that was done already (the appointment has moved on since,
    so it is found by the change, not by the appointment's state)."""
    done = AppointmentChange.objects.filter(
        idempotency_key=_key(kind, company, appointment, payload), status=WorkStatus.SUCCEEDED
    ).first()
    return _replay(done) if done else None


def _claim(company, appointment, kind, payload, source, call_id) -> tuple[AppointmentChange, bool]:
    """The change's row, inserted (and committed) before Cal.com is called; or the identical
    change asked for before (a failure long enough ago is retired and asked for again)."""
    key = _key(kind, company, appointment, payload)
    try:
        with transaction.atomic():
            change = AppointmentChange.objects.create(
                company=company,
                appointment=appointment,
                kind=kind,
                idempotency_key=key,
                source=source,
                call_id=call_id or "",
                payload=payload,
                attempts=1,  # the claim is this first attempt
                lease_until=clock.now() + WORK.lease,
            )
        return change, True
    except IntegrityError:
        existing = AppointmentChange.objects.select_related("appointment").get(idempotency_key=key)
    stale = existing.status == WorkStatus.FAILED and existing.updated_at < clock.now() - FAILURE_REPLAYED_FOR
    retired = stale and AppointmentChange.objects.filter(pk=existing.pk, idempotency_key=key).update(
        idempotency_key=f"{key[:100]}:retired:{existing.pk}"
    )
    if retired:
        return _claim(company, appointment, kind, payload, source, call_id)
    return existing, False


def _failure_type(change: AppointmentChange) -> ErrorType:
    if change.kind == AppointmentChangeKind.RESCHEDULE:
        return ErrorType.UPDATE_FAILED
    return ErrorType.CANCELLATION_FAILED


def _execute(change: AppointmentChange):
    """Do a claimed change (its attempt counted) and record how it ended."""
    appointment = change.appointment
    doing = _failure_type(change)
    was = appointment.status
    standing = attempt(
        change,
        work=WORK,
        act=lambda: _send(change, appointment),
        doing=doing,
        failed=lambda error: _failed(change, error),
        kept=lambda error, exc, retry_at: _kept(change, error, exc, retry_at),
    )
    if change.kind == AppointmentChangeKind.CANCEL:
        return _cancelled(change, standing, was)
    return _moved(change, standing, was)


def _send(change: AppointmentChange, appointment: Appointment) -> CalendarBooking:
    calendar = calendar_for(change.company)
    reason = change.payload["reason"]
    if change.kind == AppointmentChangeKind.CANCEL:
        return calendar.cancel(appointment.calcom_booking_uid, reason=reason)
    # Naming the host keeps a confirmed booking confirmed (a pending one stays for the host).
    host = appointment.host_email if appointment.status == AppointmentStatus.BOOKED else ""
    start = datetime.fromisoformat(change.payload["start"])
    return calendar.reschedule(appointment.calcom_booking_uid, start=start, reason=reason, host_email=host)


def _moved(change: AppointmentChange, standing: CalendarBooking, was: str) -> Rescheduled:
    appointment = change.appointment
    if standing.ended and standing.uid == appointment.calcom_booking_uid:  # cancelled meanwhile
        calendar_booking_apply(company=change.company, booking=standing, appointment=appointment)
        refused = BookingError(ErrorType.UPDATE_FAILED, "The appointment was cancelled in the calendar.")
        raise _failed(change, refused)
    # Recorded as this move (below), not as news from the calendar.
    new = calendar_booking_apply(
        company=change.company, booking=standing, replaces=appointment, audited=False
    )
    change.replacement = new
    moved = {
        "status": (was, appointment.status),
        "start": (appointment.start, new.start),
        "replaced_by": new.pk,
    }
    _succeeded(change, new, "rescheduled", moved)
    return Rescheduled(appointment=new, previous=appointment)


def _cancelled(change: AppointmentChange, standing: CalendarBooking, was: str) -> Cancelled:
    appointment = change.appointment
    # Cancelled what a move (unknown to us) had made of it: the move is applied as well.
    moved = standing.uid != appointment.calcom_booking_uid and standing.rescheduled_from_uid
    if moved:
        cancelled = calendar_booking_apply(
            company=change.company, booking=standing, replaces=appointment, audited=False
        )
    else:
        cancelled = calendar_booking_apply(
            company=change.company, booking=standing, appointment=appointment, audited=False
        )
    _succeeded(change, cancelled, "cancelled", {"status": (was, cancelled.status)})
    return Cancelled(cancelled)


def _succeeded(change: AppointmentChange, appointment: Appointment, outcome: str, changes: dict) -> None:
    """The change is done: recorded on its row and, with what it `changes`, in the audit trail
    (on the appointment asked for; a move's new one is named by `replaced_by`)."""
    result = {"success": True, "message": f"Appointment {outcome}.", "appointment_id": appointment.pk}
    action = Action.CANCEL if change.kind == AppointmentChangeKind.CANCEL else Action.RESCHEDULE
    with transaction.atomic():
        if change.replacement_id:
            change.save(update_fields=["replacement", "updated_at"])
        WORK.end(change, WorkStatus.SUCCEEDED, result=result)
        record(action, company=change.company_id, obj=change.appointment, changes=changes)
    metrics.booking_total.labels(outcome).inc()


def _failed(change: AppointmentChange, error: BookingError) -> BookingError:
    """Record a permanent failure; a taken slot keeps what is free instead."""
    appointment = change.appointment
    if error.error_type is ErrorType.SLOT_UNAVAILABLE and change.kind == AppointmentChangeKind.RESCHEDULE:
        wish = datetime.fromisoformat(change.payload["start"])
        error = replace(
            error,
            alternatives=alternatives_when_taken(
                company=change.company, branch=appointment.branch, wish=wish
            ),
        )
    error = replace(error, appointment=appointment)
    WORK.end(change, WorkStatus.FAILED, result=error.as_envelope(), last_error=error.message)
    metrics.booking_total.labels(str(error.error_type)).inc()
    return error


def _kept(change: AppointmentChange, error: BookingError, exc: Exception, retry_at) -> BookingError:
    """The change stays recorded; a worker tries again at `retry_at`."""
    error = replace(error, appointment=change.appointment)
    WORK.end(change, WorkStatus.RETRYING, result=error.as_envelope(), last_error=str(exc), retry_at=retry_at)
    metrics.booking_total.labels("retrying").inc()
    return error


def _replay(change: AppointmentChange):
    """What the change's work answered, for a repeat of it."""
    if change.status == WorkStatus.SUCCEEDED:
        if change.kind == AppointmentChangeKind.CANCEL:
            # Erasure keeps the outcome but not its details: then the appointment asked for.
            cancelled = (change.result or {}).get("appointment_id", change.appointment_id)
            return Cancelled(Appointment.objects.get(pk=cancelled))
        return Rescheduled(appointment=change.replacement, previous=change.appointment)
    raise unfinished_or_failed(change, appointment=change.appointment)


def appointment_changes_due() -> list[int]:
    """Ids of changes a worker should try now: due retries and abandoned claims."""
    return WORK.due()


def appointment_annotate(
    *, company: Company, appointment: Appointment, title: str | None = None, description: str | None = None
) -> Annotated:
    """Keep a title or description on our record: Cal.com v2 cannot edit a booking's."""
    _active(company, appointment, ErrorType.UPDATE_FAILED)
    notes = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    if not notes:
        raise BookingError(ErrorType.VALIDATION, "Nothing to change.", fields=("title", "description"))
    appointment.metadata = {**appointment.metadata, **notes}
    with transaction.atomic():
        appointment.save(update_fields=["metadata", "updated_at"])
        record(Action.ANNOTATE, company=company, obj=appointment, changes=dict.fromkeys(notes, CHANGED))
    return Annotated(appointment, sorted(notes))
