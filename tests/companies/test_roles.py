"""A membership's role grants its permissions by itself (companies/roles.py): no group to join.

- a viewer reads every list of their company and can change nothing;
- staff do the daily work (appointments, retries) but cannot touch the company's keys;
- an owner may also set the company up (keys, branches, numbers, MCP tokens).
"""

import pytest
from django.urls import reverse

from companies.models import Company, StaffRole
from companies.roles import ROLE_PERMISSIONS
from companies.services import staff_member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TENANT_LISTS = [
    "companies_company",
    "companies_branch",
    "companies_phonenumber",
    "booking_customer",
    "booking_appointment",
    "booking_bookingrequest",
    "booking_appointmentchange",
    "booking_calendarnotice",
    "telephony_call",
    "telephony_webhookevent",
    "console_followup",
    "notifications_notification",
]


@pytest.fixture
def member(company_a):
    def make(role: str):
        user = UserFactory(username=f"member-{role}")
        staff_member_add(company=company_a, user=user, role=role)
        return user

    return make


@pytest.mark.parametrize("role", list(StaffRole))
def test_every_role_reads_every_list_of_its_company_without_any_group(client, member, role):
    user = member(role)
    assert not user.groups.exists()
    client.force_login(user)
    for name in TENANT_LISTS:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name


def test_a_viewer_holds_only_view_permissions(member):
    viewer = member(StaffRole.VIEWER)
    permissions = viewer.get_all_permissions()
    assert permissions == set(ROLE_PERMISSIONS[StaffRole.VIEWER])
    assert permissions and all(".view_" in perm for perm in permissions)


def test_a_viewer_is_offered_no_add_button_and_cannot_post_a_change(client, member, company_a):
    client.force_login(member(StaffRole.VIEWER))
    branch = company_a.branches.get()
    page = client.get(reverse("admin:companies_branch_change", args=[branch.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:booking_appointment_add")).status_code == 403
    client.post(reverse("admin:companies_branch_change", args=[branch.pk]), {"name": "Renamed"})
    branch.refresh_from_db()
    assert branch.name != "Renamed"


def test_staff_cannot_change_the_companys_keys(client, member, company_a):
    client.force_login(member(StaffRole.STAFF))
    before = (company_a.calcom_api_key.reveal(), company_a.webhook_key)
    url = reverse("admin:companies_company_change", args=[company_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="new_calcom_api_key"' not in page.content.decode()

    response = client.post(url, {"name": company_a.name, "new_calcom_api_key": "cal_live_stolen"})

    assert response.status_code == 403
    company = Company.objects.get(pk=company_a.pk)
    assert (company.calcom_api_key.reveal(), company.webhook_key) == before


def test_staff_operate_but_do_not_set_up(member):
    staff = member(StaffRole.STAFF)
    assert staff.has_perm("booking.add_appointment")
    assert staff.has_perm("booking.change_bookingrequest")  # retry what failed
    assert not staff.has_perm("companies.change_company")
    assert not staff.has_perm("companies.add_phonenumber")
    assert not staff.has_perm("mcp_api.add_mcptoken")


def test_an_owner_may_set_up_the_company(member):
    owner = member(StaffRole.OWNER)
    assert owner.has_perm("companies.change_company")
    assert owner.has_perm("companies.add_branch")
    assert owner.has_perm("mcp_api.add_mcptoken")
    assert ROLE_PERMISSIONS[StaffRole.STAFF] < ROLE_PERMISSIONS[StaffRole.OWNER]


def test_a_user_without_membership_or_staff_flag_gets_nothing(company_a):
    outsider = UserFactory(username="outsider", is_staff=True)
    assert outsider.get_all_permissions() == set()
    former = UserFactory(username="former")
    staff_member_add(company=company_a, user=former, role=StaffRole.OWNER)
    former.is_active = False
    former.save()
    assert former.get_all_permissions() == set()
