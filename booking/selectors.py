"""Read-only queries for booking; every one takes the company (deny by default)."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from booking.errors import BookingError, ErrorType
from booking.models import Appointment, AppointmentStatus, BookingRequest, Customer
from booking.references import appointment_reference
from companies.models import Company
from companies.validators import normalize_e164
from core import clock
from core.rows import PRESENT, rows_where

ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
UPCOMING_LISTED = 10  # what a caller can be told in one breath


def appointment_by_reference(*, company: Company, reference) -> Appointment | None:
    """Our appointment id or a Cal.com booking uid, within the company only (staff, commands)."""
    appointments = Appointment.objects.filter(company=company).select_related("branch", "customer")
    text = str(reference).strip()
    if text.isdigit():
        found = appointments.filter(pk=int(text)).first()
        if found:
            return found
    return appointments.filter(calcom_booking_uid=text).first() if text else None


def upcoming_appointments_for_phone(
    *, company: Company, phone: str, limit: int = UPCOMING_LISTED
) -> list[Appointment]:
    """This caller's booked or pending appointments from now on, soonest first."""
    if not phone:
        return []
    upcoming = _upcoming(company).filter(_customer_of(company, phone=phone))
    return list(upcoming.select_related("branch").order_by("start")[:limit])


def _customer_of(company: Company, *, phone: str) -> Q:
    """The caller's customer record, named with its company so the (company, phone) index finds
    it: the phone alone would be looked up among every tenant's customers (#15)."""
    return Q(customer__company=company, customer__phone=phone)


def _upcoming(company: Company) -> QuerySet[Appointment]:
    """The company's appointments still to come that are on (booked, or awaiting confirmation)."""
    return Appointment.objects.filter(company=company, start__gte=clock.now(), status__in=ACTIVE)


def appointment_for_caller(*, company: Company, phone: str, reference: str = "") -> Appointment:
    """The caller's upcoming appointment they mean: the one with this opaque reference, or the
    only one they have. NOT_FOUND (naming `appointment_ref` when a reference was given) or
    AMBIGUOUS with the `candidates` to choose from."""
    upcoming = upcoming_appointments_for_phone(company=company, phone=phone)
    wanted = reference.strip().upper()
    if wanted:
        match = next((a for a in upcoming if appointment_reference(a) == wanted), None)
        if match is None:
            raise BookingError(
                ErrorType.NOT_FOUND,
                "No upcoming appointment of this caller has that reference.",
                fields=("appointment_ref",),
            )
        return match
    if not upcoming:
        raise BookingError(ErrorType.NOT_FOUND, "The caller has no upcoming appointments.")
    if len(upcoming) > 1:
        raise BookingError(
            ErrorType.AMBIGUOUS,
            f"The caller has {len(upcoming)} upcoming appointments.",
            candidates=tuple(upcoming),
        )
    return upcoming[0]


def upcoming_appointments_of_person(
    *, company: Company, phone: str = "", email: str = "", limit: int = 20
) -> list[Appointment]:
    """A customer's booked or pending appointments from now on, found by phone (any way people
    write it) or email, within the company only."""
    if not phone and not email:
        raise BookingError(
            ErrorType.VALIDATION, "Give a phone number or an email address.", fields=("phone", "email")
        )
    upcoming = _upcoming(company)
    if phone:
        try:
            upcoming = upcoming.filter(_customer_of(company, phone=normalize_e164(phone)))
        except ValidationError as exc:
            raise BookingError(
                ErrorType.VALIDATION, "That is not a phone number.", fields=("phone",)
            ) from exc
    if email:
        given = email.strip()
        upcoming = upcoming.filter(Q(attendee_email__iexact=given) | Q(customer__email__iexact=given))
    return list(upcoming.select_related("branch", "customer").order_by("start")[:limit])


def booking_requests_of_call(*, company: Company, call_id: str, source: str = "") -> QuerySet[BookingRequest]:
    """The booking wishes recorded during (or after) one call, optionally from one source."""
    requests = BookingRequest.objects.filter(company=company, call_id=call_id)
    return requests.filter(source=source) if source else requests


def booking_requests_holding(*, company: Company, call_id: str, statuses: tuple) -> list[BookingRequest]:
    """The call's wishes in one of `statuses` that have their appointment, oldest first: the
    post-call event's read for every call, with its SQL built once (core.rows, #15)."""
    return rows_where(
        BookingRequest, company=company.pk, call_id=call_id, status=statuses, appointment=PRESENT
    )


def customer_by_phone(*, company: Company, phone: str) -> Customer | None:
    return Customer.objects.filter(company=company, phone=phone).first()
