"""create_booking: one implementation for the live call, the post-call pipeline, admin and API.

validate -> claim a BookingRequest (unique key, committed) -> breaker -> Cal.com POST ->
Appointment -> drop cached availability -> metrics. A POST is never re-sent blindly: after an
ambiguous failure we first look for a booking carrying our idempotency key in its metadata.
"""

import logging
from datetime import timedelta

from django.db import transaction

from askpro import metrics
from askpro.work import failure_reason, is_transient
from booking import cache
from booking.booking_input import (
    BookingInput,
    booking_input_build,
    calcom_attendee,
    calcom_metadata,
    idempotency_key_for,
)
from booking.calcom import calcom_read, calcom_write
from booking.horizon import bookable_days
from booking.models import AppointmentStatus, BookingRequest, BookingRequestStatus
from booking.requests import WORK, booking_request_await, booking_request_claim, booking_request_take_over
from booking.results import ErrorType, ServiceError, fail, failure_from, ok
from booking.selectors import branch_for_event_type, company_get
from booking.times import parse_datetime, zone
from integrations.calcom.errors import BookingConflict
from integrations.errors import IntegrationError, TransientError

logger = logging.getLogger(__name__)


def create_booking(
    *,
    company_id,
    event_type_id: int,
    start,
    name: str,
    email: str | None = None,
    end=None,
    phone: str | None = None,
    notes: str | None = None,
    timezone: str | None = None,
    metadata: dict | None = None,
    idempotency_key: str | None = None,
    call_id: str | None = None,
    source: str = "api",
    branch_id: int | None = None,
) -> dict:
    """Book `start` in the event type, at most once per idempotency key (24 h)."""
    try:
        company = company_get(company_id)
        branch = branch_for_event_type(company=company, event_type_id=event_type_id, branch_id=branch_id)
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
        if not booking.email and not booking.phone:
            raise ServiceError(ErrorType.VALIDATION, "An email address or a phone number is needed.")
        days = bookable_days(branch=branch, event_type_id=event_type_id)
        days.check_start(booking.start_utc, zone(branch.effective_timezone))
    except ServiceError as exc:
        metrics.booking_total.labels("invalid").inc()
        return exc.result
    key = idempotency_key_for(booking, idempotency_key)
    request, created = booking_request_claim(company=company, branch=branch, booking=booking, key=key)
    if not created:
        return booking_request_await(request, execute=booking_request_execute)
    return booking_request_execute(request)


def booking_request_retry(*, request_id: int, include_failed: bool = False) -> dict:
    """Run a retrying (or, for staff, a failed) request again; no-op if someone else holds it."""
    request = BookingRequest.objects.select_related("company").get(pk=request_id)
    statuses = [BookingRequestStatus.RETRYING]
    if include_failed:
        statuses.append(BookingRequestStatus.FAILED)
    if not booking_request_take_over(request, from_statuses=statuses):
        return request.result or fail(ErrorType.BOOKING_FAILED, "This request is not waiting for a retry.")
    return booking_request_execute(request)


def booking_request_execute(request: BookingRequest) -> dict:
    """Do the work of a claimed request and record its outcome on the request and appointment."""
    WORK.start_attempt(request.pk)
    request.refresh_from_db()
    booking = BookingInput(**request.payload)
    try:
        data = _book(request, booking)
    except ServiceError as exc:
        return _finish_failed(request, exc.result)
    except IntegrationError as exc:
        if exc.permanent:
            return _finish_failed(request, failure_from(exc, otherwise=ErrorType.BOOKING_FAILED))
        return _schedule_retry(request, failure_from(exc, otherwise=ErrorType.BOOKING_FAILED), exc)
    except Exception as exc:
        if is_transient(exc):  # the database was busy or away: the wish is kept and retried
            logger.warning("booking request %s: transient %s, will retry", request.pk, type(exc).__name__)
            unavailable = fail(ErrorType.SERVICE_UNAVAILABLE, "Temporarily unavailable.")
            return _schedule_retry(request, unavailable, exc)
        logger.exception("booking request %s failed permanently", request.pk)
        return _finish_failed(request, fail(ErrorType.EXCEPTION, failure_reason(exc)))
    return _finish_booked(request, booking, data)


