"""Cal.com is the truth: what the calendar holds of a booking, applied to our appointments.

Our own moves and cancellations (the calendar's answers), Cal.com's booking webhooks and the
periodic reconciliation all come through `calendar_booking_apply`, so one rule decides what an
appointment becomes. News older than what an appointment already shows is not applied, so
notices that arrive out of order end in the calendar's latest state. A booking made in Cal.com
itself (its booking page, the practice) becomes an appointment and a customer, so its caller
finds it by phone.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.actions import Action
from audit.trail import fields_changed, record
from booking import cache
from booking.calendar import CalendarBooking
from booking.customers import customer_upsert
from booking.models import Appointment, AppointmentSource, AppointmentStatus, BookingRequest, is_erased
from companies.models import Company
from companies.validators import normalize_e164
from core import clock

logger = logging.getLogger(__name__)
STATUS_OF = {
    "accepted": AppointmentStatus.BOOKED,
    "pending": AppointmentStatus.PENDING,
    "cancelled": AppointmentStatus.CANCELLED,
    "rejected": AppointmentStatus.REJECTED,
}


def calendar_booking_apply(
    *,
    company: Company,
    booking: CalendarBooking,
    appointment: Appointment | None = None,
    replaces: Appointment | None = None,
    audited: bool = True,
) -> Appointment | None:
    """The company's appointment that is `booking` now, made to agree with it; None when the
    booking is not of an event type the company books in. `appointment`: the one it is, when
    the caller knows (its own change's answer); `replaces`: the appointment a move replaced
    (otherwise found by `booking.rescheduled_from_uid`). What the calendar changed is an entry
    in the audit trail, unless the caller records it as its own change (`audited=False`)."""
    with transaction.atomic():
        previous = replaces or _by_uid(company, booking.rescheduled_from_uid)
        appointment = appointment or _appointment_of(company, booking)
        touched = [booking.start, *(a.start for a in (appointment, previous) if a is not None and a.start)]
        before = {a.pk: _audited_state(a) for a in (appointment, previous) if a is not None}
        if appointment is None:
            appointment = _adopted(company, booking, previous)
            if appointment is None:
                return None
        if not _is_older(booking, appointment):
            take_booking(appointment, booking)
            appointment.save()
        if previous is not None and previous.pk != appointment.pk:
            _link(previous, appointment)
        if audited:
            _record_news(company, before, appointment, previous)
    cache.branch_availability_invalidate(company, appointment.branch, appointment.event_type_id, *touched)
    return appointment


def _by_uid(company: Company, uid: str) -> Appointment | None:
    if not uid:
        return None
    return Appointment.objects.select_for_update().filter(company=company, calcom_booking_uid=uid).first()


def _appointment_of(company: Company, booking: CalendarBooking) -> Appointment | None:
    """Ours by the booking's uid, or, before our own booking's answer came back, by our key."""
    found = _by_uid(company, booking.uid)
    if found is not None or not booking.key:
        return found
    request = BookingRequest.objects.filter(company=company, idempotency_key=booking.key).first()
    if request is None or request.appointment_id is None:
        return None
    candidate = Appointment.objects.select_for_update().get(pk=request.appointment_id)
    # A move copies the metadata (and so our key) into the new booking: that one is not this.
    return candidate if candidate.calcom_booking_uid in ("", booking.uid) else None


def _is_older(booking: CalendarBooking, appointment: Appointment) -> bool:
    known = appointment.calendar_changed_at
    return bool(known and booking.changed_at and booking.changed_at < known)


def _adopted(company: Company, booking: CalendarBooking, previous: Appointment | None) -> Appointment | None:
    """A new appointment for a booking we did not know: what a move of ours became, or one made
    in Cal.com itself (if its event type is one of the company's branches')."""
    if previous is not None:
        return Appointment.objects.create(
            company=company,
            branch=previous.branch,
            customer=previous.customer,
            attendee_name=previous.attendee_name,
            attendee_email=previous.attendee_email,
            event_type_id=previous.event_type_id,
            start=booking.start or previous.start,
            source=previous.source,
            metadata={**previous.metadata, "rescheduled_from_uid": previous.calcom_booking_uid},
        )
    branch = company.branches.filter(calcom_event_type_id=booking.event_type_id).order_by("pk").first()
    if branch is None or booking.start is None:
        return None
    attendee = booking.attendee
    return Appointment.objects.create(
        company=company,
        branch=branch,
        customer=_customer(company, booking),
        attendee_name=attendee.name[:200] if attendee else "",
        attendee_email=attendee.email[:254] if attendee else "",
        event_type_id=booking.event_type_id,
        start=booking.start,
        source=AppointmentSource.CALENDAR,
    )


def _customer(company: Company, booking: CalendarBooking):
    attendee = booking.attendee
    if attendee is None or not attendee.phone:
        return None
    try:
        phone = normalize_e164(attendee.phone)
    except ValidationError:
        return None
    return customer_upsert(company=company, phone=phone, name=attendee.name[:200], email=attendee.email)


# What take_booking may change.
TAKEN_FIELDS = (
    "status",
    "cancelled_at",
    "calcom_booking_uid",
    "calcom_booking_id",
    "start",
    "end",
    "host_email",
    "attendee_name",
    "attendee_email",
    "calendar_changed_at",
)


def take_booking(appointment: Appointment, booking: CalendarBooking) -> None:
    """The appointment's calendar fields from the booking (what the booking does not say stays);
    no query, so our own booking's answer takes it on the hot path too."""
    status = AppointmentStatus.RESCHEDULED if booking.rescheduled_to_uid else STATUS_OF.get(booking.status)
    if status is not None:
        if status == AppointmentStatus.CANCELLED and appointment.status != status:
            appointment.cancelled_at = clock.now()
        appointment.status = status
    appointment.calcom_booking_uid = booking.uid or appointment.calcom_booking_uid
    appointment.calcom_booking_id = booking.id or appointment.calcom_booking_id
    appointment.start = booking.start or appointment.start
    appointment.end = booking.end or appointment.end
    appointment.host_email = booking.host_email or appointment.host_email
    # Not for a person erased on request: Cal.com still has their name (privacy/scrub.py).
    attendee = None if is_erased(appointment.metadata) else booking.attendee
    if attendee and not appointment.attendee_name:
        appointment.attendee_name = attendee.name[:200]
    if attendee and not appointment.attendee_email:
        appointment.attendee_email = attendee.email[:254]
    appointment.calendar_changed_at = booking.changed_at or clock.now()


def booking_difference(appointment: Appointment | None, booking: CalendarBooking) -> str:
    """What applying `booking` would change of `appointment`, in a word ("" for nothing): added,
    moved, cancelled, rejected, confirmed, pending or times."""
    if appointment is None:
        return "" if booking.ended or booking.rescheduled_to_uid else "added"
    if booking.rescheduled_to_uid:
        return "" if appointment.status == AppointmentStatus.RESCHEDULED else "moved"
    status = STATUS_OF.get(booking.status)
    if status is not None and status != appointment.status:
        return "confirmed" if status == AppointmentStatus.BOOKED else str(status)
    moved_in_time = (booking.start and booking.start != appointment.start) or (
        booking.end and booking.end != appointment.end
    )
    return "times" if moved_in_time else ""


# What the audit trail shows of a change the calendar made (no attendee: names are personal).
_AUDITED_FIELDS = ("status", "start", "end", "calcom_booking_id", "rescheduled_from_id")


def _audited_state(appointment: Appointment) -> dict:
    return {name: getattr(appointment, name) for name in _AUDITED_FIELDS}


def _record_news(company: Company, before: dict, *appointments: Appointment | None) -> None:
    """One entry per appointment the calendar's news changed (a new one: from nothing)."""
    for appointment in {a.pk: a for a in appointments if a is not None}.values():
        changes = fields_changed(before.get(appointment.pk, {}), _audited_state(appointment))
        if changes:
            record(Action.CALENDAR_CHANGE, company=company, obj=appointment, changes=changes)


def _link(previous: Appointment, new: Appointment) -> None:
    """`new` replaced `previous` in a move: the old one is rescheduled and points to it."""
    if previous.status != AppointmentStatus.RESCHEDULED:
        previous.status = AppointmentStatus.RESCHEDULED
        previous.save(update_fields=["status", "updated_at"])
    if new.rescheduled_from_id is None and not Appointment.objects.filter(rescheduled_from=previous).exists():
        new.rescheduled_from = previous
        new.save(update_fields=["rescheduled_from", "updated_at"])
