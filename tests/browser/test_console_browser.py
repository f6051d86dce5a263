"""The staff console in a real browser, German, against the live server and the Cal.com sandbox:
reading the dashboard, fixing a failed booking from "needs attention", setting a company up to a
working phone booking, and what a viewer may not do. Screenshots of the dashboard, the
needs-attention list and the set-up check are kept (helpers.screenshot_dir())."""

import copy
import json
from datetime import datetime

import pytest
import requests
import responses
from django.urls import reverse
from playwright.sync_api import expect

from booking.models import Appointment, AppointmentSource, AppointmentStatus
from booking.services import BookingError, booking_create
from companies.models import Company, StaffRole
from core import clock
from telephony.retell.gateway import retell_urls
from tests import retell_fakes, timeline
from tests.browser.helpers import login, screenshot
from tests.factories import CallFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _failed_post_call_booking(company: Company) -> None:
    """Someone took Tuesday 10:00 first; the caller's wish for it, made after the call, fails and
    the sandbox's free times that day become the alternatives."""
    branch = company.branches.get()
    wish = timeline.at(timeline.booking_day(), "10:00")
    booking_create(company=company, branch=branch, start=wish, name="Erste Kundin", phone="+4915100000001")
    with pytest.raises(BookingError):
        booking_create(
            company=company,
            branch=branch,
            start=wish,
            name="Jana Berger",
            phone="+4915112345678",
            source=AppointmentSource.POST_CALL,
            call_id="call_jana",
        )


def test_staff_read_the_dashboard_in_german_and_fix_a_failed_booking(page, sandbox_company, make_staff):
    make_staff(sandbox_company, "erika")
    CallFactory(company=sandbox_company, branch=sandbox_company.branches.get(), started_at=clock.now())
    _failed_post_call_booking(sandbox_company)

    login(page, "erika")

    assert page.locator("#attention h2").inner_text().startswith("Zu erledigen (1)")
    assert "Jana Berger" in page.locator("#attention").inner_text()
    for heading in ("Anrufe und Buchungen", "Vom Anruf zum Termin", "Nächste Termine", "Verbindungen"):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    assert "Berlin Mitte" in page.locator("#calls-and-bookings").inner_text()
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Zu erledigen").first.click()
    page.wait_for_url("**/admin/attention/")
    item = page.locator(".attention-item")
    expect(item).to_have_count(1)
    text = item.inner_text()
    assert "Buchung fehlgeschlagen" in text and "+4915112345678" in text
    assert "Die Zeit war im Kalender schon vergeben." in text
    screenshot(page, "needs-attention")

    offered = item.locator("button[name=alternative]")
    assert offered.count() >= 1
    chosen = offered.first.get_attribute("value")
    offered.first.click()

    expect(page.locator(".messagelist .success")).to_have_count(1)
    assert "Jana Berger" in page.locator(".messagelist").inner_text()
    assert page.locator(".attention-empty").inner_text() == "Nichts zu erledigen."
    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED, customer__phone="+4915112345678")
    assert booked.start == datetime.fromisoformat(chosen)
    assert booked.calcom_booking_uid  # the sandbox holds it


def test_a_viewer_reads_needs_attention_but_has_no_button_to_change_anything(
    page, sandbox_company, make_staff
):
    make_staff(sandbox_company, "vera", role=StaffRole.VIEWER)
    _failed_post_call_booking(sandbox_company)
    login(page, "vera")
    page.goto("/admin/attention/")
    item = page.locator(".attention-item")
    expect(item).to_have_count(1)
    assert "Jana Berger" in item.inner_text()
    assert item.locator("button").count() == 0 and item.locator("form").count() == 0


def _agent_as_we_want_it(company: Company) -> dict:
    agent = copy.deepcopy(retell_fakes.fixture("agent"))
    agent["webhook_url"] = retell_urls(company=company).webhook
    agent.pop("webhook_events", None)  # Retell's default: exactly the three events we need
    return agent


