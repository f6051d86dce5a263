"""A live caller's wish that Cal.com could not take in the call, and the worker's later try."""

import json
from datetime import timedelta

from booking.models import BookingRequest
from booking.services import BookingError, booking_create
from booking.tasks import retry_due_booking_requests
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture

CALLER = "+4915112345678"


def wish_start():
    return timeline.utc(timeline.booking_day(), "10:00")


def book_live(company, *, source: str = "live_call", phone: str | None = "0151 12345678", email=None):
    """booking_create as the live function calls it; the BookingError when it did not book."""
    try:
        return booking_create(
            company=company,
            branch=company.branches.get(),
            start=f"{timeline.booking_day().isoformat()}T10:00:00",
            name="Jana Anruferin",
            phone=phone,
            email=email,
            source=source,
            call_id="call_noted",
        )
    except BookingError as exc:
        return exc


def noted_in_the_call(company, wire, **kwargs) -> BookingError:
    """Cal.com answers 500: the caller hears "noted"."""
    wire.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
    refused = book_live(company, **kwargs)
    assert isinstance(refused, BookingError) and refused.queued
    return refused


def created(request):
    sent = json.loads(request.body)
    made = booking_output(
        start=wish_start(), end=wish_start() + timedelta(minutes=30), metadata=sent["metadata"]
    )
    return 201, {}, json.dumps(made)


def cal_com_books_on_retry(wire) -> None:
    wire.add("GET", f"{BASE}/bookings", json=bookings_list())  # the 500 may have booked it: look first
    wire.add_callback("POST", f"{BASE}/bookings", callback=created)


def cal_com_fails_on_retry(wire) -> None:
    wire.add("GET", f"{BASE}/bookings", json=bookings_list())
    wire.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)


def worker_retries(pinned_clock, worker) -> BookingRequest:
    """The every-minute sweeper, once the backoff has passed; its tasks run at once."""
    request = BookingRequest.objects.get()
    pinned_clock.move_to(request.next_attempt_at + timedelta(seconds=1))
    with worker():
        retry_due_booking_requests()
    request.refresh_from_db()
    return request
