"""The demo tenant that `make run` serves: it books in the local Cal.com sandbox."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from companies.models import Branch, Company, PhoneNumber
from core import clock

DEMO_SLUG = "demo"
SANDBOX_BASE_URL = "http://127.0.0.1:8025/v2"
# Keys the sandbox and `simulate_call` use; they protect nothing real.
DEMO_CALCOM_KEY = "cal_sandbox_demo_key"
DEMO_RETELL_KEY = "key_demo_retell_webhook"
DEMO_ZONE = ZoneInfo("Europe/Berlin")  # the demo tenant's branches
DEMO_OPENING_HOURS = "Mo-Fr 9:00-17:00, Sa 9:00-13:00"  # the sandbox calendar (sandbox.schedule)
DEMO_BRANCHES = [
    # name, address, phone, sandbox event type id
    ("Berlin Mitte", "Friedrichstraße 100, 10117 Berlin", "+493083793369", 1001),
    ("München Schwabing", "Leopoldstraße 50, 80802 München", "+498938899000", 1002),
]


def next_weekday() -> date:
    """A Monday-to-Friday at least two days ahead: inside the demo calendar's opening hours."""
    day = clock.today_in(DEMO_ZONE) + timedelta(days=2)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@dataclass
class DemoResult:
    company: Company
    admin_created: bool
    admin_password: str | None  # only when we set it now


@transaction.atomic
def demo_tenant_ensure(*, admin_password: str | None = None, sandbox_url: str | None = None) -> DemoResult:
    """The demo tenant, booking in the sandbox at `sandbox_url` (default port 8025)."""
    company, _ = Company.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "Demo Praxis", "calcom_base_url": SANDBOX_BASE_URL},
    )
    if sandbox_url and company.calcom_base_url != sandbox_url:
        company.calcom_base_url = sandbox_url
        company.save(update_fields=["calcom_base_url", "updated_at"])
    if not company.calcom_api_key:
        company.calcom_api_key = DEMO_CALCOM_KEY
        company.retell_api_key = DEMO_RETELL_KEY
        company.save(update_fields=["calcom_api_key", "retell_api_key", "updated_at"])
    for name, address, number, event_type_id in DEMO_BRANCHES:
        branch, _ = Branch.objects.get_or_create(
            company=company,
            name=name,
            defaults={"address": address, "calcom_event_type_id": event_type_id},
        )
        if not branch.opening_hours:
            branch.opening_hours = DEMO_OPENING_HOURS
            branch.save(update_fields=["opening_hours"])
        PhoneNumber.objects.get_or_create(
            number=number, defaults={"company": company, "branch": branch, "nickname": name}
        )
    created, password = _admin_ensure(admin_password)
    return DemoResult(company=company, admin_created=created, admin_password=password)


def _admin_ensure(password: str | None) -> tuple[bool, str | None]:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if created and not password:
        password = secrets.token_urlsafe(12)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return created, password
