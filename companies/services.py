"""Writes to tenant configuration."""

import logging

from companies.models import Company, PhoneNumber, StaffMembership, StaffRole, new_webhook_key

logger = logging.getLogger(__name__)


def company_rotate_webhook_key(*, company: Company) -> str:
    """Give the company a new webhook key; URLs with the old key stop working at once."""
    company.webhook_key = new_webhook_key()
    company.save(update_fields=["webhook_key", "updated_at"])
    logger.info("webhook key rotated for company %s", company.pk)
    return company.webhook_key


def company_set_credentials(
    *, company: Company, calcom_api_key: str | None = None, retell_api_key: str | None = None
) -> list[str]:
    """Replace the keys that are given (non-empty); returns the names of those changed."""
    changed = []
    if calcom_api_key:
        company.calcom_api_key = calcom_api_key.strip()
        changed.append("calcom_api_key")
    if retell_api_key:
        company.retell_api_key = retell_api_key.strip()
        changed.append("retell_api_key")
    if changed:
        company.save(update_fields=[*changed, "updated_at"])
        logger.info("credentials %s replaced for company %s", ", ".join(changed), company.pk)
    return changed


def staff_member_add(*, company: Company, user, role: str = StaffRole.STAFF) -> None:
    """Make `user` a member of `company` (one company per user); the role alone says what they
    may do (companies/roles.py)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    StaffMembership.objects.update_or_create(user=user, defaults={"company": company, "role": role})


def branch_number_assign(*, branch, number: str) -> None:
    """Route `number` (E.164) to `branch`: the company's own number is moved to it, a new one is
    created active. A number of another company is refused by the caller's form first."""
    PhoneNumber.objects.update_or_create(
        number=number,
        company=branch.company,
        defaults={"branch": branch, "is_active": True},
        create_defaults={"branch": branch, "is_active": True, "nickname": branch.name},
    )
    logger.info("number routed to branch %s of company %s", branch.pk, branch.company_id)
