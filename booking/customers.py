"""Callers as customers: one row per (company, phone)."""

from django.db import IntegrityError, transaction

from booking.models import Customer
from companies.models import Company


def customer_upsert(*, company: Company, phone: str, name: str = "", email: str = "") -> Customer | None:
    """Find or create the company's customer for this E.164 phone; fill in a name/email we lacked."""
    if not phone:
        return None
    try:
        with transaction.atomic():
            customer, created = Customer.objects.get_or_create(
                company=company, phone=phone, defaults={"name": name, "email": email}
            )
    except IntegrityError:  # a concurrent call created it first
        customer, created = Customer.objects.get(company=company, phone=phone), False
    if not created:
        _fill_in(customer, name=name, email=email)
    return customer


def _fill_in(customer: Customer, *, name: str, email: str) -> None:
    changed = []
    if name and name != customer.name:
        customer.name = name
        changed.append("name")
    if email and email != customer.email:
        customer.email = email
        changed.append("email")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
