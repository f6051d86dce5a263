"""booking_create: one implementation for the live call, the post-call pipeline, admin and MCP.

validate -> claim a BookingRequest (unique key, committed) -> the calendar, at most once per key
-> Appointment -> drop cached availability -> metrics. A taken slot comes back with what is free
instead; a calendar that did not answer leaves the wish recorded for a worker to retry.
"""

import logging
from dataclasses import replace

from django.db import transaction
from django.dispatch import Signal

from askpro import metrics
from audit.actions import Action
from audit.trail import record
from booking import cache
from booking.availability import alternatives_when_taken
from booking.booking_input import BookingInput, booking_input_build, idempotency_key_for
from booking.calendar import Attendee, CalendarBooking, NewBooking, calendar_for
from booking.calendar_sync import TAKEN_FIELDS, take_booking
from booking.calendar_work import attempt, await_first, refuse_erased, take_over
from booking.errors import BookingError, ErrorType
from booking.horizon import bookable_days
from booking.models import (
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    BookingRequestStatus,
    Customer,
    is_erased,
)
from booking.requests import WORK, booking_request_claim, booking_request_replay
from booking.results import Booked
from booking.scope import bookable_event_type
from booking.times import zone
from companies.models import Branch, Company
from core.rows import save_fields

logger = logging.getLogger(__name__)

# Sent with `booking_request` when a worker, post-call processing or staff finished a request
# (succeeded or failed), an outcome nobody waits for: an app above booking tells the caller
# (notifications), so booking imports none of them. A listener's error is logged, never raised.
booking_request_finished_later = Signal()
# On the appointment's metadata once its wish was kept for a retry: in a live call, the caller
# heard "noted" (telephony/live.py). Kept across attempts: attempts alone cannot say it, as a
# try that never reached Cal.com gives its attempt back.
KEPT_FOR_RETRY = "kept_for_retry"


def booking_create(
    *,
    company: Company,
    branch: Branch,
    start,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    end=None,
    notes: str | None = None,
    timezone: str | None = None,
    metadata: dict | None = None,
    idempotency_key: str | None = None,
    call_id: str | None = None,
    source: str = AppointmentSource.API,
    service: str | None = None,
    customer: Customer | None = None,
) -> Booked:
    """Book `start` (a datetime or ISO string; naive means the branch's wall clock) in the
    event type of the `service` the caller named (booking.scope.bookable_event_type; the
    branch's own without one), at most once per idempotency key (24 h). `customer`: the
    caller's row as the caller just wrote it, so it is not written a second time."""
    try:
        event_type_id = bookable_event_type(company=company, branch=branch, service=service)
        booking = booking_input_build(
            company=company,
            branch=branch,
            event_type_id=event_type_id,
            start=start,
            end=end,
            name=name,
            email=email,
            phone=phone,
            notes=notes,
            timezone=timezone or branch.effective_timezone,
            metadata=metadata,
            call_id=call_id,
            source=source,
        )
        _check_bookable(booking, branch)
    except BookingError:
        metrics.booking_total.labels("invalid").inc()
        raise
    key = idempotency_key_for(booking, idempotency_key)
    request, created = booking_request_claim(
        company=company, branch=branch, booking=booking, key=key, customer=customer
    )
    if not created:
        if idempotency_key:
            _check_same_wish(request, booking)
        return await_first(request, work=WORK, execute=_execute, replay=booking_request_replay)
    return _execute(request)


# What a repeat under the caller's own key must share with the first request to be "the same".
_SAME_WISH = ("branch_id", "event_type_id", "start", "name", "email", "phone")


def _check_same_wish(request: BookingRequest, booking: BookingInput) -> None:
    """A caller's key names one booking: given again with another time or person it is a
    mistake, refused, rather than answered with the first booking's result. A key whose
    first wish was erased names nothing we can compare with: refused the same way."""
    first = None if is_erased(request.payload) else BookingInput(**request.payload)
    if first is None or any(getattr(first, name) != getattr(booking, name) for name in _SAME_WISH):
        raise BookingError(
            ErrorType.VALIDATION,
            "This idempotency key was already used for a different booking; use a new key.",
            fields=("idempotency_key",),
        )


def _check_bookable(booking: BookingInput, branch: Branch) -> None:
    if not booking.email and not booking.phone:
        raise BookingError(
            ErrorType.VALIDATION, "An email address or a phone number is needed.", fields=("email", "phone")
        )
    days = bookable_days(branch=branch, event_type_id=booking.event_type_id)
    days.check_start(booking.start_utc, zone(branch.effective_timezone))


def booking_request_retry(*, booking_request: BookingRequest, include_failed: bool = False) -> Booked:
    """Run a retrying (or, for staff, a failed) request again; if someone else holds it or it
    is finished, its recorded outcome."""
    statuses = [BookingRequestStatus.RETRYING]
    if include_failed:
        statuses.append(BookingRequestStatus.FAILED)
    if booking_request.status in statuses:
        refuse_erased(booking_request, ErrorType.BOOKING_FAILED)
    if not take_over(booking_request, work=WORK, from_statuses=statuses):
        return booking_request_replay(booking_request)
    try:
        booked = _execute(booking_request)
    except BookingError:
        _announce_if_finished(booking_request)
        raise
    _announce_if_finished(booking_request)
    return booked


