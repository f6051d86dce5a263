"""Sending from the outbox: Twilio's 5xx is tried again later, its 4xx fails with Twilio's reason;
the logging sender and the Twilio client never log the text, the whole number or the token."""

import logging
from datetime import timedelta

import pytest
from requests.exceptions import ConnectTimeout

from booking.models import WorkStatus
from core import clock
from notifications.models import Notification, NotificationKind
from notifications.senders import LoggingSender, TwilioSmsSender
from notifications.services import notification_send
from notifications.tasks import requeue_due_notifications
from tests.notifications import twilio_fakes

pytestmark = pytest.mark.django_db
TEXT = "Ihr Termin bei Praxis Sonnenschein am Dienstag ist bestätigt."
CALLER = "+4915112345678"


@pytest.fixture
def stored(practice):
    return Notification.objects.create(
        company=practice,
        idempotency_key="booking_request:1:booking_confirmed",
        kind=NotificationKind.BOOKING_CONFIRMED,
        recipient=CALLER,
        language="de",
        text=TEXT,
    )


def test_a_twilio_500_is_tried_again_later_then_sent(stored, wire, twilio, settings, pinned_clock):
    wire.add("POST", twilio_fakes.MESSAGES_URL, json=twilio_fakes.INTERNAL, status=500)
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.sent_at) == (WorkStatus.RETRYING, 1, None)
    assert stored.next_attempt_at == clock.now() + timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS)
    assert "Twilio 20500: Internal Server Error" in stored.last_error

    sent = []
    pinned_clock.move_to(stored.next_attempt_at + timedelta(seconds=1))
    wire.add_callback("POST", twilio_fakes.MESSAGES_URL, callback=twilio_fakes.accepted)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("askpro.inbox.enqueue", lambda func, pk, queue: sent.append((func, pk, queue)))
        assert requeue_due_notifications() == 1
    assert sent == [("notifications.tasks.send_notification", stored.pk, "notifications")]
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.provider_id) == (
        WorkStatus.SUCCEEDED,
        2,
        twilio_fakes.MESSAGE_SID,
    )


def test_a_timeout_is_tried_again(stored, wire, twilio):
    wire.add("POST", twilio_fakes.MESSAGES_URL, body=ConnectTimeout("connect timed out"))
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == WorkStatus.RETRYING


def test_a_twilio_400_fails_at_once_with_twilios_reason(stored, wire, twilio):
    wire.add("POST", twilio_fakes.MESSAGES_URL, json=twilio_fakes.INVALID_TO, status=400)
    result = notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (WorkStatus.FAILED, 1)
    assert stored.last_error == "Twilio 21211: The 'To' number +4915112345678 is not a valid phone number."
    assert result["success"] is False and result["message"] == stored.last_error


def test_a_twilio_429_waits_for_its_retry_after(stored, wire, twilio):
    limited = twilio_fakes.twilio_error(20429, "Too Many Requests", 429)
    wire.add("POST", twilio_fakes.MESSAGES_URL, json=limited, status=429, headers={"Retry-After": "30"})
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == WorkStatus.RETRYING


def test_the_last_transient_failure_gives_up(stored, wire, twilio, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    wire.add("POST", twilio_fakes.MESSAGES_URL, json=twilio_fakes.INTERNAL, status=500)
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == WorkStatus.FAILED and stored.last_error.startswith("Gave up after 1 attempts")


def test_twilio_not_configured_fails_with_what_to_set(stored, settings):
    settings.NOTIFICATION_SENDER = "notifications.senders.TwilioSmsSender"
    settings.TWILIO_AUTH_TOKEN = ""
    notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == WorkStatus.FAILED and "TWILIO_AUTH_TOKEN" in stored.last_error


def test_a_messaging_service_sends_instead_of_a_number(stored, wire, twilio, settings):
    settings.TWILIO_FROM = "MG" + "0" * 32
    wire.add_callback("POST", twilio_fakes.MESSAGES_URL, callback=twilio_fakes.accepted)
    notification_send(notification_id=stored.pk)
    form = twilio_fakes.form_of(wire.calls[0])
    assert form["MessagingServiceSid"] == settings.TWILIO_FROM and "From" not in form


def test_the_logging_sender_logs_neither_the_text_nor_the_number(stored, caplog):
    with caplog.at_level(logging.DEBUG):
        notification_send(notification_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == WorkStatus.SUCCEEDED and stored.provider_id.startswith("logged-")
    logged = caplog.text
    assert (
        "+49*********78" in logged and "booking_confirmed" in logged and f"{len(TEXT)} characters" in logged
    )
    assert CALLER not in logged and TEXT not in logged and "Sonnenschein" not in logged


def test_twilio_logs_never_carry_the_token_the_text_or_the_number(stored, wire, twilio, caplog):
    wire.add("POST", twilio_fakes.MESSAGES_URL, json=twilio_fakes.INVALID_TO, status=400)
    with caplog.at_level(logging.DEBUG):
        notification_send(notification_id=stored.pk)
    wire.add_callback("POST", twilio_fakes.MESSAGES_URL, callback=twilio_fakes.accepted)
    with caplog.at_level(logging.DEBUG):
        notification_send(notification_id=stored.pk, include_failed=True)
    logged = caplog.text
    for secret in (twilio_fakes.AUTH_TOKEN, twilio_fakes.basic_auth(), CALLER, TEXT):
        assert secret not in logged
    assert "/Accounts/{AccountSid}/Messages.json" in logged  # the path template, not the account


def test_the_token_is_never_in_repr():
    sender = TwilioSmsSender(account_sid="AC1", auth_token="very-secret-token", sender="+4930901820")
    assert "very-secret-token" not in repr(sender)


def test_the_logging_sender_answers_an_id():
    assert LoggingSender().send(CALLER, TEXT, kind="booking_failed").startswith("logged-")
