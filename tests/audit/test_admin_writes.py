"""What staff add, change and delete in admin is in the audit trail as theirs: each changed field
with its old and new value where a value cannot be personal, keys and free text only as
"changed"; tokens for AI agents and follow-ups too."""

import pytest
from django.urls import reverse

from audit.actors import ActorKind
from companies.models import Branch, PhoneNumber, Service, StaffMembership, StaffRole
from mcp_api.models import McpToken
from mcp_api.tokens import mcp_token_create
from tests.audit.conftest import entries, form_as_shown, the_entry, whole_trail
from tests.console.conftest import failed_booking, wire  # noqa: F401  (fixtures)
from tests.factories import PhoneNumberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_a_change_by_staff_names_them_and_each_changed_field(client, olga, company_a):
    branch = company_a.branches.get()
    before = branch.calcom_event_type_id
    client.force_login(olga)
    url = _change_url(branch)
    data = form_as_shown(client, url, name="Alpha Zentrum", calcom_event_type_id="4321", is_active=None)
    assert client.post(url, data).status_code == 302
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor_ref, entry.actor_label) == (
        "change",
        ActorKind.STAFF,
        str(olga.pk),
        "olga",
    )
    assert (entry.company_id, entry.object_type, entry.object_id) == (
        company_a.pk,
        "companies.branch",
        str(branch.pk),
    )
    assert entry.changes == {
        "name": "changed",  # free text: that it changed, never what it says
        "calcom_event_type_id": [before, 4321],
        "is_active": [True, False],
    }


def test_saving_without_a_change_writes_no_entry(client, olga, company_a):
    branch = company_a.branches.get()
    client.force_login(olga)
    url = _change_url(branch)
    assert client.post(url, form_as_shown(client, url)).status_code == 302
    assert entries() == []


def test_an_add_and_a_service_added_inline_are_entries_of_their_own(client, olga, company_a):
    branch = company_a.branches.get()
    client.force_login(olga)
    url = _change_url(branch)
    data = form_as_shown(client, url) | {
        "services-TOTAL_FORMS": "1",
        "services-0-name_de": "Beratung",
        "services-0-name_en": "Consultation",
        "services-0-synonyms": "",
        "services-0-calcom_event_type_id": "777",
        "services-0-is_active": "on",
        "services-0-branch": str(branch.pk),
        "services-0-id": "",
    }
    assert client.post(url, data).status_code == 302
    service = Service.objects.get()
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("add", "olga", company_a.pk)
    assert (entry.object_type, entry.object_id) == ("companies.service", str(service.pk))
    assert entry.changes["calcom_event_type_id"] == [None, 777] and entry.changes["name_de"] == "changed"


