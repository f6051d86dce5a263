"""One call from the first ring to the text after it, with every logger at DEBUG: no line the
service writes holds the caller's number (in any spelling), name, email address or words (#14).

The lines are read where production writes them: from the configured console handler, after its
filters (askpro.logfilters), for every logger, ours and the libraries'. Retell and Cal.com
deliver as they document (tests/retell_fakes.py, tests/calcom_fakes.py, with their caller
replaced by ours), the worker runs each task inline right after the commit that queued it
(django-q2's sync mode), and Cal.com and Twilio are faked at the wire.
"""

import json
import logging
import re
from datetime import timedelta

import pytest
import responses
from django_q.conf import Conf

from booking.models import Appointment, AppointmentStatus
from booking.references import appointment_reference
from booking.tasks import reconcile_calendars
from integrations.calcom.signature import sign as calcom_sign
from notifications.models import Notification
from telephony.models import Call
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture, slots_range
from tests.console_log import console_lines
from tests.notifications import twilio_fakes
from tests.retell_fakes import (
    API_KEY,
    CLINIC_NUMBER,
    OTHER_API_KEY,
    as_body,
    function_call_payload,
    inbound_payload,
    signed_headers,
    webhook_payload,
)

PHONE = "+4917623571946"
NAME = "Henrike Quastenberg"
EMAIL = "henrike.quastenberg@example.org"
PHRASE = "Knieprothese quietscht seit Ostern"
# What no line may hold, compared case-insensitively: the number as a person, a form or a vendor
# writes it, and its subscriber part alone; each half of the name; the address, also URL-encoded;
# the caller's own words.
NEVER = (
    PHONE,
    "4917623571946",
    "017623571946",
    "0176 23571946",
    "0176-23571946",
    "+49 176 23571946",
    "0049 176 23571946",
    "23571946",
    "Henrike",
    "Quastenberg",
    EMAIL,
    "henrike.quastenberg%40example.org",
    "Knieprothese",
)
MASKED_PHONE = "+49*********46"
CALCOM_SECRET = "whsec_alpha_not_real"
# The contract fixtures' caller, Jana, becomes ours; in the transcript she mentions her knee.
OUR_CALLER = {
    "+4915112345678": PHONE,
    "4915112345678": PHONE[1:],
    "jana.caller@example.com": EMAIL,
    "jana@example.com": EMAIL,
    "Jana Caller": NAME,
    '"Jana"': '"Henrike"',
    '"Caller,"': '"Quastenberg,"',
    "Eine Beratung, bitte.": f"Eine Beratung, bitte. Meine {PHRASE}.",
}
LINE = re.compile(r"^\S+ \S+ [A-Z]+ (?P<logger>\S+) \[cid=")


def as_our_caller(payload: dict) -> dict:
    text = json.dumps(payload, ensure_ascii=False)
    for theirs, ours in OUR_CALLER.items():
        text = text.replace(theirs, ours)
    return json.loads(text)


@pytest.fixture
def every_log_line():
    with console_lines(logging.DEBUG) as read:
        yield read


@pytest.fixture
def wire():
    """Cal.com and Twilio at the wire; every registered answer must be asked for."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def practice(clinic, settings, monkeypatch):
    """Company A, with Cal.com's notices connected and texts sent by Twilio; tasks run inline."""
    clinic.calcom_webhook_secret = CALCOM_SECRET
    clinic.save()
    settings.NOTIFICATION_SENDER = "notifications.senders.TwilioSmsSender"
    settings.TWILIO_ACCOUNT_SID = twilio_fakes.ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = twilio_fakes.AUTH_TOKEN
    settings.TWILIO_FROM = twilio_fakes.FROM
    monkeypatch.setattr(Conf, "SYNC", True)
    return clinic


