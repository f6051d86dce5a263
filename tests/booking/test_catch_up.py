"""Catching up after Cal.com throttled or was away: a write that never reached Cal.com spends no
attempt, is never given up for it, waits for the Retry-After, and is not looked up before it is
sent (there is nothing to find). One that may have arrived is looked up first, as ever (#13)."""

import json
from datetime import timedelta

import pytest

from booking.models import BookingRequest, BookingRequestStatus
from booking.services import BookingError, booking_create, booking_request_retry
from core import clock
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture

pytestmark = pytest.mark.django_db
THROTTLED = {"status": "error", "error": {"code": "ThrottlerException", "message": "Too Many Requests"}}


def _start():
    return timeline.utc(timeline.booking_day(), "10:00")


def _book(company):
    with pytest.raises(BookingError) as refused:
        booking_create(
            company=company,
            branch=company.branches.get(),
            start=f"{timeline.booking_day().isoformat()}T10:00:00",
            name="Jana Caller",
            phone="0151 12345678",
            source="post_call",
            call_id="call_catch_up",
        )
    return refused.value


def _created(request):
    sent = json.loads(request.body)
    made = booking_output(start=_start(), end=_start() + timedelta(minutes=30), metadata=sent["metadata"])
    return 201, {}, json.dumps(made)


def test_a_throttled_booking_spends_no_attempt_and_waits_for_the_retry_after(company, calcom):
    calcom.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "20"})
    refused = _book(company)
    request = BookingRequest.objects.get()
    assert refused.queued is True and request.status == BookingRequestStatus.RETRYING
    assert request.attempts == 0
    assert request.next_attempt_at >= clock.now() + timedelta(seconds=20)


def test_throttled_more_often_than_the_attempts_allow_is_never_failed(
    company, calcom, settings, pinned_clock
):
    calcom.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
    _book(company)
    request = BookingRequest.objects.get()
    for _ in range(settings.BOOKING_MAX_ATTEMPTS + 2):
        pinned_clock.shift(timedelta(seconds=6))  # the hold has passed; Cal.com throttles again
        calcom.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
        with pytest.raises(BookingError):
            booking_request_retry(booking_request=request)
        request.refresh_from_db()
        assert request.status == BookingRequestStatus.RETRYING
    assert request.attempts == 0


def test_once_cal_com_lets_us_the_booking_is_sent_without_a_lookup_first(company, calcom, pinned_clock):
    calcom.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
    _book(company)
    pinned_clock.shift(timedelta(seconds=6))
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created)

    booked = booking_request_retry(booking_request=BookingRequest.objects.get())

    assert booked.appointment.calcom_booking_uid
    assert [c.request.method for c in calcom.calls] == ["POST", "POST"]  # no GET: nothing to find


def test_a_lookup_throttled_after_an_ambiguous_post_still_counts_as_maybe_sent(company, calcom, pinned_clock):
    calcom.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
    calcom.add("GET", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
    _book(company)
    request = BookingRequest.objects.get()
    assert request.attempts == 1  # the 500 may have booked it: this attempt counts

    pinned_clock.shift(timedelta(seconds=6))
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created)
    booking_request_retry(booking_request=request)

    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "GET", "POST"]  # looked up first


def test_a_refusal_after_an_ambiguous_post_still_counts_as_maybe_sent(company, calcom, pinned_clock):
    """POST 500 (it may have booked), lookup: nothing yet, POST again: 429. The 429 sent nothing,
    but the first POST may have arrived: the retry must look it up before it posts (#13)."""
    calcom.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add("POST", f"{BASE}/bookings", json=THROTTLED, status=429, headers={"Retry-After": "5"})
    _book(company)
    request = BookingRequest.objects.get()
    assert request.attempts == 1

    pinned_clock.shift(timedelta(seconds=6))
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created)
    booking_request_retry(booking_request=request)

    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "POST", "GET", "POST"]
