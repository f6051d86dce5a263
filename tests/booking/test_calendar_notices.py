"""Cal.com's booking webhooks: only signed deliveries are stored, once; a worker makes our
appointments agree with them, whatever order they arrive in.

Bodies are the fixtures notice_booking_*.json, shaped as Cal.com sends them (contract
shared/contracts/calcom-api.md §5 and Cal.com's source as the sandbox cites it:
sandbox/webhook_payloads.py); the signature is Cal.com's: hex HMAC-SHA256 of the raw body.
"""

import copy
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from booking.models import Appointment, AppointmentStatus, CalendarNotice, Customer
from booking.notices import calendar_notice_process
from booking.selectors import upcoming_appointments_for_phone
from integrations.calcom.signature import sign
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, fixture, json_body
from tests.factories import AppointmentFactory, CustomerFactory

pytestmark = pytest.mark.django_db
SECRET = "whsec_praxis_not_real"
JANA = "+4915112345678"


@pytest.fixture
def connected(company):
    company.calcom_webhook_secret = SECRET
    company.save()
    return company


@pytest.fixture
def deliver(client):
    def post(company, envelope, *, secret=SECRET, header=None, key=None):
        body = json.dumps(envelope).encode()
        signature = header if header is not None else sign(body, secret)
        return client.post(
            f"/api/calcom/webhook/{key or company.webhook_key}",
            body,
            content_type="application/json",
            HTTP_X_CAL_SIGNATURE_256=signature,
        )

    return post


def process() -> list[dict]:
    waiting = CalendarNotice.objects.filter(status="received").order_by("pk")
    return [calendar_notice_process(notice_id=pk) for pk in waiting.values_list("pk", flat=True)]


def notice(name: str, **payload) -> dict:
    """The fixture notice_<name>.json, its payload fields replaced by `payload`."""
    body = copy.deepcopy(fixture(f"notice_{name}"))
    body["payload"].update(payload)
    return body


@pytest.fixture
def booked(connected):
    """Jana's appointment, booked by us: bk_3fY7qLm2, 10:00 in Berlin on the booking day."""
    start = timeline.utc(timeline.booking_day(), "10:00")
    return AppointmentFactory(
        company=connected,
        branch=connected.branches.get(),
        customer=CustomerFactory(company=connected, phone=JANA, name="Jana Caller"),
        attendee_name="Jana Caller",
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_3fY7qLm2",
        calcom_booking_id=9001,
        event_type_id=EVENT_TYPE_ID,
    )


# -- who may post ----------------------------------------------------------------------------


def test_a_signed_notice_is_stored_once_and_answered_at_once(connected, deliver):
    body = notice("booking_created")
    assert [deliver(connected, body).status_code for _ in range(3)] == [204, 204, 204]  # duplicates
    stored = CalendarNotice.objects.get()
    assert (stored.trigger, stored.booking_uid, stored.status) == (
        "BOOKING_CREATED",
        "bk_online_1",
        "received",
    )
    assert json.loads(stored.body) == body  # the raw body, exactly as signed


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "no header", "no-secret-provided", "unknown key", "no secret here"],
)
def test_what_cannot_be_verified_is_refused_alike_and_nothing_is_stored(connected, company, deliver, forgery):
    body = notice("booking_created")
    if forgery == "no secret here":
        company.calcom_webhook_secret = None
        company.save()
    response = deliver(
        connected,
        body,
        secret="whsec_forged" if forgery == "wrong secret" else SECRET,
        header={"no header": "", "no-secret-provided": "no-secret-provided"}.get(forgery),
        key="not-a-company-key" if forgery == "unknown key" else None,
    )
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "authentication_failed",
        "message": "The request could not be verified.",
    }
    assert not CalendarNotice.objects.exists()


def test_a_body_signed_then_changed_is_refused(connected, client):
    body = json.dumps(notice("booking_created")).encode()
    signature = sign(body, SECRET)
    tampered = body.replace(b"Mara Online", b"Mara Forged")
    response = client.post(
        f"/api/calcom/webhook/{connected.webhook_key}",
        tampered,
        content_type="application/json",
        HTTP_X_CAL_SIGNATURE_256=signature,
    )
    assert response.status_code == 401 and not CalendarNotice.objects.exists()


@pytest.mark.parametrize("trigger", ["PING", "MEETING_ENDED", "FORM_SUBMITTED"])
def test_triggers_we_do_not_act_on_get_2xx_and_are_not_stored(connected, deliver, trigger):
    body = notice("booking_created")
    body["triggerEvent"] = trigger
    assert deliver(connected, body).status_code == 204
    assert not CalendarNotice.objects.exists()