def test_an_operator_sets_a_company_up_to_a_working_phone_booking(page, sandbox, settings, live_server):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    settings.CALCOM_ALLOWED_BASE_URLS = [*settings.CALCOM_ALLOWED_BASE_URLS, sandbox.base_url]
    settings.RETELL_BASE_URL = retell_fakes.BASE
    UserFactory(username="olaf", is_staff=True, is_superuser=True)
    login(page, "olaf")

    page.goto("/admin/companies/company/add/")
    page.locator("#id_name").press_sequentially("Zahnarzt Sonne")  # typed: the short name follows
    expect(page.locator("#id_slug")).to_have_value("zahnarzt-sonne")  # prepopulated from the name
    page.locator("#id_timezone").select_option("Europe/Berlin")
    page.locator("#id_calcom_base_url").fill(sandbox.base_url)
    page.locator("#id_new_calcom_api_key").fill("cal_live_sonne")
    page.locator("#id_new_retell_api_key").fill("key_sonne_retell")
    page.locator("#id_branches-0-name").fill("Praxis Mitte")
    page.locator("#id_branches-0-phone_number").fill("030 1234567")
    page.locator("#id_branches-0-calcom_event_type_id").fill("1001")
    page.locator("input[name=_continue]").click()

    expect(page.locator(".messagelist .success")).to_have_count(1)
    company = Company.objects.get(slug="zahnarzt-sonne")
    assert company.phone_numbers.get().number == "+49301234567"
    retell = page.locator("#retell-setup")
    assert f"https://askpro.example.com/api/retell/functions/{company.webhook_key}" in retell.inner_text()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as retell_wire:
        retell_wire.add_passthru(sandbox.base_url)
        retell_wire.add_passthru(live_server.url)
        agent_id = retell_fakes.AGENT_ID
        company.phone_numbers.update(inbound_agent_ids=[agent_id])
        retell_wire.get(f"{retell_fakes.BASE}/get-agent/{agent_id}", json=_agent_as_we_want_it(company))
        listed = copy.deepcopy(retell_fakes.fixture("phone_numbers_page_1"))
        listed["items"] = [
            {
                **listed["items"][0],
                "phone_number": "+49301234567",
                "nickname": "Praxis Mitte",
                "inbound_agents": [{"agent_id": agent_id, "weight": 1}],
            }
        ]
        listed["has_more"] = False
        listed.pop("pagination_key", None)
        retell_wire.get(f"{retell_fakes.BASE}/v2/list-phone-numbers", json=listed)
        page.locator(f"a[href='{reverse('admin:setup_check', args=[company.pk])}']").first.click()
        expect(page.locator("#setup-checks")).to_be_visible()

    rows = page.locator("#setup-checks tbody tr")
    states = {row.locator("td").nth(0).inner_text(): row.locator(".badge").inner_text() for row in rows.all()}
    assert states["Ereignistyp von Praxis Mitte"] == "OK", states
    assert "Zu beheben" not in states.values(), states
    screenshot(page, "setup-check")

    # The number rings: Retell asks for a booking during the call, signed with the company's key.
    day = timeline.booking_day()
    payload = retell_fakes.function_call_payload(
        "book_appointment",
        {"date": day.isoformat(), "time": "11:00", "name": "Max Anrufer"},
        to_number="+49301234567",
        from_number="+4915199999999",
    )
    body = retell_fakes.as_body(payload)
    answer = requests.post(
        f"{live_server.url}/api/retell/functions/{company.webhook_key}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Retell-Signature": retell_fakes.sign(body, "key_sonne_retell"),
        },
        timeout=20,
    )
    assert answer.status_code == 200 and json.loads(answer.content)["success"] is True, answer.text
    page.goto("/admin/booking/appointment/")
    assert "Max Anrufer" in page.locator("#result_list").inner_text()