def _announce_if_finished(request: BookingRequest) -> None:
    if request.is_finished:
        booking_request_finished_later.send_robust(sender=BookingRequest, booking_request=request)


def _execute(request: BookingRequest) -> Booked:
    """Do the work of a claimed request (its attempt already counted) and record how it ended."""
    booking = BookingInput(**request.payload)
    made = attempt(
        request,
        work=WORK,
        act=lambda: _book(request, booking),
        doing=ErrorType.BOOKING_FAILED,
        failed=lambda error: _failed(request, booking, error),
        kept=lambda error, exc, retry_at: _kept(request, error, exc, retry_at),
    )
    return _booked(request, booking, made)


def _book(request: BookingRequest, booking: BookingInput) -> CalendarBooking:
    calendar = calendar_for(request.company)
    if request.attempts > 1:  # an earlier attempt may have booked it without us hearing back
        found = calendar.find_by_key(
            event_type_id=booking.event_type_id, start=booking.start_utc, key=request.idempotency_key
        )
        if found:
            return found
    return calendar.book(_new_booking(request, booking))


def _new_booking(request: BookingRequest, booking: BookingInput) -> NewBooking:
    language = request.appointment.branch.effective_language
    return NewBooking(
        event_type_id=booking.event_type_id,
        start=booking.start_utc,
        attendee=Attendee(booking.name, booking.timezone, language, email=booking.email, phone=booking.phone),
        key=request.idempotency_key,
        source=booking.source,
        call_id=booking.call_id,
        notes=booking.notes,
        tags=booking.metadata,
    )


def _booked(request: BookingRequest, booking: BookingInput, made: CalendarBooking) -> Booked:
    appointment = request.appointment
    was = appointment.status
    # The calendar's times are the booking's truth (a booking found by our key may differ).
    take_booking(appointment, made)
    appointment.attempts, appointment.failure_reason = request.attempts, ""
    booked = Booked(appointment, request)
    with transaction.atomic():
        save_fields(appointment, [*TAKEN_FIELDS, "attempts", "failure_reason", "updated_at"])
        WORK.end(request, BookingRequestStatus.SUCCEEDED, result=booked.as_envelope())
        record(Action.BOOK, company=request.company_id, obj=appointment, changes=_outcome(appointment, was))
    cache.branch_availability_invalidate(
        request.company, appointment.branch, booking.event_type_id, made.start
    )
    metrics.booking_total.labels("pending" if made.pending else "booked").inc()
    metrics.appointments_created_total.labels(booking.source).inc()
    return booked


def _failed(request: BookingRequest, booking: BookingInput, error: BookingError) -> BookingError:
    """Record a permanent failure for staff; a taken slot keeps what is free instead."""
    appointment = request.appointment
    if error.error_type is ErrorType.SLOT_UNAVAILABLE:
        offered = alternatives_when_taken(
            company=request.company,
            branch=appointment.branch,
            wish=booking.start_utc,
            service=(booking.metadata or {}).get("service"),
        )
        error = replace(error, alternatives=offered)
        appointment.alternatives = [a.as_dict() for a in offered or []]
    error = replace(error, appointment=appointment, booking_request=request)
    was, appointment.status = appointment.status, AppointmentStatus.FAILED
    appointment.failure_reason, appointment.attempts = error.message, request.attempts
    with transaction.atomic():
        save_fields(appointment, ["status", "failure_reason", "attempts", "alternatives", "updated_at"])
        WORK.end(request, BookingRequestStatus.FAILED, result=error.as_envelope(), last_error=error.message)
        record(
            Action.BOOK_FAILED,
            company=request.company_id,
            obj=appointment,
            changes=_outcome(appointment, was),
        )
    metrics.booking_total.labels(str(error.error_type)).inc()
    return error


def _kept(request: BookingRequest, error: BookingError, exc: Exception, retry_at) -> BookingError:
    """The wish stays recorded; a worker tries again at `retry_at`."""
    appointment = request.appointment
    error = replace(error, appointment=appointment, booking_request=request)
    appointment.attempts, appointment.failure_reason = request.attempts, str(exc)[:500]
    appointment.metadata = {**appointment.metadata, KEPT_FOR_RETRY: True}
    with transaction.atomic():
        save_fields(appointment, ["attempts", "failure_reason", "metadata", "updated_at"])
        WORK.end(
            request,
            BookingRequestStatus.RETRYING,
            result=error.as_envelope(),
            last_error=str(exc),
            retry_at=retry_at,
        )
        record(
            Action.BOOK_KEPT,
            company=request.company_id,
            obj=appointment,
            changes={"attempts": request.attempts},
        )
    metrics.booking_total.labels("retrying").inc()
    return error


def _outcome(appointment, was: str) -> dict:
    """What a booking's outcome is in the audit trail (no name, no number: booking.source says
    who asked, the actor which call, agent or staff member)."""
    return {
        "status": (was, appointment.status),
        "start": (None, appointment.start),
        "source": (None, appointment.source),
    }
