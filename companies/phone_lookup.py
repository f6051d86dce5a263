"""Which company and branch a dialed number belongs to, cached 10 minutes.

Any change to a number or branch drops the cached answer for that number (see companies.apps).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError

from askpro import metrics
from companies.models import PhoneNumber
from companies.validators import normalize_e164

TTL = 10 * 60
_MISSING = "missing"


@dataclass(frozen=True)
class NumberOwner:
    company_id: int
    branch_id: int | None
    is_active: bool


def _key(number: str) -> str:
    return f"phone-owner:{number}"


def phone_number_owner(raw_number: str) -> NumberOwner | None:
    """The owner of a dialed number; None if we do not know it (inactive numbers are returned)."""
    try:
        number = normalize_e164(raw_number)
    except ValidationError:
        return None
    cached = cache.get(_key(number))
    metrics.cache_counted("phone_numbers", cached)
    if cached is not None:
        return None if cached == _MISSING else NumberOwner(*cached)
    row = (
        PhoneNumber.objects.filter(number=number).values_list("company_id", "branch_id", "is_active").first()
    )
    cache.set(_key(number), row if row else _MISSING, TTL)
    return NumberOwner(*row) if row else None


def phone_number_forget(number: str) -> None:
    cache.delete(_key(number))
