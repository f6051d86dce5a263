"""Staff of company A can never see or change company B's rows through admin."""

import pytest
from django.urls import reverse

from booking.models import Appointment, BookingRequest, Customer
from companies.models import Branch, Company, PhoneNumber
from telephony.models import Call, WebhookEvent
from tests.factories import AppointmentFactory, CallFactory, CustomerFactory, UserFactory


def _object_of(model, company):
    """One row of `model` owned by `company` (created where the fixtures have none)."""
    if model is Company:
        return company
    if model is Customer:
        return CustomerFactory(company=company)
    if model is Call:
        return CallFactory(company=company, branch=company.branches.first())
    if model is Appointment:
        return AppointmentFactory(company=company, branch=company.branches.first())
    if model is WebhookEvent:
        return WebhookEvent.objects.create(
            company=company, event="call_ended", call_id=f"c{company.pk}", body="{}"
        )
    if model is BookingRequest:
        appointment = AppointmentFactory(company=company, branch=company.branches.first())
        return BookingRequest.objects.create(
            company=company,
            idempotency_key=f"key-{company.pk}",
            source="api",
            payload={},
            appointment=appointment,
        )
    return model.objects.filter(company=company).first()


def _url(obj, view):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


TENANT_MODELS = [Company, Branch, PhoneNumber, Customer, Call, Appointment, BookingRequest, WebhookEvent]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_changelist_shows_only_own_company(client, alice, company_a, company_b, model):
    mine, theirs = _object_of(model, company_a), _object_of(model, company_b)
    client.force_login(alice)
    meta = model._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert mine.pk in shown
    assert theirs.pk not in shown


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_other_company_objects_are_404(client, alice, company_a, company_b, model, view):
    theirs = _object_of(model, company_b)
    client.force_login(alice)
    assert client.get(_url(theirs, view)).status_code == 404


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_post_to_other_company_objects_changes_nothing(client, alice, company_a, company_b, model):
    theirs = _object_of(model, company_b)
    client.force_login(alice)
    assert client.post(_url(theirs, "delete"), {"post": "yes"}).status_code == 404
    assert client.post(_url(theirs, "change"), {}).status_code == 404
    assert model.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_own_objects_open_normally(client, alice, company_a, company_b, model):
    mine = _object_of(model, company_a)
    client.force_login(alice)
    assert client.get(_url(mine, "change")).status_code == 200


def test_staff_cannot_assign_another_companys_branch_to_their_number(client, olga, company_a, company_b):
    client.force_login(olga)
    foreign_branch = company_b.branches.get()
    response = client.post(
        reverse("admin:companies_phonenumber_add"),
        {
            "number": "030 83793369",
            "branch": foreign_branch.pk,
            "nickname": "x",
            "is_active": "on",
            "inbound_agent_ids": "[]",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "branch" in response.context["adminform"].form.errors
    assert not PhoneNumber.objects.filter(number="+493083793369").exists()

    own_number = company_a.phone_numbers.get()
    response = client.post(
        _url(own_number, "change"),
        {"number": own_number.number, "branch": foreign_branch.pk, "is_active": "on"},
    )
    assert "branch" in response.context["adminform"].form.errors
    own_number.refresh_from_db()
    assert own_number.branch.company == company_a


def test_staff_creates_rows_in_their_own_company(client, olga, company_a):
    client.force_login(olga)
    branch = company_a.branches.get()
    response = client.post(
        reverse("admin:companies_phonenumber_add"),
        {"number": "030 83793369", "branch": branch.pk, "nickname": "Front desk", "is_active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert PhoneNumber.objects.get(number="+493083793369").company == company_a


def test_branch_choices_offered_to_staff_are_their_own(client, olga, company_a, company_b):
    client.force_login(olga)
    response = client.get(reverse("admin:companies_phonenumber_add"))
    choices = response.context["adminform"].form.fields["branch"].queryset
    assert set(choices) == set(company_a.branches.all())


def test_autocomplete_never_returns_other_company_rows(client, alice, company_a, company_b):
    client.force_login(alice)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "companies", "model_name": "phonenumber", "field_name": "branch", "term": "B"},
    )
    names = {item["text"] for item in response.json()["results"]}
    assert not any("Beta" in name for name in names)


def test_staff_without_membership_sees_nothing(client, company_a):
    user = UserFactory(username="drifter", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:companies_branch_changelist"))
    assert response.status_code == 403


def test_staff_cannot_add_or_delete_companies_or_see_memberships(client, alice, company_a):
    client.force_login(alice)
    assert client.get(reverse("admin:companies_company_add")).status_code == 403
    assert client.get(reverse("admin:companies_staffmembership_changelist")).status_code == 403
    assert client.get(reverse("admin:integrations_circuitbreakerstate_changelist")).status_code == 403


def test_superuser_sees_every_company(client, charlie, company_a, company_b):
    client.force_login(charlie)
    response = client.get(reverse("admin:companies_branch_changelist"))
    shown = {obj.company_id for obj in response.context["cl"].result_list}
    assert shown == {company_a.pk, company_b.pk}


def test_company_page_never_renders_stored_keys(client, charlie, company_a):
    client.force_login(charlie)
    response = client.get(_url(company_a, "change"))
    html = response.content.decode()
    assert company_a.calcom_api_key.reveal() not in html
    assert company_a.retell_api_key.reveal() not in html
    assert "Cal.com: <b>set</b>" in html


def test_company_form_replaces_a_key_only_when_one_is_typed(client, charlie, company_a):
    client.force_login(charlie)
    old_retell = company_a.retell_api_key.reveal()
    data = {
        "name": company_a.name,
        "slug": company_a.slug,
        "timezone": "Europe/Berlin",
        "language": "de",
        "calcom_base_url": "https://api.cal.com/v2",
        "retention_days": "90",  # the form's initial values, as a browser sends them
        "appointment_retention_days": "365",
        "is_active": "on",
        "new_calcom_api_key": "cal_live_replaced",
        "new_retell_api_key": "",
        **_empty_inlines(),
    }
    response = client.post(_url(company_a, "change"), data)
    assert response.status_code == 302
    company_a.refresh_from_db()
    assert company_a.calcom_api_key.reveal() == "cal_live_replaced"
    assert company_a.retell_api_key.reveal() == old_retell


def _empty_inlines():
    data = {}
    for prefix in ("branches", "phone_numbers"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data
