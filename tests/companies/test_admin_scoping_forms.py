"""Admin filters and add forms of a staff member stay inside their company.

- The branch list filter of the Call and Appointment changelists offers staff their own
  company's branches only; a superuser is offered every company's.
- A duplicate that a unique rule of the company forbids comes back as a form error (200, the
  message shown, nothing saved), never as an IntegrityError (500). A number held by another
  company is refused with a message that does not say who holds it.

Forms are posted complete, as the browser would: every field the add page renders, with its
initial value unless the test types another, plus the management form of each inline.
"""

import pytest
from django import forms
from django.urls import reverse
from django.utils.html import escape

from booking.models import Customer
from companies.models import Branch, PhoneNumber
from tests.factories import AppointmentFactory, BranchFactory, CallFactory, CustomerFactory

pytestmark = pytest.mark.django_db


# -- helpers -------------------------------------------------------------------------------------


def _complete_add_form(client, url: str, **typed) -> dict:
    """The POST the add page at `url` sends once `typed` is entered (None: a box left unticked)."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {"_save": "Save"}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        else:  # a browser sends an empty box as ""
            data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for row in inline.formset.forms:  # the rows it has, and the empty ones a browser sends too
            for name, field in row.fields.items():
                value = row[name].value()
                if isinstance(field, forms.BooleanField):
                    if value:
                        data[row.add_prefix(name)] = "on"
                else:
                    data[row.add_prefix(name)] = "" if value is None else value
    for name, value in typed.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _refused(response, message: str) -> None:
    """The add page came back with `message` as an error of its form, shown on the page."""
    assert response.status_code == 200, "the form was not refused"
    form = response.context["adminform"].form
    shown = [error for errors in form.errors.values() for error in errors]
    assert message in shown, form.errors
    assert escape(message) in response.content.decode()


def _branch_filter(response) -> set[str]:
    """The branches the changelist's "By branch" filter offers, as rendered."""
    assert response.status_code == 200
    spec = next(s for s in response.context["cl"].filter_specs if getattr(s, "field_path", "") == "branch")
    offered = {pk for pk, _label in spec.lookup_choices}
    html = response.content.decode()
    rendered = {branch.pk for branch in Branch.objects.all() if f"branch__id__exact={branch.pk}" in html}
    assert rendered == offered  # the page shows exactly what the filter computed
    return {str(branch) for branch in Branch.objects.filter(pk__in=offered)}


# -- list filters --------------------------------------------------------------------------------


@pytest.fixture
def branches(company_a, company_b):
    """Two branches in company A (a single choice would hide the filter), one in company B."""
    BranchFactory(company=company_a, name="Alpha Ost")
    for company in (company_a, company_b):
        for branch in company.branches.all():
            CallFactory(company=company, branch=branch)
            AppointmentFactory(company=company, branch=branch)
    return {
        "a": {str(b) for b in company_a.branches.all()},
        "b": {str(b) for b in company_b.branches.all()},
    }


CHANGELISTS = ["telephony_call", "booking_appointment"]


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_staff_filter_by_their_own_companys_branches_only(client, alice, company_b, branches, changelist):
    client.force_login(alice)
    response = client.get(reverse(f"admin:{changelist}_changelist"))
    assert (
        _branch_filter(response)
        == branches["a"]
        == {"Alpha Praxis / Alpha Mitte", "Alpha Praxis / Alpha Ost"}
    )
    html = response.content.decode()
    assert company_b.name not in html
    assert "Beta Nord" not in html


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_superuser_filters_by_every_companys_branches(client, charlie, branches, changelist):
    client.force_login(charlie)
    response = client.get(reverse(f"admin:{changelist}_changelist"))
    assert _branch_filter(response) == branches["a"] | branches["b"]


# -- duplicates are form errors ------------------------------------------------------------------

CUSTOMER_PHONE = "+493083793369"


@pytest.mark.parametrize("typed", [CUSTOMER_PHONE, "030 83793369"], ids=["e164", "national"])
def test_a_customer_phone_already_in_the_company_is_a_form_error(client, alice, company_a, typed):
    CustomerFactory(company=company_a, phone=CUSTOMER_PHONE, name="Jana")
    client.force_login(alice)
    url = reverse("admin:booking_customer_add")

    response = client.post(url, _complete_add_form(client, url, phone=typed, name="Jana again"))

    _refused(response, "A customer with this phone number already exists.")
    assert Customer.objects.count() == 1


def test_a_phone_of_another_companys_customer_is_fine(client, alice, company_a, company_b):
    CustomerFactory(company=company_b, phone=CUSTOMER_PHONE)
    client.force_login(alice)
    url = reverse("admin:booking_customer_add")

    response = client.post(url, _complete_add_form(client, url, phone=CUSTOMER_PHONE, name="Jana"))

    assert response.status_code == 302
    assert Customer.objects.get(company=company_a).phone == CUSTOMER_PHONE


def test_a_branch_name_already_in_the_company_is_a_form_error(client, olga, company_a):
    client.force_login(olga)
    url = reverse("admin:companies_branch_add")

    response = client.post(url, _complete_add_form(client, url, name="Alpha Mitte"))

    _refused(response, "This company already has a branch with this name.")
    assert Branch.objects.filter(company=company_a).count() == 1


def test_a_branch_name_of_another_company_is_fine(client, olga, company_a, company_b):
    client.force_login(olga)
    url = reverse("admin:companies_branch_add")

    response = client.post(url, _complete_add_form(client, url, name="Beta Nord"))

    assert response.status_code == 302
    assert Branch.objects.filter(name="Beta Nord", company=company_a).exists()


@pytest.mark.parametrize("typed", ["+493022222222", "030 22222222"], ids=["e164", "national"])
def test_another_companys_number_cannot_be_used_and_its_owner_stays_unnamed(
    client, olga, company_a, company_b, typed
):
    client.force_login(olga)
    url = reverse("admin:companies_phonenumber_add")
    data = _complete_add_form(
        client, url, number=typed, branch=str(company_a.branches.get().pk), nickname="Reception"
    )

    response = client.post(url, data)

    _refused(response, "This number cannot be used.")
    assert response.context["adminform"].form.errors["number"] == ["This number cannot be used."]
    html = response.content.decode()
    for revealing in (company_b.name, company_b.slug, "Beta Nord"):
        assert revealing not in html
    assert PhoneNumber.objects.get(number="+493022222222").company == company_b
    assert PhoneNumber.objects.count() == 2


def test_a_number_already_in_the_company_cannot_be_used_twice(client, olga, company_a):
    client.force_login(olga)
    url = reverse("admin:companies_phonenumber_add")
    data = _complete_add_form(client, url, number="+493011111111", branch=str(company_a.branches.get().pk))

    response = client.post(url, data)

    _refused(response, "This number cannot be used.")
    assert PhoneNumber.objects.count() == 1


def test_staff_can_raise_their_companys_rate_limit_within_bounds(client, olga, company_a):
    client.force_login(olga)
    url = reverse("admin:companies_company_change", args=[company_a.pk])
    response = client.post(url, _complete_add_form(client, url, retell_rate_limit="2400"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    company_a.refresh_from_db()
    assert company_a.retell_rate_limit == 2400
    too_many = client.post(url, _complete_add_form(client, url, retell_rate_limit="1000001"))
    assert too_many.status_code == 200
    company_a.refresh_from_db()
    assert company_a.retell_rate_limit == 2400
