"""A caller who heard "noted" learns how it ended: the worker's later success or final failure is
texted once, through the outbox, in the branch's language (#13 item 7)."""

from datetime import timedelta

import pytest

from booking.models import BookingRequestStatus
from booking.services import booking_request_retry
from notifications.models import Notification, NotificationKind
from notifications.services import booking_outcome_notify, notification_send
from tests import timeline
from tests.calcom_fakes import BASE, booking_output
from tests.notifications import twilio_fakes
from tests.notifications.flows import (
    CALLER,
    book_live,
    cal_com_books_on_retry,
    cal_com_fails_on_retry,
    noted_in_the_call,
    wish_start,
    worker_retries,
)

pytestmark = pytest.mark.django_db
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
THROTTLED = {"status": "error", "error": {"code": "ThrottlerException", "message": "Too Many Requests"}}


def _twilio_accepts(wire):
    wire.add_callback("POST", twilio_fakes.MESSAGES_URL, callback=twilio_fakes.accepted)


def _texts(wire) -> list:
    return [call for call in wire.calls if call.request.url == twilio_fakes.MESSAGES_URL]


def _german_when() -> str:
    day = timeline.booking_day()
    return f"{timeline.german_weekday(day)}, {timeline.german_date(day)}, 10:00 Uhr"


def test_a_noted_live_booking_booked_later_is_texted_once_in_german(
    practice, wire, twilio, worker, pinned_clock
):
    noted_in_the_call(practice, wire)
    cal_com_books_on_retry(wire)
    _twilio_accepts(wire)

    request = worker_retries(pinned_clock, worker)

    assert request.status == BookingRequestStatus.SUCCEEDED
    [text] = _texts(wire)
    assert twilio_fakes.form_of(text) == {
        "To": CALLER,
        "From": twilio_fakes.FROM,
        "Body": f"Ihr Termin bei Praxis Sonnenschein am {_german_when()} ist bestätigt.",
    }
    assert text.request.headers["Authorization"] == twilio_fakes.basic_auth()
    assert text.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    notification = Notification.objects.get()
    assert (notification.kind, notification.status, notification.language) == (
        NotificationKind.BOOKING_CONFIRMED,
        BookingRequestStatus.SUCCEEDED,
        "de",
    )
    assert notification.provider_id == twilio_fakes.MESSAGE_SID
    assert notification.sent_at is not None and notification.booking_request == request


def test_a_replayed_success_sends_nothing_again(practice, wire, twilio, worker, pinned_clock):
    noted_in_the_call(practice, wire)
    cal_com_books_on_retry(wire)
    _twilio_accepts(wire)
    request = worker_retries(pinned_clock, worker)
    notification = Notification.objects.get()

    with worker():
        replayed = booking_request_retry(booking_request=request)  # finished: replayed, not run
        again = booking_outcome_notify(booking_request=request)  # the same outcome told twice
        resent = notification_send(notification_id=notification.pk)  # a sent one is done

    assert replayed.replayed and again is None and resent["success"] is True
    assert len(_texts(wire)) == 1 and Notification.objects.count() == 1


def test_a_final_failure_texts_the_failure(practice, wire, twilio, worker, pinned_clock, settings):
    settings.BOOKING_MAX_ATTEMPTS = 2
    noted_in_the_call(practice, wire)
    cal_com_fails_on_retry(wire)
    _twilio_accepts(wire)

    request = worker_retries(pinned_clock, worker)

    assert request.status == BookingRequestStatus.FAILED
    [text] = _texts(wire)
    assert twilio_fakes.form_of(text)["Body"] == (
        f"Ihr Terminwunsch bei Praxis Sonnenschein für {_german_when()} konnte leider nicht gebucht "
        "werden. Wir melden uns bei Ihnen."
    )
    assert Notification.objects.get().kind == NotificationKind.BOOKING_FAILED


def test_an_english_branch_is_texted_in_english(practice, wire, twilio, worker, pinned_clock):
    practice.branches.update(language="en")
    noted_in_the_call(practice, wire)
    cal_com_books_on_retry(wire)
    _twilio_accepts(wire)

    worker_retries(pinned_clock, worker)

    day = timeline.booking_day()
    when = f"{WEEKDAYS[day.weekday()]}, {timeline.english_date(day)}, 10:00"
    [text] = _texts(wire)
    assert (
        twilio_fakes.form_of(text)["Body"]
        == f"Your appointment at Praxis Sonnenschein on {when} is confirmed."
    )


def test_a_booking_the_host_must_still_confirm_is_texted_as_requested(
    practice, wire, twilio, worker, pinned_clock
):
    noted_in_the_call(practice, wire)
    wire.add("GET", f"{BASE}/bookings", json={"status": "success", "data": [], "pagination": {}})
    pending = booking_output(start=wish_start(), end=wish_start() + timedelta(minutes=30), status="pending")
    wire.add("POST", f"{BASE}/bookings", json=pending, status=201)
    _twilio_accepts(wire)

    worker_retries(pinned_clock, worker)

    [text] = _texts(wire)
    assert "ist angefragt; die Praxis bestätigt ihn noch" in twilio_fakes.form_of(text)["Body"]
    assert Notification.objects.get().kind == NotificationKind.BOOKING_PENDING


def test_a_try_that_never_reached_cal_com_still_counts_as_noted(practice, wire, twilio, worker, pinned_clock):
    """A throttled try gives its attempt back, so the attempts cannot say "noted"; the mark can."""
    wire.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
    assert book_live(practice).queued
    wire.add(
        "POST",
        f"{BASE}/bookings",
        json=booking_output(start=wish_start(), end=wish_start() + timedelta(minutes=30)),
        status=201,
    )
    _twilio_accepts(wire)

    request = worker_retries(pinned_clock, worker)

    assert request.attempts == 1 and len(_texts(wire)) == 1


def test_a_booking_made_in_the_call_sends_nothing(practice, wire, twilio, worker):
    made = booking_output(start=wish_start(), end=wish_start() + timedelta(minutes=30))
    wire.add("POST", f"{BASE}/bookings", json=made, status=201)
    with worker():
        book_live(practice)
    assert not Notification.objects.exists()


def test_a_noted_wish_the_caller_books_again_in_the_call_is_said_there_not_texted(
    practice, wire, twilio, worker, pinned_clock
):
    noted_in_the_call(practice, wire)
    cal_com_books_on_retry(wire)
    pinned_clock.shift(timedelta(minutes=5))
    with worker():
        booked = book_live(practice)  # the same wish again: the caller hears "booked"
    assert booked.appointment.calcom_booking_uid
    assert not Notification.objects.exists()


def test_a_wish_kept_after_the_call_is_not_texted(practice, wire, twilio, worker, pinned_clock):
    """Post-call wishes were never said to be noted: staff follow them up."""
    noted_in_the_call(practice, wire, source="post_call")
    cal_com_books_on_retry(wire)
    worker_retries(pinned_clock, worker)
    assert not Notification.objects.exists()


def test_a_caller_without_a_phone_number_is_not_texted(practice, wire, twilio, worker, pinned_clock):
    noted_in_the_call(practice, wire, phone=None, email="jana@example.org")
    cal_com_books_on_retry(wire)
    request = worker_retries(pinned_clock, worker)
    assert request.status == BookingRequestStatus.SUCCEEDED
    assert not Notification.objects.exists()