def test_a_delete_by_staff_is_recorded_with_the_object_it_removed(client, olga, company_a):
    number = PhoneNumberFactory(company=company_a, branch=company_a.branches.get())
    client.force_login(olga)
    url = reverse("admin:companies_phonenumber_delete", args=[number.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not PhoneNumber.objects.filter(pk=number.pk).exists()
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("delete", "olga", company_a.pk)
    assert (entry.object_type, entry.object_id) == ("companies.phonenumber", str(number.pk))


def test_a_bulk_delete_is_one_entry_per_object(client, olga, company_a):
    branch = company_a.branches.get()
    numbers = [PhoneNumberFactory(company=company_a, branch=branch) for _ in range(2)]
    client.force_login(olga)
    response = client.post(
        reverse("admin:companies_phonenumber_changelist"),
        {"action": "delete_selected", "_selected_action": [n.pk for n in numbers], "post": "yes"},
    )
    assert response.status_code == 302
    assert not PhoneNumber.objects.filter(pk__in=[n.pk for n in numbers]).exists()
    assert {(e.action, e.actor_label, e.company_id, e.object_id) for e in entries()} == {
        ("delete", "olga", company_a.pk, str(number.pk)) for number in numbers
    }


def test_a_new_key_is_changed_without_its_value(client, charlie, company_a):
    client.force_login(charlie)
    url = _change_url(company_a)
    typed = "cal_live_never_in_the_trail_7Qx"
    assert client.post(url, form_as_shown(client, url, new_calcom_api_key=typed)).status_code == 302
    company_a.refresh_from_db()
    assert company_a.calcom_api_key.reveal() == typed
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("change", "charlie", company_a.pk)
    assert entry.changes == {"new_calcom_api_key": "changed"}
    trail = whole_trail()
    assert typed not in trail and company_a.retell_api_key.reveal() not in trail


def test_a_membership_a_superuser_gives_is_recorded_for_its_company(client, charlie, company_a):
    newcomer = UserFactory(username="nina", is_staff=False)
    client.force_login(charlie)
    url = reverse("admin:companies_staffmembership_add")
    data = {"user": newcomer.pk, "company": company_a.pk, "role": StaffRole.VIEWER, "_save": "Save"}
    assert client.post(url, data).status_code == 302
    membership = StaffMembership.objects.get(user=newcomer)
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("add", "charlie", company_a.pk)
    assert (entry.object_type, entry.object_id) == ("companies.staffmembership", str(membership.pk))
    assert entry.changes["role"] == [None, "viewer"] and entry.changes["user"] == [None, newcomer.pk]


def test_a_token_made_and_revoked_in_admin_is_the_owners_and_its_secret_is_nowhere(client, olga, company_a):
    client.force_login(olga)
    made = client.post(
        reverse("admin:mcp_api_mcptoken_add"), {"name": "Claude, front desk", "can_write": "on"}
    )
    assert made.status_code == 200
    token = McpToken.objects.get()
    secret = made.content.decode().split('id="mcp-token" type="text" readonly size="70" value="', 1)[1][:40]
    client.post(
        reverse("admin:mcp_api_mcptoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    created, revoked = entries()
    assert (created.action, created.actor_label, created.company_id, created.object_id) == (
        "token_create",
        "olga",
        company_a.pk,
        str(token.pk),
    )
    assert created.changes == {"can_write": [None, True], "expires_at": [None, None]}
    assert (revoked.action, revoked.actor_label, revoked.object_id) == ("token_revoke", "olga", str(token.pk))
    token.refresh_from_db()
    assert revoked.changes == {"revoked_at": [None, token.revoked_at.isoformat()]}
    assert secret[len(token.prefix) :] not in whole_trail()


def test_a_token_made_by_a_command_or_shell_is_the_systems(company_a):
    token, _secret = mcp_token_create(company=company_a, name="ops")
    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.company_id, entry.object_id) == (
        "token_create",
        ActorKind.SYSTEM,
        company_a.pk,
        str(token.pk),
    )


def test_a_follow_up_says_who_followed_up_but_not_the_note(client, alice, company_a, failed_booking):  # noqa: F811
    failed = failed_booking(company_a)
    client.force_login(alice)
    note = "Rückruf bei Frau Berger: kommt Montag"
    client.post(reverse("admin:attention_follow_up", args=[f"bookingrequest:{failed.pk}"]), {"note": note})
    entry = the_entry(action="follow_up")
    assert (entry.actor_kind, entry.actor_label, entry.company_id) == (ActorKind.STAFF, "alice", company_a.pk)
    assert entry.object_type == "console.followup" and entry.changes == {"note": "changed"}
    refused = the_entry(action="book_failed")  # the booking that needed the follow-up
    assert refused.actor_kind == ActorKind.SYSTEM and refused.object_id == str(failed.appointment_id)
    trail = whole_trail()
    assert "Berger" not in trail and "Montag" not in trail and "5112345678" not in trail


def test_branches_of_another_company_stay_untouched_and_unrecorded(client, olga, company_a, company_b):
    theirs = company_b.branches.get()
    client.force_login(olga)
    assert client.post(_change_url(theirs), {"name": "Taken over"}).status_code == 404
    assert Branch.objects.get(pk=theirs.pk).name == "Beta Nord"
    assert entries() == []
