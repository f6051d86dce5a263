"""Writes to tenant configuration."""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from companies.models import Company, StaffMembership, StaffRole, new_webhook_key

logger = logging.getLogger(__name__)

STAFF_GROUP = "Company staff"
# What a company's staff may do in admin; rows are scoped to their company regardless.
STAFF_PERMISSIONS = {
    "companies": {
        "company": ["view", "change"],
        "branch": ["view", "add", "change", "delete"],
        "phonenumber": ["view", "add", "change", "delete"],
    },
    "booking": {
        "customer": ["view", "add", "change"],
        "appointment": ["view", "add", "change"],
        # "change" on these read-only rows is what lets staff retry and replay them.
        "bookingrequest": ["view", "change"],
        "appointmentchange": ["view", "change"],
        "calendarnotice": ["view", "change"],
    },
    "telephony": {"call": ["view"], "webhookevent": ["view", "change"]},
}


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


@transaction.atomic
def staff_group_ensure() -> Group:
    """The permission group every staff member gets (idempotent)."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    wanted = []
    for models in STAFF_PERMISSIONS.values():
        for model, actions in models.items():
            wanted += [f"{action}_{model}" for action in actions]
    perms = Permission.objects.filter(
        content_type__app_label__in=STAFF_PERMISSIONS.keys(), codename__in=wanted
    )
    group.permissions.set(perms)
    return group


def staff_member_add(*, company: Company, user, role: str = StaffRole.STAFF) -> None:
    """Make `user` a staff member (or owner) of `company` (one company per user)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(staff_group_ensure())
    StaffMembership.objects.update_or_create(user=user, defaults={"company": company, "role": role})


def secrets_reencrypt() -> int:
    """Re-encrypt every stored key with the newest ENCRYPTION_KEYS entry; returns rows changed."""
    from companies.crypto import Secret, reencrypt

    changed = 0
    for company in Company.objects.all():
        fields = []
        for name in ("calcom_api_key", "retell_api_key"):
            secret = getattr(company, name)
            if secret:
                setattr(company, name, Secret(reencrypt(secret.ciphertext)))
                fields.append(name)
        if fields:
            company.save(update_fields=fields)
            changed += 1
    return changed
