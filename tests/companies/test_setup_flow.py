"""Setting a company up in one form: the company, its branches with the number each answers, and
its keys; typed keys survive a form error; the company page shows what to paste into Retell."""

import pytest
from django.urls import reverse

from companies.models import Branch, Company, PhoneNumber

pytestmark = pytest.mark.django_db
ADD = "/admin/companies/company/add/"


def _inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def _new_company(**overrides) -> dict:
    branches = [
        {
            "name": "Praxis Mitte",
            "phone_number": "030 1234567",
            "calcom_event_type_id": "1001",
            "is_active": "on",
        },
        {
            "name": "Praxis Nord",
            "phone_number": "+49 40 7654321",
            "calcom_event_type_id": "1002",
            "is_active": "on",
        },
    ]
    return {
        "name": "Zahnarzt Sonne",
        "slug": "sonne",
        "timezone": "Europe/Berlin",
        "language": "de",
        "calcom_base_url": "https://api.cal.com/v2",
        "retention_days": "90",  # the form's initial values, as a browser sends them
        "appointment_retention_days": "365",
        "new_calcom_api_key": "cal_live_sonne_key",
        "new_retell_api_key": "key_sonne_retell",
        "is_active": "on",
        "_save": "Save",
        **_inline("branches", branches),
        **overrides,
    }


def test_a_company_its_branches_numbers_and_keys_are_created_in_one_form(client, charlie):
    client.force_login(charlie)
    response = client.post(ADD, _new_company())
    assert response.status_code == 302, response.context["adminform"].form.errors
    company = Company.objects.get(slug="sonne")
    assert company.calcom_api_key.reveal() == "cal_live_sonne_key"
    assert company.retell_api_key.reveal() == "key_sonne_retell"
    numbers = {n.number: (n.branch.name, n.is_active) for n in PhoneNumber.objects.filter(company=company)}
    assert numbers == {"+49301234567": ("Praxis Mitte", True), "+49407654321": ("Praxis Nord", True)}
    assert set(Branch.objects.filter(company=company).values_list("calcom_event_type_id", flat=True)) == {
        1001,
        1002,
    }


def test_typed_keys_survive_a_form_error_and_nothing_is_saved(client, charlie, company_a):
    client.force_login(charlie)
    response = client.post(ADD, _new_company(slug=company_a.slug))  # the short name is taken
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="cal_live_sonne_key"' in page and 'value="key_sonne_retell"' in page
    assert not Company.objects.filter(name="Zahnarzt Sonne").exists()


def test_the_add_form_promises_a_webhook_key_instead_of_showing_a_placeholder(client, charlie):
    client.force_login(charlie)
    page = client.get(ADD).content.decode()
    assert "Created when the company is saved." in page


def test_another_companys_number_is_refused_without_naming_it(client, charlie, company_b):
    client.force_login(charlie)
    taken = company_b.phone_numbers.get().number
    rows = [{"name": "Praxis Mitte", "phone_number": taken, "is_active": "on"}]
    response = client.post(ADD, _new_company(**_inline("branches", rows)))
    page = response.content.decode()
    assert response.status_code == 200 and "This number cannot be used." in page
    assert company_b.name not in page


def test_an_unknown_time_zone_cannot_be_chosen(client, charlie):
    client.force_login(charlie)
    response = client.post(ADD, _new_company(timezone="Berlin"))
    assert response.status_code == 200
    assert "Berlin is not one of the available choices" in response.content.decode()


def test_the_company_page_shows_retell_urls_and_tools_with_copy_buttons(client, settings, olga, company_a):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    client.force_login(olga)
    page = client.get(reverse("admin:companies_company_change", args=[company_a.pk])).content.decode()
    base = "https://askpro.example.com/api/retell"
    for url in ("inbound", "webhook", "functions"):
        assert f"{base}/{url}/{company_a.webhook_key}" in page
    assert "&quot;check_availability&quot;" in page and 'data-copy="retell-tools"' in page
    assert "Retell and Cal.com cannot reach it" not in page and "is not https" not in page


def test_a_local_public_url_is_warned_about_on_the_company_page(client, settings, olga, company_a):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    client.force_login(olga)
    page = client.get(reverse("admin:companies_company_change", args=[company_a.pk])).content.decode()
    assert "is not https" in page


def test_staff_see_the_company_but_no_key_inputs(client, alice, company_a):
    client.force_login(alice)
    page = client.get(reverse("admin:companies_company_change", args=[company_a.pk])).content.decode()
    assert "new_calcom_api_key" not in page and "Set-up check" in page


def test_a_superuser_gives_a_new_branch_the_companys_own_unassigned_number(client, charlie, company_a):
    from companies.models import PhoneNumber

    PhoneNumber.objects.create(company=company_a, number="+493099999999", is_active=False)
    client.force_login(charlie)
    response = client.post(
        "/admin/companies/branch/add/",
        {
            "company": company_a.pk,
            "name": "Alpha Nord",
            "phone_number": "030 99999999",
            "is_active": "on",
            **_inline("services", []),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    number = PhoneNumber.objects.get(number="+493099999999")
    assert number.branch.name == "Alpha Nord" and number.is_active
