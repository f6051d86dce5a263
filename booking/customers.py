"""Customers: the company's callers, known by their E.164 phone number."""

from booking.models import Customer
from companies.models import Company
from core.rows import upsert

# Stored values the upsert does not return: left deferred, so reading one loads it.
_NOT_RETURNED = ("name", "email", "created_at")


def customer_upsert(*, company: Company, phone: str, name: str = "", email: str = "") -> Customer | None:
    """The company's customer for this phone, created, or given the name and email we were told.

    One INSERT ... ON CONFLICT (company, phone) DO UPDATE: two calls from one number at once
    cannot both create it, and no transaction, savepoint or second read is needed. What we
    were not told keeps its stored value.
    """
    if not phone:
        return None
    told = {field: value for field, value in (("name", name), ("email", email)) if value}
    customer = upsert(
        Customer(company=company, phone=phone, **told),
        unique=("company", "phone"),
        changed=(*told, "updated_at"),
    )
    for field in _NOT_RETURNED:
        if field not in told:
            del customer.__dict__[field]  # may differ from what is stored: load it when read
    return customer


def customer_holds(customer: Customer | None, *, company: Company, phone: str, name: str, email: str) -> bool:
    """Whether `customer`, as this process just wrote it (customer_upsert), already holds this
    phone, name and email: then writing them again would change nothing (#15: one upsert)."""
    if customer is None or customer.company_id != company.pk or customer.phone != phone:
        return False
    written = customer.__dict__  # only what was told; the deferred rest is not known here
    return (not name or written.get("name") == name) and (not email or written.get("email") == email)
