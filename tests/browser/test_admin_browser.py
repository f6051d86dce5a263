"""The admin in a real browser: logging in through the form, German by default, and a company's
staff never seeing another company's rows, whatever page or address they open."""

import pytest
from django.urls import reverse

from tests.browser.helpers import login, screenshot
from tests.factories import AppointmentFactory, CallFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What only company B's rows say; none of it may reach company A's staff, in text or markup.
B_MARKS = ["Beta Salon", "Beta Nord", "Bruno Birnbaum", "beta-salon", "call_beta", "22222222", "77777777"]


def test_staff_log_in_through_the_form_and_meet_the_admin_in_german(page, sandbox_company, make_staff):
    make_staff(sandbox_company, "erika")

    page.goto("/admin/")  # not logged in: sent to the login form
    assert "/admin/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "de"
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    assert "Benutzername" in form.text_content()
    assert page.locator("input[type=submit]").get_attribute("value") == "Anmelden"

    login(page, "erika")

    assert page.url.endswith("/admin/")
    assert page.locator("html").get_attribute("lang") == "de"
    header = page.locator("#user-tools").text_content()  # as written: CSS shows it in capitals
    assert "Willkommen" in header
    assert "erika" in header
    assert "Abmelden" in header
    screenshot(page, "login-and-index")


def test_staff_of_one_company_never_see_anothers_rows(page, company_a, company_b, alice):
    a_branch, b_branch = company_a.branches.get(), company_b.branches.get()  # Alpha Mitte, Beta Nord
    anna = CustomerFactory(
        company=company_a, name="Anna Apfel", phone="+493066666666", email="anna@alpha-praxis.example"
    )
    a_appointment = AppointmentFactory(
        company=company_a, branch=a_branch, customer=anna, attendee_name="Anna Apfel"
    )
    CallFactory(
        company=company_a,
        branch=a_branch,
        customer=anna,
        from_number=anna.phone,
        retell_call_id="call_alpha_ruf",
    )
    bruno = CustomerFactory(
        company=company_b, name="Bruno Birnbaum", phone="+493077777777", email="bruno@beta-salon.example"
    )
    b_appointment = AppointmentFactory(
        company=company_b, branch=b_branch, customer=bruno, attendee_name="Bruno Birnbaum"
    )
    b_call = CallFactory(
        company=company_b,
        branch=b_branch,
        customer=bruno,
        from_number=bruno.phone,
        retell_call_id="call_beta_ruf",
    )

    login(page, "alice")

    # Each changelist shows company A's row (so the page did list rows) and nothing of B's.
    changelists = {
        "booking_appointment": "Anna Apfel",
        "booking_customer": "Anna Apfel",
        "telephony_call": "66666666",  # Anna's number, the caller's
        "companies_branch": "Alpha Mitte",
        "companies_phonenumber": "11111111",
        "companies_company": "Alpha Praxis",
    }
    for admin_name, a_mark in changelists.items():
        response = page.goto(reverse(f"admin:{admin_name}_changelist"))
        assert response.status == 200, admin_name
        assert page.locator("#result_list").count() == 1, f"{admin_name}: no result list"
        _assert_shows(page, a_mark, where=admin_name)
        _assert_nothing_of_b(page, where=admin_name)
        if admin_name == "booking_appointment":
            screenshot(page, "isolation-appointments")

    # Company A's own appointment opens by its address ...
    page.goto(reverse("admin:booking_appointment_change", args=[a_appointment.pk]))
    _assert_shows(page, "Anna Apfel", where="A's appointment")

    # ... company B's rows by theirs do not: the admin says there is no such row, and shows none of it.
    for admin_name, row in [
        ("booking_appointment", b_appointment),
        ("booking_customer", bruno),
        ("telephony_call", b_call),
        ("companies_branch", b_branch),
        ("companies_company", company_b),
    ]:
        response = page.goto(reverse(f"admin:{admin_name}_change", args=[row.pk]))
        where = f"{admin_name} {row.pk} of B"
        assert response.status in (200, 404), where
        text = page.locator("body").text_content()
        assert f"„{row.pk}“ existiert nicht" in text or response.status == 404, f"{where}: {text[:300]}"
        assert page.locator("form input[name=_save]").count() == 0, f"{where}: a change form"
        _assert_nothing_of_b(page, where=where)
        if admin_name == "booking_appointment":
            screenshot(page, "isolation-other-companys-appointment")


def _assert_shows(page, mark: str, *, where: str) -> None:
    shown = mark in page.locator("body").text_content()
    assert shown, f"{where}: {mark!r} not shown"


def _assert_nothing_of_b(page, *, where: str) -> None:
    text, html = page.locator("body").text_content(), page.content()
    leaked = [mark for mark in B_MARKS if mark in text or mark in html]
    assert not leaked, f"{where} shows company B's {leaked}"
