"""The trail in admin: owners read their own company's entries, superusers every company's;
other staff, and anyone without a company, read none; nobody adds, changes or deletes one.
Changes read as words (field labels, choices by name), and staff filter and search them."""

from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.actions import Action
from audit.actors import acting_as, mcp_token, retell_call, staff
from audit.models import AuditEntry
from audit.trail import record
from companies.models import StaffRole
from companies.services import staff_member_add
from core import clock
from tests.factories import AppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditentry_changelist")


def _detail(entry: AuditEntry) -> str:
    return reverse("admin:audit_auditentry_change", args=[entry.pk])


@pytest.fixture
def trail(company_a, company_b, alice, bob):
    """One cancellation in each company: A's by a Retell call, B's by staff member bob."""
    ours = AppointmentFactory(company=company_a, branch=company_a.branches.get())
    theirs = AppointmentFactory(company=company_b, branch=company_b.branches.get())
    with acting_as(retell_call("call_alpha_1")):
        a = record(Action.CANCEL, company=company_a, obj=ours, changes={"status": ("booked", "cancelled")})
    with acting_as(staff(bob)):
        b = record(Action.CANCEL, company=company_b, obj=theirs, changes={"status": ("booked", "cancelled")})
    return a, b


@pytest.fixture
def oskar(company_b):
    """Owner of company B."""
    user = UserFactory(username="oskar")
    staff_member_add(company=company_b, user=user, role=StaffRole.OWNER)
    return user


def _listed(client) -> set[int]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


def test_an_owner_sees_their_own_companys_entries_only(client, olga, trail):
    ours, theirs = trail
    client.force_login(olga)
    assert _listed(client) == {ours.pk}
    assert client.get(_detail(ours)).status_code == 200
    assert client.get(_detail(theirs)).status_code == 404
    assert "bob" not in client.get(CHANGELIST).content.decode()


def test_the_other_companys_owner_sees_theirs_only(client, oskar, trail):
    ours, theirs = trail
    client.force_login(oskar)
    assert _listed(client) == {theirs.pk}
    assert client.get(_detail(ours)).status_code == 404


def test_a_superuser_sees_every_company_with_its_name(client, charlie, trail):
    client.force_login(charlie)
    assert _listed(client) == {entry.pk for entry in trail}
    page = client.get(CHANGELIST).content.decode()
    assert "Alpha Praxis" in page and "Beta Salon" in page


@pytest.mark.parametrize("role", [StaffRole.VIEWER, StaffRole.STAFF])
def test_other_roles_do_not_read_the_trail(client, company_a, trail, role):
    member = UserFactory(username=f"member-{role}")
    staff_member_add(company=company_a, user=member, role=role)
    client.force_login(member)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(_detail(trail[0])).status_code == 403
    assert "audit" not in client.get(reverse("admin:index")).content.decode().lower()


def test_without_a_company_nobody_but_a_superuser_reads_any_entry(client, trail):
    """Deny by default: even the permission itself shows nothing without a company."""
    loner = UserFactory(username="loner", is_staff=True)
    loner.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(loner)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(_detail(trail[0])).status_code == 404  # not even found


@pytest.mark.parametrize("who", ["olga", "charlie"])
def test_nobody_adds_changes_or_deletes_an_entry(request, client, trail, who):
    ours, _theirs = trail
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_add"), {"action": "forged"}).status_code == 403
    page = client.get(_detail(ours))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(_detail(ours), {"action": "forged"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[ours.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    listing = client.get(CHANGELIST)
    assert listing.context["action_form"] is None  # no bulk delete either
    assert AuditEntry.objects.get(pk=ours.pk).action == "cancel"


def test_changes_read_as_words(client, olga, trail):
    client.force_login(olga)
    page = client.get(CHANGELIST).content.decode()
    assert "status: Booked → Cancelled" in page
    assert "Retell call: call_alpha_1" in page and "cancelled" in page


def test_filters_by_action_actor_kind_and_search_by_object_and_actor(client, olga, company_a, trail):
    ours, _theirs = trail
    branch = company_a.branches.get()
    with acting_as(mcp_token("askpro_mcp_Ab12Cd", "front desk")):
        booked = record(
            Action.BOOK, company=company_a, obj=AppointmentFactory(company=company_a, branch=branch)
        )
    with acting_as(staff(olga)):
        changed = record(Action.CHANGE, company=company_a, obj=branch, changes={"is_active": (True, False)})
    client.force_login(olga)

    def shown(query: str) -> set[int]:
        response = client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return {entry.pk for entry in response.context["cl"].result_list}

    assert shown("action=book") == {booked.pk}
    assert shown("actor_kind__exact=staff") == {changed.pk}
    assert shown("actor_kind__exact=retell_call") == {ours.pk}
    same_id = set(
        AuditEntry.objects.filter(company=company_a, object_id=ours.object_id).values_list("pk", flat=True)
    )
    assert ours.pk in same_id and shown(f"q={ours.object_id}") == same_id  # objects of any model
    assert shown("q=front+desk") == {booked.pk}
    assert shown("q=call_alpha_1") == {ours.pk}
    today = clock.now().astimezone(ZoneInfo("Europe/Berlin"))
    assert shown(f"at__year={today.year}&at__month={today.month}") == {ours.pk, booked.pk, changed.pk}
    assert shown(f"at__year={today.year - 1}") == set()
    filters = client.get(CHANGELIST).content.decode()
    assert "booked" in filters and "changed in admin" in filters and "Beta" not in filters
