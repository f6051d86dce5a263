"""Read-only queries for booking; all scoped by company."""

from django.db.models import QuerySet

from booking.models import Appointment, AppointmentStatus, Customer
from booking.results import ErrorType, ServiceError
from companies.models import Branch, Company


def company_get(company_id) -> Company:
    company = Company.objects.filter(pk=company_id, is_active=True).first()
    if company is None:
        raise ServiceError(ErrorType.CONFIGURATION, f"No active company {company_id}.")
    return company


def branch_for_event_type(*, company: Company, event_type_id: int, branch_id: int | None = None) -> Branch:
    """The company's branch that books in this event type; another company's is never found."""
    branches = Branch.objects.filter(company=company, calcom_event_type_id=event_type_id, is_active=True)
    if branch_id is not None:
        branches = branches.filter(pk=branch_id)
    branch = branches.select_related("company").order_by("pk").first()
    if branch is None:
        raise ServiceError(
            ErrorType.CONFIGURATION,
            f"Event type {event_type_id} is not configured for an active branch of this company.",
        )
    return branch


def appointment_by_reference(*, company: Company, reference) -> Appointment | None:
    """Our appointment id or a Cal.com booking uid, within the company only."""
    appointments = Appointment.objects.filter(company=company).select_related("branch", "customer")
    text = str(reference).strip()
    if text.isdigit():
        found = appointments.filter(pk=int(text)).first()
        if found:
            return found
    return appointments.filter(calcom_booking_uid=text).first() if text else None


def upcoming_appointments_for_phone(*, company: Company, phone: str, after) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            company=company,
            customer__phone=phone,
            start__gte=after,
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.PENDING],
        )
        .select_related("branch")
        .order_by("start")
    )


def customer_by_phone(*, company: Company, phone: str) -> Customer | None:
    return Customer.objects.filter(company=company, phone=phone).first()
