"""Read-only queries. Everything tenant-scoped takes a company (deny by default)."""

import re

from django.db.models import QuerySet

from companies.models import Branch, Company, PhoneNumber, StaffMembership

WEBHOOK_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def company_for_user(user) -> Company | None:
    """The company a staff user works for; None for superusers and users without one."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = StaffMembership.objects.select_related("company").filter(user_id=user.pk).first()
    return membership.company if membership else None


def company_by_webhook_key(key) -> Company | None:
    """The active company whose URLs carry `key`; None for anything a key cannot be (a key is
    `secrets.token_urlsafe`: a NUL or 10 KB in the URL must not even reach the database)."""
    if not isinstance(key, str) or not WEBHOOK_KEY.fullmatch(key):
        return None
    return Company.objects.filter(webhook_key=key, is_active=True).first()


def branches_for(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company)


def phone_numbers_for(*, company: Company) -> QuerySet[PhoneNumber]:
    return PhoneNumber.objects.filter(company=company).select_related("branch")
