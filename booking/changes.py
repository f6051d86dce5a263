"""Move, cancel and annotate appointments we booked, only within the company."""

import logging
from dataclasses import replace
from datetime import datetime

from django.db import transaction

from askpro import metrics
from booking import cache
from booking.availability import alternatives_when_taken
from booking.calendar import CalendarBooking, calendar_for
from booking.errors import BookingError, ErrorType, calendar_failures
from booking.horizon import bookable_days
from booking.models import Appointment, AppointmentStatus
from booking.results import Annotated, Cancelled, Rescheduled
from booking.scope import own_appointment
from booking.times import parse_datetime, zone
from companies.models import Company
from core import clock

logger = logging.getLogger(__name__)
DEFAULT_CANCELLATION_REASON = "Cancelled by the caller on the phone"
DEFAULT_RESCHEDULE_REASON = "Rescheduled by the caller on the phone"
ACTIVE = {AppointmentStatus.BOOKED, AppointmentStatus.PENDING}


def _active(company: Company, appointment: Appointment, error: ErrorType) -> Appointment:
    """The company's appointment, still booked in the calendar; `error` if it no longer is."""
    own_appointment(company=company, appointment=appointment)
    if appointment.status not in ACTIVE or not appointment.calcom_booking_uid:
        state = appointment.get_status_display().lower()
        raise BookingError(error, f"Appointment {appointment.pk} is {state}.", appointment=appointment)
    return appointment


def appointment_reschedule(
    *, company: Company, appointment: Appointment, start, reason: str | None = None
) -> Rescheduled:
    """Move the appointment to `start` (a datetime or ISO string; naive means the branch's wall
    clock). Cal.com makes a new booking with a new uid; the old one is linked to it. A taken
    slot comes back with what is free instead."""
    _active(company, appointment, ErrorType.UPDATE_FAILED)
    tz = zone(appointment.branch.effective_timezone)
    new_start = parse_datetime(start, tz)
    if appointment.event_type_id:
        bookable_days(branch=appointment.branch, event_type_id=appointment.event_type_id).check_start(
            new_start, tz
        )
    try:
        with calendar_failures(ErrorType.UPDATE_FAILED):
            moved = calendar_for(company).reschedule(
                appointment.calcom_booking_uid, start=new_start, reason=reason or DEFAULT_RESCHEDULE_REASON
            )
    except BookingError as exc:
        if exc.error_type is not ErrorType.SLOT_UNAVAILABLE:
            raise
        offered = alternatives_when_taken(company=company, branch=appointment.branch, wish=new_start)
        raise replace(exc, alternatives=offered, appointment=appointment) from exc
    new = _replace(appointment, moved, new_start)
    _calendar_changed(company, appointment, "rescheduled")
    return Rescheduled(appointment=new, previous=appointment)


def _replace(old: Appointment, moved: CalendarBooking, new_start: datetime) -> Appointment:
    with transaction.atomic():
        old.status = AppointmentStatus.RESCHEDULED
        old.save(update_fields=["status", "updated_at"])
        return Appointment.objects.create(
            company=old.company,
            branch=old.branch,
            customer=old.customer,
            event_type_id=old.event_type_id,
            start=new_start,
            end=moved.end,
            status=AppointmentStatus.PENDING if moved.pending else AppointmentStatus.BOOKED,
            source=old.source,
            calcom_booking_id=moved.id,
            calcom_booking_uid=moved.uid,
            rescheduled_from=old,
            metadata={**old.metadata, "rescheduled_from_uid": old.calcom_booking_uid},
        )


def appointment_cancel(*, company: Company, appointment: Appointment, reason: str | None = None) -> Cancelled:
    """Cancel in Cal.com (always with a reason: Cal.com requires one from the host)."""
    _active(company, appointment, ErrorType.CANCELLATION_FAILED)
    with calendar_failures(ErrorType.CANCELLATION_FAILED):
        calendar_for(company).cancel(
            appointment.calcom_booking_uid, reason=(reason or "").strip() or DEFAULT_CANCELLATION_REASON
        )
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, clock.now()
    appointment.save(update_fields=["status", "cancelled_at", "updated_at"])
    _calendar_changed(company, appointment, "cancelled")
    return Cancelled(appointment)


def _calendar_changed(company: Company, appointment: Appointment, outcome: str) -> None:
    if appointment.event_type_id:
        cache.availability_invalidate(company.pk, appointment.event_type_id)
    metrics.booking_total.labels(outcome).inc()


def appointment_annotate(
    *, company: Company, appointment: Appointment, title: str | None = None, description: str | None = None
) -> Annotated:
    """Keep a title or description on our record: Cal.com v2 cannot edit a booking's."""
    _active(company, appointment, ErrorType.UPDATE_FAILED)
    notes = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    if not notes:
        raise BookingError(ErrorType.VALIDATION, "Nothing to change.", fields=("title", "description"))
    appointment.metadata = {**appointment.metadata, **notes}
    appointment.save(update_fields=["metadata", "updated_at"])
    return Annotated(appointment, sorted(notes))