def test_a_body_that_is_no_booking_webhook_is_a_clear_400(connected, deliver):
    response = deliver(connected, {"triggerEvent": "BOOKING_CREATED", "payload": ["not", "an", "object"]})
    assert response.status_code == 400 and response.json()["error"] == "validation_error"
    assert not CalendarNotice.objects.exists()


# -- what the worker makes of them -------------------------------------------------------------


def test_a_booking_made_on_cal_coms_page_becomes_an_appointment_the_caller_finds(connected, deliver):
    deliver(connected, notice("booking_created"))
    assert process()[0]["success"] is True
    made = Appointment.objects.get()
    assert (made.source, made.status, made.calcom_booking_uid) == ("calendar", "booked", "bk_online_1")
    assert made.start == timeline.utc(timeline.booking_day(), "15:00")
    assert (made.attendee_name, made.customer.phone, made.host_email) == (
        "Mara Online",
        "+4915798765432",
        "anna.weber@example.com",
    )
    assert made.customer.email == ""  # Cal.com's <digits>@sms.cal.com is no address of the caller's
    upcoming = upcoming_appointments_for_phone(company=connected, phone="+4915798765432")
    assert upcoming == [made]


def test_a_booking_of_an_event_type_no_branch_books_in_is_left_alone(connected, deliver):
    deliver(connected, notice("booking_created", eventTypeId=4711))
    assert process()[0]["message"] == "Not a booking of this company's event types; nothing to do."
    assert not Appointment.objects.exists() and not Customer.objects.exists()


def test_a_booking_cancelled_in_cal_com_is_cancelled_here(booked, deliver):
    deliver(booked.company, notice("booking_cancelled"))
    process()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_at
    assert upcoming_appointments_for_phone(company=booked.company, phone=JANA) == []


def test_a_move_in_cal_com_follows_the_new_uid(booked, deliver):
    deliver(booked.company, notice("booking_rescheduled"))
    process()
    booked.refresh_from_db()
    moved = Appointment.objects.get(calcom_booking_uid="bk_moved_2")
    assert booked.status == AppointmentStatus.RESCHEDULED and moved.rescheduled_from == booked
    assert (moved.status, moved.customer, moved.attendee_name) == ("booked", booked.customer, "Jana Caller")
    assert moved.start == timeline.utc(timeline.booking_day() + timedelta(days=1), "15:00")
    assert upcoming_appointments_for_phone(company=booked.company, phone=JANA) == [moved]


def test_a_move_the_host_must_confirm_arrives_as_requested_and_is_pending(booked, deliver):
    body = notice("booking_rescheduled", status="PENDING")
    body["triggerEvent"] = "BOOKING_REQUESTED"
    deliver(booked.company, body)
    process()
    assert Appointment.objects.get(calcom_booking_uid="bk_moved_2").status == AppointmentStatus.PENDING
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED


def test_confirmed_rejected_and_no_show(booked, deliver):
    booked.status = AppointmentStatus.PENDING
    booked.save()
    confirmed = notice("booking_created", uid="bk_3fY7qLm2", bookingId=9001)
    deliver(booked.company, confirmed)
    process()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED

    no_show = fixture("notice_booking_no_show_updated")
    deliver(booked.company, no_show)
    process()
    booked.refresh_from_db()
    assert booked.no_show is True and booked.status == AppointmentStatus.BOOKED

    rejected = notice("booking_cancelled", status="REJECTED")
    rejected["triggerEvent"], rejected["createdAt"] = "BOOKING_REJECTED", timeline.z(timeline.now())
    deliver(booked.company, rejected)
    process()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.REJECTED


def test_notices_out_of_order_end_in_the_latest_state(connected, deliver):
    """Cal.com sends in parallel: the cancellation may arrive before the booking it cancels."""
    created = notice("booking_created")
    created["createdAt"] = timeline.z(timeline.now() - timedelta(hours=3))
    cancelled = notice("booking_cancelled", uid="bk_online_1", bookingId=9101)
    deliver(connected, cancelled)
    deliver(connected, created)
    process()
    made = Appointment.objects.get()
    assert (made.calcom_booking_uid, made.status) == ("bk_online_1", AppointmentStatus.CANCELLED)


def test_a_move_arriving_before_the_booking_it_moved_leaves_that_one_moved(connected, deliver):
    old = notice("booking_created", uid="bk_3fY7qLm2", bookingId=9001)
    old["createdAt"] = timeline.z(timeline.now() - timedelta(hours=3))
    deliver(connected, notice("booking_rescheduled"))
    deliver(connected, old)
    process()
    statuses = dict(Appointment.objects.values_list("calcom_booking_uid", "status"))
    assert statuses == {"bk_3fY7qLm2": "rescheduled", "bk_moved_2": "booked"}


