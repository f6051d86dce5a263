"""Reschedule and cancel bookings we made, scoped to the company."""

import logging

from django.db import transaction

from askpro import metrics
from booking import cache
from booking.calcom import calcom_write
from booking.horizon import bookable_days
from booking.models import Appointment, AppointmentStatus
from booking.results import ErrorType, ServiceError, failure_from, ok
from booking.selectors import appointment_by_reference, company_get
from booking.times import parse_datetime, zone
from core import clock
from integrations.errors import IntegrationError

logger = logging.getLogger(__name__)
DEFAULT_CANCELLATION_REASON = "Cancelled by the caller on the phone"
DEFAULT_RESCHEDULE_REASON = "Rescheduled by the caller on the phone"
ACTIVE = {AppointmentStatus.BOOKED, AppointmentStatus.PENDING}


def _active_appointment(company, booking_id, error: ErrorType) -> Appointment:
    appointment = appointment_by_reference(company=company, reference=booking_id)
    if appointment is None:
        raise ServiceError(ErrorType.VALIDATION, f"No booking {booking_id} was found for this company.")
    if appointment.status not in ACTIVE or not appointment.calcom_booking_uid:
        raise ServiceError(error, f"Booking {booking_id} is {appointment.get_status_display().lower()}.")
    return appointment


def update_booking(
    *,
    company_id,
    booking_id,
    start=None,
    end=None,
    title: str | None = None,
    description: str | None = None,
    reschedule_reason: str | None = None,
) -> dict:
    """Move a booking (Cal.com makes a new uid; we link old and new) and/or note title/description.

    Cal.com v2 cannot edit a booking's title or description, so those are kept on our record.
    """
    try:
        company = company_get(company_id)
        appointment = _active_appointment(company, booking_id, ErrorType.UPDATE_FAILED)
        if start is None and end is None and title is None and description is None:
            raise ServiceError(ErrorType.VALIDATION, "Nothing to change.")
        if start is None:
            return _annotate(appointment, title=title, description=description)
        tz = zone(appointment.branch.effective_timezone)
        new_start = parse_datetime(start, tz)
        if appointment.event_type_id:
            bookable_days(branch=appointment.branch, event_type_id=appointment.event_type_id).check_start(
                new_start, tz
            )
        return _reschedule(company, appointment, new_start, reschedule_reason, title, description)
    except ServiceError as exc:
        return exc.result
    except IntegrationError as exc:
        return failure_from(exc, otherwise=ErrorType.UPDATE_FAILED)


def _annotate(appointment: Appointment, *, title, description) -> dict:
    notes = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    appointment.metadata = {**appointment.metadata, **notes}
    appointment.save(update_fields=["metadata", "updated_at"])
    return ok(
        booking_id=appointment.pk,
        updated_fields=sorted(notes),
        message="Noted on our record (Cal.com does not edit booking titles).",
    )


def _reschedule(company, old: Appointment, new_start, reason, title, description) -> dict:
    data = calcom_write(
        company,
        "reschedule_booking",
        old.calcom_booking_uid,
        start=new_start,
        reason=reason or DEFAULT_RESCHEDULE_REASON,
    )
    with transaction.atomic():
        old.status = AppointmentStatus.RESCHEDULED
        old.save(update_fields=["status", "updated_at"])
        new = Appointment.objects.create(
            company=company,
            branch=old.branch,
            customer=old.customer,
            event_type_id=old.event_type_id,
            start=new_start,
            end=parse_datetime(data["end"], zone("UTC")) if data.get("end") else None,
            status=AppointmentStatus.PENDING if data.get("status") == "pending" else AppointmentStatus.BOOKED,
            source=old.source,
            calcom_booking_id=data.get("id"),
            calcom_booking_uid=data.get("uid") or "",
            rescheduled_from=old,
            metadata=_carry_metadata(old, title, description),
        )
    if old.event_type_id:
        cache.availability_invalidate(company.pk, old.event_type_id)
    metrics.booking_total.labels("rescheduled").inc()
    return ok(
        booking={
            "id": data.get("id"),
            "uid": new.calcom_booking_uid,
            "start": new.start.isoformat(),
            "end": new.end.isoformat() if new.end else None,
            "status": str(new.status),
            "event_type_id": new.event_type_id,
        },
        appointment_id=new.pk,
        previous_appointment_id=old.pk,
        message="Booking moved.",
    )


def _carry_metadata(old: Appointment, title, description) -> dict:
    notes = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    return {**old.metadata, **notes, "rescheduled_from_uid": old.calcom_booking_uid}


def cancel_booking(*, company_id, booking_id, cancellation_reason: str | None = None) -> dict:
    """Cancel in Cal.com (always with a reason: Cal.com requires one from the host)."""
    try:
        company = company_get(company_id)
        appointment = _active_appointment(company, booking_id, ErrorType.CANCELLATION_FAILED)
        calcom_write(
            company,
            "cancel_booking",
            appointment.calcom_booking_uid,
            reason=(cancellation_reason or "").strip() or DEFAULT_CANCELLATION_REASON,
        )
    except ServiceError as exc:
        return exc.result
    except IntegrationError as exc:
        return failure_from(exc, otherwise=ErrorType.CANCELLATION_FAILED)
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, clock.now()
    appointment.save(update_fields=["status", "cancelled_at", "updated_at"])
    if appointment.event_type_id:
        cache.availability_invalidate(company.pk, appointment.event_type_id)
    metrics.booking_total.labels("cancelled").inc()
    return ok(
        booking_id=appointment.pk,
        cancelled_at=appointment.cancelled_at.isoformat(),
        message="Booking cancelled.",
    )
