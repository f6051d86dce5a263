"""Which company and branch a dialed number belongs to, cached 10 minutes with the branch's row.

Every live function and every processed Retell event asks, and the answer changes only in
admin: any save of a number, and any save or deletion of a branch, drops the cached answer for
its numbers (companies.apps). The branch row travels with the answer, so a call's branch costs
no query while it is cached (#15). Only the company's ids and the branch's settings are cached:
the company row, which holds the API keys, is always read from the database.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError

from askpro import metrics
from companies.models import Branch, PhoneNumber
from companies.validators import normalize_e164

TTL = 10 * 60
_MISSING = "missing"


@dataclass(frozen=True)
class NumberOwner:
    company_id: int
    is_active: bool
    branch: Branch | None  # the number's branch as cached with it: a copy of its own


def _key(number: str) -> str:
    return f"phone-owner:2:{number}"  # 2: the branch row in place of its id


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
    phone = PhoneNumber.objects.select_related("branch").filter(number=number).first()
    row = (phone.company_id, phone.is_active, phone.branch) if phone else None
    cache.set(_key(number), row or _MISSING, TTL)
    return NumberOwner(*row) if row else None


def phone_number_forget(number: str) -> None:
    cache.delete(_key(number))