def test_our_own_booking_announced_before_its_answer_came_back_is_not_doubled(connected, deliver):
    """The webhook can beat the POST's answer: it carries our key, so it is our appointment."""
    from booking.models import BookingRequest

    request = BookingRequest.objects.create(
        company=connected,
        idempotency_key="k" * 64,
        source="live_call",
        payload={},
        appointment=AppointmentFactory(
            company=connected,
            branch=connected.branches.get(),
            status=AppointmentStatus.REQUESTED,
            calcom_booking_uid="",
            event_type_id=EVENT_TYPE_ID,
        ),
    )
    deliver(connected, notice("booking_created", metadata={"idempotencyKey": "k" * 64}))
    process()
    request.appointment.refresh_from_db()
    assert Appointment.objects.count() == 1
    assert (request.appointment.status, request.appointment.calcom_booking_uid) == ("booked", "bk_online_1")


def test_one_company_cannot_touch_anothers_appointment_through_its_own_url(booked, other_company, deliver):
    other_company.calcom_webhook_secret = "whsec_other"
    other_company.save()
    deliver(other_company, notice("booking_cancelled"), secret="whsec_other")  # A's booking uid
    process()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert not Appointment.objects.filter(company=other_company).exists()


def test_a_failed_notice_is_recorded_for_staff_and_can_be_replayed(booked, deliver):
    body = notice("booking_cancelled")
    body["payload"]["uid"] = ""  # a booking notice that names no booking
    deliver(booked.company, body)
    result = process()[0]
    stored = CalendarNotice.objects.get()
    assert (result["success"], stored.status) == (False, "failed")
    assert stored.last_error == "The notice names no booking."
    again = calendar_notice_process(notice_id=stored.pk, include_failed=True)
    assert again["success"] is False and CalendarNotice.objects.get().attempts == 2


# -- connecting a company ------------------------------------------------------------------------


def test_connecting_subscribes_our_url_with_a_new_secret_that_then_verifies(
    company, calcom, deliver, settings, capsys
):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    calcom.add("GET", f"{BASE}/webhooks", json={"status": "success", "data": []})
    calcom.add("POST", f"{BASE}/webhooks", json=fixture("webhook"), status=201)
    call_command("connect_calcom_webhooks", "--company", company.slug)
    sent = json_body(calcom.calls[1])
    url = f"https://askpro.example.com/api/calcom/webhook/{company.webhook_key}"
    assert sent["subscriberUrl"] == url and sent["active"] is True
    assert set(sent["triggers"]) == {
        "BOOKING_CREATED",
        "BOOKING_REQUESTED",
        "BOOKING_RESCHEDULED",
        "BOOKING_CANCELLED",
        "BOOKING_REJECTED",
        "BOOKING_NO_SHOW_UPDATED",
    }
    company.refresh_from_db()
    assert company.calcom_webhook_secret.reveal() == sent["secret"] and len(sent["secret"]) >= 32
    assert f"Cal.com webhooks created; they go to {url}." in capsys.readouterr().out
    assert deliver(company, notice("booking_created"), secret=sent["secret"]).status_code == 204


def test_connecting_again_repairs_the_subscription_there_is(company, calcom, settings):
    """After the webhook key was rotated too: the subscription at our endpoint gets the new URL."""
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    listed = fixture("webhooks_list")
    calcom.add("GET", f"{BASE}/webhooks", json=listed)
    calcom.add("PATCH", f"{BASE}/webhooks/9f3c2d1e-6b7a-4e58-8c90-1a2b3c4d5e6f", json=fixture("webhook"))
    call_command("connect_calcom_webhooks", "--company", company.slug)
    patched = json_body(calcom.calls[1])
    assert patched["subscriberUrl"] == f"https://askpro.example.com/api/calcom/webhook/{company.webhook_key}"
    assert (
        patched["active"] is True
        and patched["secret"] == company.__class__.objects.get().calcom_webhook_secret.reveal()
    )
    assert [c.request.method for c in calcom.calls] == ["GET", "PATCH"]  # the Zapier one is left alone


def test_connecting_to_a_loopback_address_says_cal_com_cannot_reach_it(company, calcom, capsys):
    calcom.add("GET", f"{BASE}/webhooks", json={"status": "success", "data": []})
    calcom.add("POST", f"{BASE}/webhooks", json=fixture("webhook"), status=201)
    call_command("connect_calcom_webhooks", "--company", company.slug, "--base-url", "http://127.0.0.1:8124")
    assert "only a Cal.com on this machine" in capsys.readouterr().err


def test_connecting_fails_clearly_when_cal_com_refuses_the_key(company, calcom):
    calcom.add("GET", f"{BASE}/webhooks", json=fixture("error_unauthorized"), status=401)
    with pytest.raises(CommandError, match="API key was refused"):
        call_command("connect_calcom_webhooks", "--company", company.slug)
    company.refresh_from_db()
    assert not company.calcom_webhook_secret  # nothing kept that Cal.com does not have
