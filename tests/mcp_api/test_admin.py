"""MCP tokens in admin: owners of a company (and superusers) make and revoke them; other staff
never see them. A token's secret appears once, on the page after it was made."""

import pytest
from django.urls import reverse

from companies.models import StaffRole
from companies.services import staff_member_add
from mcp_api.models import McpToken
from mcp_api.tokens import mcp_token_create, mcp_token_verify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:mcp_api_mcptoken_changelist")
ADD = reverse("admin:mcp_api_mcptoken_add")


@pytest.fixture
def olga(company_a):
    """Owner of company A."""
    user = UserFactory(username="olga")
    staff_member_add(company=company_a, user=user, role=StaffRole.OWNER)
    return user


def _secret_on(page: str) -> str:
    marker = 'id="mcp-token" type="text" readonly size="70" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(("who", "allowed"), [("alice", False), ("olga", True), ("charlie", True)])
def test_only_owners_and_superusers_see_tokens(request, client, company_a, who, allowed):
    mcp_token_create(company=company_a, name="front desk")
    client.force_login(request.getfixturevalue(who))
    listing = client.get(CHANGELIST)
    assert (listing.status_code == 200) is allowed
    assert ("MCP access tokens" in client.get(reverse("admin:index")).content.decode()) is allowed
    assert (client.get(ADD).status_code == 200) is allowed


def test_an_owner_makes_a_token_for_their_company_and_sees_it_once(client, olga, company_a, company_b):
    client.force_login(olga)
    # A forged company field is ignored: owners make tokens for their own company.
    made = client.post(ADD, {"name": "Claude, front desk", "can_write": "on", "company": company_b.pk})
    page = made.content.decode()
    assert made.status_code == 200 and "shown only this once" in page
    assert "no-cache" in made["Cache-Control"] and "no-store" in made["Cache-Control"]
    secret = _secret_on(page)
    token = mcp_token_verify(secret)
    assert token.company == company_a and token.can_write and token.created_by == olga
    assert "claude mcp add --transport http askpro http://127.0.0.1:8000/mcp" in page
    shown_later = client.get(reverse("admin:mcp_api_mcptoken_change", args=[token.pk])).content.decode()
    assert secret not in shown_later and token.prefix in shown_later
    assert secret not in client.get(CHANGELIST).content.decode()


def test_a_read_only_token_with_an_expiry(client, olga, company_a):
    client.force_login(olga)
    made = client.post(ADD, {"name": "reporting", "expires_at_0": "2099-01-31", "expires_at_1": "12:00:00"})
    token = mcp_token_verify(_secret_on(made.content.decode()))
    assert token.can_write is False and token.expires_at.year == 2099


def test_a_superuser_chooses_the_company(client, charlie, company_b):
    client.force_login(charlie)
    made = client.post(ADD, {"name": "ops", "company": company_b.pk})
    assert mcp_token_verify(_secret_on(made.content.decode())).company == company_b


def test_an_owner_revokes_a_token_and_it_stops_working(client, olga, company_a):
    token, secret = mcp_token_create(company=company_a, name="old laptop")
    client.force_login(olga)
    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert mcp_token_verify(secret) is None
    assert "revoked" in client.get(CHANGELIST).content.decode()


def test_an_owner_cannot_see_or_revoke_another_companys_token(client, olga, company_b):
    theirs, secret = mcp_token_create(company=company_b, name="their agent")
    client.force_login(olga)
    assert "their agent" not in client.get(CHANGELIST).content.decode()
    assert client.get(reverse("admin:mcp_api_mcptoken_change", args=[theirs.pk])).status_code == 404
    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [theirs.pk]}, follow=True)
    assert mcp_token_verify(secret) == theirs


def test_staff_cannot_revoke_even_by_posting(client, alice, company_a):
    token, secret = mcp_token_create(company=company_a, name="front desk")
    client.force_login(alice)
    refused = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [token.pk]})
    assert refused.status_code == 403 and mcp_token_verify(secret) == token


def test_tokens_are_neither_edited_nor_deleted(client, olga, company_a):
    token, _ = mcp_token_create(company=company_a, name="front desk")
    client.force_login(olga)
    client.post(reverse("admin:mcp_api_mcptoken_change", args=[token.pk]), {"name": "renamed"})
    deleting = client.get(reverse("admin:mcp_api_mcptoken_delete", args=[token.pk]))
    assert McpToken.objects.get(pk=token.pk).name == "front desk" and deleting.status_code == 403
