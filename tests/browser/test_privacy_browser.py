"""A data-protection request in a real browser, against the live server and the Cal.com sandbox:
an owner finds a caller from the dashboard, downloads their data, erases them after confirming,
and reads what is left to do by hand. Retell is faked at the wire (its delete-call). Screenshots
of the plan and of the result are kept (helpers.screenshot_dir())."""

import json

import pytest
import responses
from playwright.sync_api import expect

from booking.models import Appointment, AppointmentStatus, Customer
from booking.services import booking_create
from companies.models import StaffRole
from core import clock
from tests import retell_fakes, timeline
from tests.browser.helpers import login, screenshot
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "+4915112345678"
NAME = "Jana Berger"
CALL_ID = "call_jana_browser"


def _caller(company) -> Appointment:
    """Jana called and booked Tuesday 10:00 in the sandbox's calendar."""
    branch = company.branches.get()
    booked = booking_create(
        company=company,
        branch=branch,
        start=timeline.at(timeline.booking_day(), "10:00"),
        name=NAME,
        phone=PHONE,
        call_id=CALL_ID,
    )
    CallFactory(
        company=company,
        branch=branch,
        retell_call_id=CALL_ID,
        from_number=PHONE,
        customer=booked.appointment.customer,
        started_at=clock.now(),
        transcript="User: Ich heiße Jana Berger und möchte einen Termin.",
    )
    return booked.appointment


def test_an_owner_exports_and_erases_a_caller(page, sandbox, sandbox_company, make_staff, live_server):
    make_staff(sandbox_company, "olga", role=StaffRole.OWNER)
    appointment = _caller(sandbox_company)
    assert appointment.status == AppointmentStatus.BOOKED and appointment.calcom_booking_uid

    login(page, "olga")
    page.locator("#privacy-link a").click()
    page.wait_for_url("**/admin/data-protection/")
    page.locator("input[name=phone]").fill("0151 12345678")
    page.locator("input[name=find]").click()

    expect(page.locator("#privacy-plan")).to_be_visible()
    assert appointment.calcom_booking_uid in page.locator(".privacy-future").inner_text()
    screenshot(page, "privacy-request")

    with page.expect_download() as download:
        page.locator("#download-json").click()
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert document["customers"][0]["name"] == NAME
    assert [call["retell_call_id"] for call in document["calls"]] == [CALL_ID]
    assert "askpro-sandbox-person-" in download.value.suggested_filename

    page.locator("#erase").click()
    expect(page.locator("#privacy-confirm")).to_be_visible()
    assert appointment.calcom_booking_uid in page.locator("#privacy-effects").inner_text()

    with responses.RequestsMock(assert_all_requests_are_fired=True) as wire:
        wire.add_passthru(sandbox.base_url)
        wire.add_passthru(live_server.url)
        wire.delete(f"{retell_fakes.BASE}/v2/delete-call/{CALL_ID}", status=204)
        page.locator("#erase-confirmed").click()
        expect(page.locator("#privacy-staff-todo")).to_be_visible()

    todo = page.locator("#privacy-staff-todo").inner_text()
    assert appointment.calcom_booking_uid in todo  # Cal.com keeps the cancelled booking
    assert page.locator(".privacy-todo-retell").count() == 0  # Retell deleted its call
    screenshot(page, "privacy-erased")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.attendee_name == ""
    assert not Customer.objects.filter(company=sandbox_company).exists()
    assert sandbox.bookings.get(appointment.calcom_booking_uid)["status"] == "cancelled"


def test_staff_who_are_not_owners_are_refused_the_page(page, sandbox_company, make_staff):
    make_staff(sandbox_company, "erika")
    login(page, "erika")
    assert page.locator("#privacy-link").count() == 0
    answer = page.goto("/admin/data-protection/")
    assert answer.status == 403
