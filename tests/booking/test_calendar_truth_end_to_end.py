"""The calendar is the truth, end to end: the local Cal.com sandbox sends its signed booking
webhooks to our real endpoint (a live server), the worker applies them, and a caller asks by
phone. Connecting uses the real subscription call (POST /v2/webhooks to the sandbox)."""

from datetime import timedelta

import pytest
import requests
from django.core.management import call_command

from booking.models import Appointment, AppointmentStatus, CalendarNotice
from booking.notices import calendar_notice_process
from booking.selectors import upcoming_appointments_for_phone
from booking.services import appointment_reschedule, availability_get, booking_create
from sandbox.server import start_sandbox
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory
from tests.retell_fakes import API_KEY, CLINIC_NUMBER, as_body, function_call_payload, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)
CALLER = "+4915112345678"


@pytest.fixture
def sandbox():
    with start_sandbox(seed=11) as server:
        yield server


@pytest.fixture
def connected(sandbox, live_server):
    """A company booking in the sandbox, its Cal.com webhooks connected to the live server."""
    company = CompanyFactory(
        slug="truth", calcom_base_url=sandbox.base_url, calcom_api_key="cal_sandbox", retell_api_key=API_KEY
    )
    branch = BranchFactory(company=company, name="Berlin", calcom_event_type_id=1001)
    PhoneNumberFactory(company=company, branch=branch, number=CLINIC_NUMBER)
    call_command("connect_calcom_webhooks", "--company", "truth", "--base-url", live_server.url)
    return company


def _worker(sandbox) -> list[dict]:
    """Let the sandbox's deliveries arrive, then do what the worker does with them."""
    assert sandbox.webhooks.wait_idle(timeout=10)
    waiting = CalendarNotice.objects.filter(status="received").order_by("pk").values_list("pk", flat=True)
    return [calendar_notice_process(notice_id=pk) for pk in waiting]


def _ask_by_phone(client, company, caller: str = CALLER) -> str:
    """What the caller hears when they ask for their appointments (the live function, signed)."""
    body = as_body(function_call_payload("find_my_appointments", {}, from_number=caller))
    response = client.post(f"/api/retell/functions/{company.webhook_key}", body, **signed_headers(body))
    assert response.status_code == 200
    return response.json()["message"]


def _free_start(company, weekday: int = 1):
    day = timeline.weekday_ahead(3, weekday=weekday)
    return (
        availability_get(company=company, branch=company.branches.get(), date_from=day, date_to=day)
        .slots[0]
        .start
    )


def _in_calcom(sandbox, method: str, path: str, body: dict) -> dict:
    """What the practice (or its customer, through Cal.com's own pages) does in Cal.com itself."""
    response = requests.request(
        method, f"{sandbox.base_url}{path}", json=body, headers={"cal-api-version": "2024-08-13"}, timeout=5
    )
    assert response.status_code < 300, response.text
    return response.json()["data"]


def test_a_booking_cancelled_in_cal_com_is_cancelled_here_and_no_longer_offered(sandbox, connected, client):
    booked = booking_create(
        company=connected,
        branch=connected.branches.get(),
        start=_free_start(connected),
        name="Jana",
        phone=CALLER,
    )
    assert [r["success"] for r in _worker(sandbox)] == [True]  # our own BOOKING_CREATED: the same one
    assert upcoming_appointments_for_phone(company=connected, phone=CALLER) == [booked.appointment]
    assert _ask_by_phone(client, connected).startswith("Sie haben einen Termin am")

    uid = booked.appointment.calcom_booking_uid
    _in_calcom(sandbox, "POST", f"/bookings/{uid}/cancel", {"cancellationReason": "Praxis geschlossen"})
    _worker(sandbox)
    booked.appointment.refresh_from_db()
    assert booked.appointment.status == AppointmentStatus.CANCELLED
    assert upcoming_appointments_for_phone(company=connected, phone=CALLER) == []
    assert _ask_by_phone(client, connected) == "Unter Ihrer Nummer finde ich keine anstehenden Termine."
    assert Appointment.objects.count() == 1


def test_a_booking_made_directly_in_cal_com_is_found_by_the_caller(sandbox, connected, client):
    start = _free_start(connected, weekday=2)
    made = _in_calcom(
        sandbox,
        "POST",
        "/bookings",
        {
            "start": timeline.z(start),
            "eventTypeId": 1001,
            "attendee": {"name": "Mara Online", "phoneNumber": "+4915798765432", "timeZone": "Europe/Berlin"},
        },
    )
    _worker(sandbox)
    found = upcoming_appointments_for_phone(company=connected, phone="+4915798765432")
    assert [(a.calcom_booking_uid, a.source, a.attendee_name) for a in found] == [
        (made["uid"], "calendar", "Mara Online")
    ]
    assert _ask_by_phone(client, connected, caller="+4915798765432").startswith("Sie haben einen Termin am")


def test_a_move_cal_com_committed_before_we_heard_back_follows_the_new_uid(sandbox, connected):
    """Our POST reached Cal.com and moved the booking, the answer was lost; the retry finds it."""
    branch = connected.branches.get()
    booked = booking_create(
        company=connected, branch=branch, start=_free_start(connected), name="Jana", phone=CALLER
    )
    _worker(sandbox)
    new_start = booked.appointment.start + timedelta(days=1)
    old_uid = booked.appointment.calcom_booking_uid
    # The move as Cal.com committed it, the answer never seen (its notice lost too):
    sandbox.webhooks.close()
    moved_there = _in_calcom(
        sandbox, "POST", f"/bookings/{old_uid}/reschedule", {"start": timeline.z(new_start)}
    )

    result = appointment_reschedule(company=connected, appointment=booked.appointment, start=new_start)

    assert result.appointment.calcom_booking_uid == moved_there["uid"] != old_uid
    booked.appointment.refresh_from_db()
    assert booked.appointment.status == AppointmentStatus.RESCHEDULED
    assert upcoming_appointments_for_phone(company=connected, phone=CALLER) == [result.appointment]


def test_a_lost_notice_is_repaired_by_reconciliation(sandbox, connected, capsys):
    booked = booking_create(
        company=connected,
        branch=connected.branches.get(),
        start=_free_start(connected),
        name="Jana",
        phone=CALLER,
    )
    _worker(sandbox)
    sandbox.webhooks.close()  # Cal.com's one delivery never arrives
    _in_calcom(
        sandbox,
        "POST",
        f"/bookings/{booked.appointment.calcom_booking_uid}/cancel",
        {"cancellationReason": "x"},
    )
    call_command("reconcile_calendar", "--company", "truth")
    assert "repaired 1 cancelled" in capsys.readouterr().out
    booked.appointment.refresh_from_db()
    assert booked.appointment.status == AppointmentStatus.CANCELLED