class Delivery:
    """What Retell and Cal.com send company A about our caller's call."""

    def __init__(self, client, company):
        self.client, self.company = client, company

    def inbound(self) -> dict:
        """The call's dynamic variables, as we answer Retell's inbound webhook."""
        body = as_body(inbound_payload(PHONE, CLINIC_NUMBER))
        url = f"/api/retell/inbound/{self.company.webhook_key}"
        response = self.client.post(url, body, **signed_headers(body))
        assert response.status_code == 200, response.content
        return response.json()["call_inbound"]["dynamic_variables"]

    def webhook(self, event: str, *, key: str = API_KEY, **call_fields) -> int:
        body = as_body(as_our_caller(webhook_payload(event, **call_fields)))
        url = f"/api/retell/webhook/{self.company.webhook_key}"
        return self.client.post(url, body, **signed_headers(body, key)).status_code

    def function(self, name: str, args: dict | None = None) -> dict:
        body = as_body(as_our_caller(function_call_payload(name, args or {})))
        url = f"/api/retell/functions/{self.company.webhook_key}"
        response = self.client.post(url, body, **signed_headers(body))
        assert response.status_code == 200, response.content
        return response.json()

    def calcom_notice(self, envelope: dict, *, secret: str = CALCOM_SECRET) -> int:
        body = json.dumps(as_our_caller(envelope)).encode()
        return self.client.post(
            f"/api/calcom/webhook/{self.company.webhook_key}",
            body,
            content_type="application/json",
            HTTP_X_CAL_SIGNATURE_256=calcom_sign(body, secret),
        ).status_code


def _day(offset: int = 0):
    return timeline.booking_day() + timedelta(days=offset)


def _booking(day_offset: int, at: str, uid: str, booking_id: int) -> dict:
    start = timeline.utc(_day(day_offset), at)
    made = booking_output(start=start, end=start + timedelta(minutes=30), uid=uid, booking_id=booking_id)
    return as_our_caller(made)


def _created(day_offset: int, at: str, uid: str, booking_id: int):
    """Cal.com's 201 for a booking create, echoing the metadata we sent (our idempotency key)."""

    def callback(request):
        made = _booking(day_offset, at, uid, booking_id)
        made["data"]["metadata"] = json.loads(request.body)["metadata"]
        return 201, {}, json.dumps(made)

    return callback


def _refusal_quoting_the_attendee() -> dict:
    """Cal.com's error envelope (contract §2.7), its message quoting what it was sent."""
    message = f"Attendee {NAME} <{EMAIL}> ({PHONE}) cannot be booked"
    return {"status": "error", "error": {"code": "BadRequestException", "message": message}}


WISH = {"name": NAME, "email": EMAIL, "dienstleistung": "Beratung", "notizen": PHRASE}


def the_phone_rings(deliver: Delivery, wire) -> None:
    """Someone without the company's key is refused; the real call comes in and starts, and the
    branch's free slots are fetched while it rings."""
    assert deliver.webhook("call_started", key=OTHER_API_KEY) == 401
    slot = (
        timeline.cal_local(timeline.at(_day(), "11:00")),
        timeline.cal_local(timeline.at(_day(), "11:30")),
    )
    wire.add("GET", f"{BASE}/slots", json=slots_range({_day().isoformat(): [slot]}))
    assert deliver.inbound()["caller_known"] == "false"
    assert deliver.webhook("call_started") == 204
    assert "11:00" in deliver.function("check_availability", {"datum": _day().isoformat()})["message"]


def books_finds_and_moves(deliver: Delivery, wire) -> None:
    wire.add_callback("POST", f"{BASE}/bookings", callback=_created(0, "11:00", "bk_first", 9101))
    assert deliver.function("book_appointment", {**WISH, "datum": _day().isoformat(), "uhrzeit": "11:00"})[
        "success"
    ]
    assert len(deliver.function("find_my_appointments")["data"]["appointments"]) == 1
    wire.add(
        "POST",
        f"{BASE}/bookings/bk_first/reschedule",
        status=201,
        json=_booking(1, "14:00", "bk_moved", 9102),
    )
    moved = deliver.function("reschedule_appointment", {"new_date": _day(1).isoformat(), "new_time": "14:00"})
    assert moved["success"] is True, moved


def is_refused_then_noted(deliver: Delivery, wire) -> None:
    """Cal.com refuses one wish, quoting the attendee back; for the next it is away (a 500, and
    the look-up whether it booked anyway fails too): the caller hears "noted"."""
    wire.add("POST", f"{BASE}/bookings", status=400, json=_refusal_quoting_the_attendee())
    refused = deliver.function("book_appointment", {**WISH, "datum": _day(2).isoformat(), "uhrzeit": "09:00"})
    assert refused["success"] is False, refused
    wire.add("POST", f"{BASE}/bookings", status=500, json=fixture("error_internal"))
    wire.add("GET", f"{BASE}/bookings", status=500, json=fixture("error_internal"))
    noted = deliver.function("book_appointment", {**WISH, "datum": _day(2).isoformat(), "uhrzeit": "10:00"})
    assert noted["data"]["queued"] is True, noted


