"""Read-only queries. Everything tenant-scoped takes a company (deny by default)."""

from django.db.models import QuerySet

from companies.models import Branch, Company, PhoneNumber, StaffMembership


def company_for_user(user) -> Company | None:
    """The company a staff user works for; None for superusers and users without one."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = StaffMembership.objects.select_related("company").filter(user_id=user.pk).first()
    return membership.company if membership else None


def company_by_webhook_key(key: str) -> Company | None:
    if not key:
        return None
    return Company.objects.filter(webhook_key=key, is_active=True).first()


def branches_for(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company)


def phone_numbers_for(*, company: Company) -> QuerySet[PhoneNumber]:
    return PhoneNumber.objects.filter(company=company).select_related("branch")
