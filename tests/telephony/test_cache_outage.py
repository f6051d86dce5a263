"""Redis down costs nothing: webhooks are stored, calls answered, wishes recorded, and all of it
catches up when Redis is back.

The cache is pointed at a Redis nobody listens on, through the production settings' options, so
every cache read, write, rate-limit count and (with the Redis broker) enqueue really fails to
connect.
"""

import logging
from datetime import timedelta

import pytest

from booking.models import BookingRequest, BookingRequestStatus, Customer
from telephony.models import Call, WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process, webhook_events_due
from tests import timeline
from tests.calcom_fakes import BASE, booking_output
from tests.factories import AppointmentFactory
from tests.retell_fakes import (
    CALLER_NUMBER,
    CLINIC_NUMBER,
    as_body,
    function_call_payload,
    inbound_payload,
    signed_headers,
    webhook_payload,
)

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {**settings.CACHES["default"].get("OPTIONS", {}), "IGNORE_EXCEPTIONS": True},
        }
    }
    settings.CACHES["default"]["OPTIONS"].pop("CLIENT_CLASS", None)
    settings.CACHES["default"]["OPTIONS"].update({"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2})
    from django.core.cache import cache

    assert cache.set("probe", "1") is not True and cache.get("probe") is None  # really down


def _cal_com_books(calcom, start) -> None:
    created = booking_output(start=start, end=start + timedelta(minutes=30))
    calcom.add("POST", f"{BASE}/bookings", status=201, json=created)


@pytest.fixture
def signed_post(client, clinic):
    def post(path: str, payload: dict):
        body = as_body(payload)
        return client.post(f"/api/retell/{path}/{clinic.webhook_key}", body, **signed_headers(body))

    return post


def test_webhooks_are_stored_and_acknowledged(redis_down, signed_post):
    codes = [signed_post("webhook", webhook_payload(e)).status_code for e in ("call_started", "call_ended")]
    assert codes == [204, 204]
    assert WebhookEvent.objects.filter(status=WebhookEventStatus.RECEIVED).count() == 2


def test_rate_limits_fail_open_and_say_so(redis_down, signed_post, settings, caplog):
    settings.RETELL_RATE_LIMIT = 1
    with caplog.at_level(logging.WARNING, logger="integrations.ratelimit"):
        codes = [
            signed_post("webhook", webhook_payload("call_started", call_id=f"c{i}")).status_code
            for i in range(3)
        ]
    assert codes == [204, 204, 204]  # no store to count in: nobody is refused
    assert any("rate limit store unavailable" in r.getMessage() for r in caplog.records)


def test_the_inbound_call_is_answered_from_the_database(redis_down, signed_post, clinic):
    Customer.objects.create(company=clinic, phone=CALLER_NUMBER, name="Jana Caller")
    response = signed_post("inbound", inbound_payload(CALLER_NUMBER, CLINIC_NUMBER))
    variables = response.json()["call_inbound"]["dynamic_variables"]
    assert (variables["line_active"], variables["caller_name"]) == ("true", "Jana Caller")


def test_live_functions_still_answer_and_book(redis_down, signed_post, clinic, calcom):
    AppointmentFactory(
        company=clinic,
        branch=clinic.branches.get(),
        customer=Customer.objects.create(company=clinic, phone=CALLER_NUMBER),
        start=timeline.utc(timeline.booking_day(), "09:00"),
        status="booked",
    )
    found = signed_post("functions", function_call_payload("find_my_appointments", {})).json()
    assert found["success"] is True and len(found["data"]["appointments"]) == 1

    start = timeline.utc(timeline.booking_day(), "11:00")
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start, end=start + timedelta(minutes=30)),
    )
    args = {"date": timeline.booking_day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    booked = signed_post("functions", function_call_payload("book_appointment", args)).json()
    assert booked["success"] is True and booked["message"].startswith("Ihr Termin am")
    assert BookingRequest.objects.get().status == BookingRequestStatus.SUCCEEDED


def test_with_cal_com_down_too_the_wish_is_recorded_and_the_caller_told(redis_down, signed_post, calcom):
    calcom.add("POST", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "unavailable"})
    calcom.add("GET", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "unavailable"})
    args = {"date": timeline.booking_day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    answer = signed_post("functions", function_call_payload("book_appointment", args)).json()
    assert answer["data"]["queued"] is True and "notiert" in answer["message"]
    assert BookingRequest.objects.get().status == BookingRequestStatus.RETRYING


def _broker_down(*args, **kwargs):
    raise ConnectionError("Redis is down")


def test_healthz_says_degraded(redis_down, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["degraded"] == ["cache"]


def test_everything_catches_up_when_redis_returns(
    redis_down, signed_post, settings, pinned_clock, calcom, monkeypatch, django_capture_on_commit_callbacks
):
    # The task queue lives in Redis in production: it is down too, whatever this pass's broker.
    monkeypatch.setattr("askpro.inbox.enqueue", _broker_down)
    start = timeline.utc(timeline.booking_day(), "11:00")  # what the caller confirmed
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start, end=start + timedelta(minutes=30)),
    )
    with django_capture_on_commit_callbacks(execute=True):  # enqueued after the commit, as served
        for event in ("call_started", "call_ended"):
            assert signed_post("webhook", webhook_payload(event)).status_code == 204
    # Redis is back (the settings fixture restores the cache at teardown; here by hand):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    pinned_clock.shift(timedelta(minutes=2))  # the sweeper's minute has passed
    due = webhook_events_due()
    assert len(due) == 2  # stored events nobody could enqueue are found again
    results = [webhook_event_process(event_id=pk) for pk in due]
    assert all(r["success"] for r in results)
    assert Call.objects.get().status == "ended" and Call.objects.get().appointments.count() == 1