def the_call_ends(deliver: Delivery, wire) -> None:
    """The worker processes call_ended and call_analyzed: it books the noted wish (looking first
    whether the 500 booked it) and texts the caller that it is booked."""
    wish = {
        "booking_confirmed": "true",
        "datum": _day(2).isoformat(),
        "uhrzeit": "10:00",
        "name": NAME,
        "email": EMAIL,
        "dienstleistung": "Beratung",
    }
    wire.add("GET", f"{BASE}/bookings", json=bookings_list())
    wire.add_callback("POST", f"{BASE}/bookings", callback=_created(2, "10:00", "bk_noted", 9103))
    wire.add_callback("POST", twilio_fakes.MESSAGES_URL, callback=twilio_fakes.accepted)
    assert deliver.webhook("call_ended", collected_dynamic_variables=wish) == 204
    analysis = {**webhook_payload("call_analyzed")["call"]["call_analysis"], "custom_analysis_data": wish}
    assert deliver.webhook("call_analyzed", collected_dynamic_variables=wish, call_analysis=analysis) == 204


def calcom_reports_the_booking(deliver: Delivery) -> None:
    """Cal.com's notice of the booking is taken; one with a wrong signature is refused."""
    created = fixture("notice_booking_created")
    created["payload"].update({"uid": "bk_noted", "bookingId": 9103})
    assert deliver.calcom_notice(created) == 204
    assert deliver.calcom_notice(created, secret="whsec_wrong") == 401


def calls_back_and_cancels(deliver: Delivery, wire) -> None:
    """Now a known caller (greeted by name), she cancels the moved appointment."""
    assert deliver.inbound()["caller_name"] == NAME
    moved = Appointment.objects.get(calcom_booking_uid="bk_moved")
    answer = as_our_caller(fixture("booking_cancelled"))
    answer["data"].update({"uid": "bk_moved", "id": 9102})
    wire.add("POST", f"{BASE}/bookings/bk_moved/cancel", json=answer)
    cancelled = deliver.function("cancel_appointment", {"appointment_ref": appointment_reference(moved)})
    assert cancelled["success"] is True, cancelled


def reconciliation_meets_a_refusal(wire) -> None:
    """The quarter-hourly reconciliation: Cal.com refuses the listing, quoting the attendee."""
    wire.add("GET", f"{BASE}/bookings", status=400, json=_refusal_quoting_the_attendee())
    assert reconcile_calendars() == 0


@pytest.mark.django_db(transaction=True)
def test_a_whole_call_logs_no_personal_data(client, practice, wire, every_log_line):
    deliver = Delivery(client, practice)

    the_phone_rings(deliver, wire)
    books_finds_and_moves(deliver, wire)
    is_refused_then_noted(deliver, wire)
    the_call_ends(deliver, wire)
    calcom_reports_the_booking(deliver)
    calls_back_and_cancels(deliver, wire)
    reconciliation_meets_a_refusal(wire)

    assert PHRASE in Call.objects.get().transcript  # the caller's words went all the way through
    assert Notification.objects.get().sent_at is not None
    assert sorted(Appointment.objects.values_list("calcom_booking_uid", "status")) == [
        ("", AppointmentStatus.FAILED),  # the wish Cal.com refused
        ("bk_first", AppointmentStatus.RESCHEDULED),
        ("bk_moved", AppointmentStatus.CANCELLED),
        ("bk_noted", AppointmentStatus.BOOKED),
    ]
    lines = every_log_line()
    leaks = [line for line in lines if any(said.lower() in line.lower() for said in NEVER)]
    assert leaks == []
    # It was logged, and through the filters: the run cannot pass by writing nothing.
    loggers = {match["logger"] for match in map(LINE.match, lines) if match}
    assert len(lines) >= 40, lines
    assert {
        "telephony.retell_auth",
        "booking.views",
        "booking.reconcile",
        "integrations.calcom",
        "integrations.twilio",
        "notifications.services",
        "django.request",
        "django-q",
    } <= loggers, loggers
    assert any(MASKED_PHONE in line for line in lines)
    assert not any(practice.webhook_key in line for line in lines)
