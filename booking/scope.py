"""Deny by default: a booking service acts only on objects of the company it was called for.

Entry points find objects within a company (booking.selectors, scoped admin querysets); every
service checks again here, so an object of another tenant handed in by mistake is refused like
one that does not exist, before anything is asked of the calendar or written.
"""

from django.db.models import Q

from booking.errors import BookingError, ErrorType
from booking.models import Appointment
from companies.models import Branch, Company
from companies.services_offered import service_named, services_of

# The branches `bookable_branch` accepts, as a filter for listing them (of an active company).
BOOKABLE_BRANCH = Q(is_active=True, calcom_event_type_id__isnull=False)


def own_branch(*, company: Company, branch: Branch | None) -> Branch:
    if branch is None or branch.company_id != company.pk:
        raise BookingError(ErrorType.CONFIGURATION, "No such branch for this company.")
    return branch


def bookable_branch(*, company: Company, branch: Branch | None) -> int:
    """The event type the branch books in; CONFIGURATION unless the company's branch can book."""
    if not company.is_active:
        raise BookingError(ErrorType.CONFIGURATION, "The company is inactive.")
    own_branch(company=company, branch=branch)
    if not branch.is_active:
        raise BookingError(ErrorType.CONFIGURATION, f"The branch {branch.name} is inactive.")
    if not branch.calcom_event_type_id:
        raise BookingError(ErrorType.CONFIGURATION, f"The branch {branch.name} has no Cal.com event type id.")
    return branch.calcom_event_type_id


def bookable_event_type(*, company: Company, branch: Branch | None, service: str | None = None) -> int:
    """The event type to book in: that of the branch's service the caller named, else the
    branch's own. A service named that the branch does not offer is a validation error naming
    the field, so the caller is asked again (and told what there is)."""
    default = bookable_branch(company=company, branch=branch)
    if not service or not str(service).strip():
        return default
    chosen = service_named(branch, str(service))
    if chosen is not None:
        return chosen.calcom_event_type_id
    if not services_of(branch):
        return default  # a branch without services books everything in its one event type
    raise BookingError(ErrorType.VALIDATION, f"The branch does not offer {service!r}.", fields=("service",))


def own_appointment(*, company: Company, appointment: Appointment | None) -> Appointment:
    if appointment is None or appointment.company_id != company.pk:
        raise BookingError(ErrorType.NOT_FOUND, "No such appointment for this company.")
    return appointment