def _book(request: BookingRequest, booking: BookingInput) -> dict:
    company = request.company
    if request.attempts > 1:  # an earlier attempt may have created it without us hearing back
        found = _find_ours(company, booking, request.idempotency_key)
        if found:
            return found
    kwargs = _create_kwargs(company, booking, request.idempotency_key)
    try:
        return calcom_write(company, "create_booking", **kwargs)
    except (TransientError, BookingConflict) as exc:
        if isinstance(exc, TransientError) and not exc.request_sent:
            raise
        found = _find_ours(company, booking, request.idempotency_key)
        if found:
            logger.info("booking request %s: found our booking after an ambiguous failure", request.pk)
            return found
        if isinstance(exc, BookingConflict):
            raise
        return calcom_write(company, "create_booking", **kwargs)


def _create_kwargs(company, booking: BookingInput, key: str) -> dict:
    branch_language = company.branches.get(pk=booking.branch_id).effective_language
    kwargs = {
        "event_type_id": booking.event_type_id,
        "start": booking.start_utc,
        "attendee": calcom_attendee(booking, branch_language),
        "metadata": calcom_metadata(booking, key, company.slug),
    }
    if booking.notes:
        kwargs["booking_fields_responses"] = {"notes": booking.notes}
    return kwargs


def _find_ours(company, booking: BookingInput, key: str) -> dict | None:
    """A Cal.com booking of this event type near `start` that carries our idempotency key."""
    bookings = calcom_read(
        company,
        "list_bookings",
        event_type_id=booking.event_type_id,
        after_start=booking.start_utc - timedelta(minutes=1),
        before_end=booking.start_utc + timedelta(days=1),
    )
    return next((b for b in bookings if (b.get("metadata") or {}).get("idempotencyKey") == key), None)


def _finish_booked(request: BookingRequest, booking: BookingInput, data: dict) -> dict:
    pending = data.get("status") == "pending"
    appointment = request.appointment
    appointment.status = AppointmentStatus.PENDING if pending else AppointmentStatus.BOOKED
    appointment.calcom_booking_id = data.get("id")
    appointment.calcom_booking_uid = data.get("uid") or ""
    # Cal.com's times are the booking's truth (a booking found by our key may differ from the wish).
    appointment.start = _moment(data, "start") or appointment.start
    appointment.end = _moment(data, "end") or appointment.end
    appointment.attempts, appointment.failure_reason = request.attempts, ""
    result = ok(
        booking={
            "id": data.get("id"),
            "uid": data.get("uid"),
            "start": appointment.start.isoformat(),
            "end": appointment.end.isoformat() if appointment.end else None,
            "status": appointment.status,
            "event_type_id": booking.event_type_id,
        },
        appointment_id=appointment.pk,
        message="Booking requested; the host must confirm it." if pending else "Booking confirmed.",
        attempts=request.attempts,
    )
    with transaction.atomic():
        appointment.save()
        _close(request, BookingRequestStatus.SUCCEEDED, result)
    cache.availability_invalidate(request.company_id, booking.event_type_id)
    metrics.booking_total.labels("pending" if pending else "booked").inc()
    metrics.appointments_created_total.labels(booking.source).inc()
    return result


def _moment(data: dict, field: str):
    return parse_datetime(data[field], zone("UTC"), field=field) if data.get(field) else None


def _finish_failed(request: BookingRequest, result: dict) -> dict:
    appointment = request.appointment
    result = {**result, "appointment_id": appointment.pk, "booking_request_id": request.pk}
    appointment.status = AppointmentStatus.FAILED
    appointment.failure_reason, appointment.attempts = result["message"], request.attempts
    with transaction.atomic():
        appointment.save(update_fields=["status", "failure_reason", "attempts", "updated_at"])
        _close(request, BookingRequestStatus.FAILED, result, last_error=result["message"])
    metrics.booking_total.labels(result["error"]).inc()
    return result


def _schedule_retry(request: BookingRequest, result: dict, exc: Exception) -> dict:
    retry_at = WORK.retry_at(request.attempts)
    if retry_at is None:
        return _finish_failed(
            request, {**result, "message": WORK.gave_up(request.attempts, result["message"])}
        )
    result = {
        **result,
        "queued": True,
        "booking_request_id": request.pk,
        "appointment_id": request.appointment_id,
        "message": f"{result['message']} The booking is recorded and will be retried.",
    }
    request.appointment.attempts = request.attempts
    request.appointment.failure_reason = str(exc)[:500]
    with transaction.atomic():
        request.appointment.save(update_fields=["attempts", "failure_reason", "updated_at"])
        _close(request, BookingRequestStatus.RETRYING, result, last_error=str(exc), retry_at=retry_at)
    metrics.booking_total.labels("retrying").inc()
    return result


def _close(request: BookingRequest, status: str, result: dict, **ending) -> None:
    WORK.end(request.pk, status, result=result, **ending)
    request.refresh_from_db()
