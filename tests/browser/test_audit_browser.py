"""The audit trail in a real browser: a practice's owner changes a branch, then finds the change
in the trail, as theirs, with the old and new value, and nothing of another practice's."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.actions import Action
from audit.actors import acting_as, retell_call
from audit.models import AuditEntry
from audit.trail import record
from companies.models import StaffRole
from tests.browser.helpers import login, screenshot
from tests.factories import BranchFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_finds_their_change_in_the_trail(page, sandbox_company, make_staff):
    other = CompanyFactory(name="Salon Anderswo", slug="anderswo")
    elsewhere = BranchFactory(company=other, name="Anderswo Nord")
    with acting_as(retell_call("call_anderswo_1")):
        record(Action.CHANGE, company=other, obj=elsewhere, changes={"calcom_event_type_id": (1, 2)})
    make_staff(sandbox_company, "mara", role=StaffRole.OWNER)
    branch = sandbox_company.branches.get()

    login(page, "mara")
    page.goto(reverse("admin:companies_branch_change", args=[branch.pk]))
    page.locator("input[name=calcom_event_type_id]").fill("2002")
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert page.locator(".messagelist .success").count() == 1

    page.goto(reverse("admin:index"))
    page.locator(f"a[href='{reverse('admin:audit_auditentry_changelist')}']").first.click()
    page.wait_for_url("**/admin/audit/auditentry/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "mara" in row and "Berlin Mitte" not in row  # who, and no free text
    assert "1001 → 2002" in row and str(branch.pk) in row
    html = page.content()
    assert "Anderswo" not in html and "call_anderswo_1" not in html
    assert page.locator("#content .object-tools .addlink").count() == 0  # nobody adds an entry
    screenshot(page, "audit-trail")

    with page.expect_navigation():  # read the entry's page once it has loaded, not mid-way
        rows.first.locator("a").first.click()  # the entry itself: read-only
    assert page.locator("input[name=_save]").count() == 0
    assert "1001 → 2002" in page.locator("#content").inner_text()


def test_a_member_deactivated_by_an_operator_is_one_entry_saying_only_that(page, sandbox_company, make_staff):
    UserFactory(username="otto", is_staff=True, is_superuser=True)
    member = make_staff(sandbox_company, "mara")

    login(page, "otto")
    page.goto(reverse("admin:auth_user_change", args=[member.pk]))
    page.locator("input[name=is_active]").uncheck()
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_have_count(1)

    member.refresh_from_db()
    assert not member.is_active
    entry = AuditEntry.objects.get(object_type="auth.user")
    assert (entry.action, entry.actor_label, entry.company_id) == ("change", "otto", sandbox_company.pk)
    assert entry.changes == {"is_active": [True, False]}
