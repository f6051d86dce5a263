"""The calendar port (port.py) and the company's calendar behind it (today always Cal.com)."""

from urllib.parse import urlsplit

from booking.calendar.calcom import CalcomCalendar
from booking.calendar.port import Attendee, Calendar, CalendarBooking, CalendarMessage, EventType, NewBooking
from booking.errors import BookingError, ErrorType
from companies.crypto import SecretUnusable, reveal_required
from companies.models import Company
from integrations.breaker import CircuitBreaker, breaker_for
from integrations.calcom.client import CalcomClient
from integrations.resilience import Gateway
from integrations.sessions import session_for

__all__ = [
    "Attendee",
    "Calendar",
    "CalendarBooking",
    "CalendarMessage",
    "EventType",
    "NewBooking",
    "calendar_breaker",
    "calendar_for",
]


def calendar_for(company: Company) -> Calendar:
    """The company's calendar for one operation: its key decrypted once, one client."""
    try:
        api_key = reveal_required(company.calcom_api_key, what="Cal.com API key")
    except SecretUnusable as exc:
        raise BookingError(ErrorType.CONFIGURATION, str(exc)) from exc
    session = session_for("calcom", company.calcom_base_url, api_key)  # kept alive per account
    client = CalcomClient(api_key=api_key, base_url=company.calcom_base_url, session=session)
    return CalcomCalendar(Gateway(client, calendar_breaker(company)), company_slug=company.slug)


def calendar_breaker(company: Company) -> CircuitBreaker:
    """The breaker guarding the company's Cal.com: one per host (api.cal.com and api.cal.eu fail
    independently), shared by every company on it."""
    return breaker_for(f"calcom:{urlsplit(company.calcom_base_url).netloc}")
