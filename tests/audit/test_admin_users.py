"""What an operator does to sign-ins in admin (Django's users and groups) is in the audit trail
like every other admin write: who was made superuser or inactive, whose password was set or
disabled, who was added or removed; a staff member's in their company's trail, an operator's in
none; names, addresses and passwords never. Staff of a company cannot reach these pages."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from tests.audit.conftest import entries, form_as_shown, the_entry, whole_trail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kiefer-Blau-7391-never-logged"


def test_a_member_made_superuser_and_inactive_is_in_their_companys_trail(client, charlie, alice, company_a):
    client.force_login(charlie)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    data = form_as_shown(client, url, is_superuser="on", is_active=None, email="alice@new.example")
    assert client.post(url, data).status_code == 302
    alice.refresh_from_db()
    assert alice.is_superuser and not alice.is_active
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("change", "charlie", company_a.pk)
    assert (entry.object_type, entry.object_id) == ("auth.user", str(alice.pk))
    assert entry.changes == {"is_superuser": [False, True], "is_active": [True, False], "email": "changed"}
    assert "alice@new.example" not in whole_trail()


def test_a_password_set_by_an_operator_is_recorded_without_it_or_its_hash(client, charlie, alice, company_a):
    client.force_login(charlie)
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert client.post(url, {**form, "set-password": "1"}).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    entry = the_entry()
    assert (entry.action, entry.actor_label, entry.company_id) == ("change", "charlie", company_a.pk)
    assert entry.changes == {"password": "changed", "usable_password": True}
    trail = whole_trail()
    assert NEW_PASSWORD not in trail and alice.password not in trail


def test_disabling_a_password_is_recorded_as_such(client, charlie, alice):
    client.force_login(charlie)
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    assert client.post(url, {"usable_password": "false", "unset-password": "1"}).status_code == 302
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    assert the_entry().changes == {"password": "changed", "usable_password": False}


def test_a_refused_password_changes_nothing_and_records_nothing(client, charlie, alice):
    client.force_login(charlie)
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    form = {"password1": NEW_PASSWORD, "password2": "something else", "usable_password": "true"}
    assert client.post(url, form).status_code == 200  # the form again, with its error
    alice.refresh_from_db()
    assert not alice.check_password(NEW_PASSWORD)
    assert entries() == []


def test_an_operator_added_and_removed_is_in_no_companys_trail(client, charlie):
    client.force_login(charlie)
    added = client.post(
        reverse("admin:auth_user_add"),
        {"username": "otto", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert added.status_code == 302
    otto = User.objects.get(username="otto")
    entry = the_entry(action="add")
    assert (entry.company_id, entry.object_id, entry.actor_label) == (None, str(otto.pk), "charlie")
    assert entry.changes["username"] == "changed"
    assert NEW_PASSWORD not in whole_trail() and otto.password not in whole_trail()

    delete_url = reverse("admin:auth_user_delete", args=[otto.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=otto.pk).exists()
    deleted = the_entry(action="delete")
    assert (deleted.company_id, deleted.object_id) == (None, str(otto.pk))


def test_permissions_given_to_a_group_are_recorded(client, charlie):
    group = Group.objects.create(name="Night operators")
    permission = Permission.objects.get(codename="view_auditentry")
    client.force_login(charlie)
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert client.post(url, form_as_shown(client, url, permissions=[permission.pk])).status_code == 302
    assert list(group.permissions.all()) == [permission]
    entry = the_entry()
    assert (entry.action, entry.company_id, entry.object_type) == ("change", None, "auth.group")
    assert entry.changes == {"permissions": "changed"}


@pytest.mark.parametrize("member", ["olga", "alice"])
def test_staff_of_a_company_cannot_reach_sign_ins(client, member, request):
    user = request.getfixturevalue(member)
    other = UserFactory(username="someone_else")
    client.force_login(user)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_change", args=[other.pk])).status_code == 403
    url = reverse("admin:auth_user_password_change", args=[other.pk])
    assert client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
    other.refresh_from_db()
    assert not other.check_password(NEW_PASSWORD)
    assert entries() == []


def test_a_sign_in_that_joined_in_the_hour_the_clocks_go_back_can_be_changed(client, charlie, alice):
    """02:30 on 31 October 2027 happens twice in Berlin: typed back, that time could not be read.
    The dates Django keeps are shown, not edited."""
    alice.date_joined = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 summer time, the first one
    alice.save(update_fields=["date_joined"])
    client.force_login(charlie)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    assert client.post(url, form_as_shown(client, url, is_staff=None)).status_code == 302
    alice.refresh_from_db()
    assert not alice.is_staff and alice.date_joined == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert the_entry().changes == {"is_staff": [True, False]}
