"""How services reach a company's Cal.com: its client, behind the shared breaker and retry rules.

Reads are retried (1 s, 2 s with jitter; 429 waits for Retry-After); writes are not, since
Cal.com has no idempotency key (the booking service looks an ambiguous POST up instead).
"""

from urllib.parse import urlsplit

from booking.results import ErrorType, ServiceError
from companies.crypto import DecryptionError
from companies.models import Company
from integrations.breaker import CircuitBreaker, breaker_for
from integrations.calcom.client import CalcomClient
from integrations.resilience import guarded_read, guarded_write


def calcom_client(company: Company) -> CalcomClient:
    if not company.calcom_api_key:
        raise ServiceError(ErrorType.CONFIGURATION, "No Cal.com API key is configured for this company.")
    try:
        api_key = company.calcom_api_key.reveal()
    except DecryptionError as exc:
        raise ServiceError(ErrorType.CONFIGURATION, str(exc)) from exc
    return CalcomClient(api_key=api_key, base_url=company.calcom_base_url)


def calcom_breaker(company: Company) -> CircuitBreaker:
    """One breaker per Cal.com host (api.cal.com and api.cal.eu fail independently)."""
    return breaker_for(f"calcom:{urlsplit(company.calcom_base_url).netloc}")


def calcom_read(company: Company, method: str, /, *args, **kwargs):
    return guarded_read(calcom_client(company), calcom_breaker(company), method, *args, **kwargs)


def calcom_write(company: Company, method: str, /, *args, **kwargs):
    return guarded_write(calcom_client(company), calcom_breaker(company), method, *args, **kwargs)
