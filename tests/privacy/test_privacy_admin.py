"""The "Data protection request" page in the admin: owners find a caller of their own company,
download what is stored about them, or erase them after a confirmation; superusers choose the
company; everybody else gets 403, and no owner reaches another company's callers."""

import json
import re

import pytest
import responses
from django.test import Client

from audit.models import AuditEntry
from booking.models import Customer
from companies.models import StaffRole
from companies.services import staff_member_add
from privacy.person import TABLES
from tests import retell_fakes
from tests.factories import UserFactory
from tests.privacy import people
from tests.privacy.vendors import HER_CALLS, cal_com_cancels, database_dump, retell_deletes

pytestmark = pytest.mark.django_db
PAGE = "/admin/data-protection/"
EXPORT = PAGE + "export/"
ERASE = PAGE + "erase/"


@pytest.fixture
def twin(beta) -> Customer:
    return people.twin_at(beta)


def member(company, username, role):
    user = UserFactory(username=username)
    staff_member_add(company=company, user=user, role=role)
    return user


@pytest.fixture
def olga(alpha):
    return member(alpha, "olga", StaffRole.OWNER)


@pytest.fixture
def as_olga(olga) -> Client:
    browser = Client()
    browser.force_login(olga)
    return browser


ASKED = {"phone": "0151 12345678", "email": ""}


def test_an_owner_finds_her_and_sees_what_is_stored_and_what_erasure_would_do(her, as_olga):
    assert as_olga.get(PAGE).status_code == 200
    page = as_olga.post(PAGE, ASKED)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="privacy-plan"' in html and people.BOOKING_UID in html and 'id="erase"' in html
    found = dict(page.context["found"])
    assert found["calls"] == 2 and found["customers"] == 1
    assert 'name="company"' not in html  # an owner's company is not chosen, it is theirs


def test_the_export_downloads_as_json_named_by_company_and_date_not_by_person(her, as_olga, alpha):
    answer = as_olga.post(EXPORT, {**ASKED, "format": "json"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json; charset=utf-8"
    disposition = answer["Content-Disposition"]
    # Company and moment only: nothing of the caller (a date's digits may well contain "151").
    assert re.fullmatch(r'attachment; filename="askpro-alpha-person-\d{8}-\d{6}\.json"', disposition)
    document = json.loads(answer.content)
    assert document["customers"][0]["name"] == people.NAME and len(document["calls"]) == 2
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_kind, entry.actor_label, entry.company_id) == ("staff", "olga", alpha.pk)


def test_the_summary_downloads_as_text(her, as_olga):
    answer = as_olga.post(EXPORT, {**ASKED, "format": "text"})
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    assert people.NAME in answer.content.decode() and people.PHRASE in answer.content.decode()


def test_erasing_asks_to_confirm_repeating_what_will_happen_and_changes_nothing_until_then(her, as_olga):
    dump = database_dump()
    assert as_olga.get(ERASE).status_code == 405
    page = as_olga.post(ERASE, ASKED)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="privacy-confirm"' in html and 'name="confirmed"' in html
    assert people.BOOKING_UID in html and "Alpha Mitte" in html  # the appointment to be cancelled, again
    assert database_dump() == dump


def test_erasure_confirmed_erases_and_lists_what_staff_must_still_do(her, as_olga, alpha):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as wire:
        cal_com_cancels(wire)
        retell_deletes(wire, retell_fakes.CALL_ID)
        retell_deletes(wire, "call_outbound_jana", status=500)
        page = as_olga.post(ERASE, {**ASKED, "confirmed": "yes"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="privacy-staff-todo"' in html
    assert "call_outbound_jana" in html and "SM0123456789abcdef" in html and "bk_past_1" in html
    assert people.rows_naming_her() == {}
    entry = AuditEntry.objects.get(action="erase")
    assert (entry.actor_kind, entry.actor_label) == ("staff", "olga")


def test_a_bad_number_is_a_400_with_the_reason_and_nothing_else(her, as_olga):
    for url in (PAGE, EXPORT, ERASE):
        page = as_olga.post(url, {"phone": "12", "confirmed": "yes", "format": "json"})
        assert page.status_code == 400 and "not a valid phone number" in page.content.decode()
    assert Customer.objects.filter(phone=people.PHONE).exists()


@pytest.mark.parametrize("role", [StaffRole.STAFF, StaffRole.VIEWER])
def test_anyone_but_an_owner_is_refused_whatever_they_post(her, alpha, role):
    user = member(alpha, "someone", role)
    browser = Client()
    browser.force_login(user)
    dump = database_dump()
    assert browser.get(PAGE).status_code == 403
    assert browser.get(ERASE).status_code == 403
    for url in (PAGE, EXPORT, ERASE):
        assert browser.post(url, {**ASKED, "confirmed": "yes", "format": "json"}).status_code == 403
    assert database_dump() == dump
    assert 'id="privacy-link"' not in browser.get("/admin/").content.decode()


def test_a_staff_user_of_no_company_is_refused_and_a_visitor_sent_to_log_in(her):
    lost = UserFactory(username="lost", is_staff=True)
    browser = Client()
    browser.force_login(lost)
    assert browser.post(EXPORT, ASKED).status_code == 403
    assert Client().post(EXPORT, ASKED).status_code == 302


def test_an_owner_of_company_a_never_reaches_company_bs_caller(her, twin, beta, as_olga):
    theirs = _dump_of(beta)
    posted = {**ASKED, "company": beta.pk, "format": "json", "confirmed": "yes"}
    document = json.loads(as_olga.post(EXPORT, posted).content)
    assert "call_twin" not in json.dumps(document) and document["company"]["slug"] == "alpha"
    # Olga's erasure of "her number" erases her own company's caller only.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as wire:
        cal_com_cancels(wire)
        retell_deletes(wire, *HER_CALLS)
        as_olga.post(ERASE, posted)
    assert _dump_of(beta) == theirs
    assert Customer.objects.get(company=beta).name == people.NAME


def _dump_of(company) -> list:
    return [list(table.model.objects.filter(company=company).values()) for table in TABLES[:-1]]


def test_a_superuser_chooses_the_company_and_finds_the_caller_there(her, twin, beta):
    charlie = UserFactory(username="charlie", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(charlie)
    assert 'name="company"' in browser.get(PAGE).content.decode()
    assert browser.post(PAGE, ASKED).status_code == 400  # which company?
    document = json.loads(browser.post(EXPORT, {**ASKED, "company": beta.pk, "format": "json"}).content)
    assert [row["retell_call_id"] for row in document["calls"]] == ["call_twin"]


def test_posting_without_the_csrf_token_is_refused(her, olga):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(olga)
    assert browser.post(ERASE, {**ASKED, "confirmed": "yes"}).status_code == 403
    assert Customer.objects.filter(phone=people.PHONE).count() == 1


def test_the_dashboard_offers_the_page_to_owners(as_olga):
    html = as_olga.get("/admin/").content.decode()
    assert 'id="privacy-link"' in html and PAGE in html
