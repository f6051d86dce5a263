"""A failed booking as callers leave them: Cal.com refused the wished time, offered others."""

from datetime import timedelta

import pytest
import responses

from booking.models import AppointmentSource, BookingRequest
from booking.services import BookingError, booking_create
from tests import calcom_fakes, timeline

CALCOM = calcom_fakes.BASE


def offered_times() -> list[str]:
    return ["14:00", "14:30"]


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def failed_booking(wire):
    """make(company, call_id=..., name=..., phone=...) -> the FAILED BookingRequest of a post-call
    booking whose 10:00 was taken, with the afternoon's free times as alternatives."""

    def make(company, *, call_id="call_failed_1", name="Jana Berger", phone="+4915112345678"):
        day = timeline.booking_day()
        free = [
            (timeline.z(timeline.utc(day, hhmm)), timeline.z(timeline.utc(day, hhmm) + timedelta(minutes=30)))
            for hhmm in offered_times()
        ]
        wire.post(f"{CALCOM}/bookings", json=calcom_fakes.fixture("error_slot_taken"), status=400)
        wire.get(f"{CALCOM}/slots", json=calcom_fakes.slots_range({day.isoformat(): free}))
        with pytest.raises(BookingError):
            booking_create(
                company=company,
                branch=company.branches.get(),
                start=timeline.at(day, "10:00"),
                name=name,
                phone=phone,
                source=AppointmentSource.POST_CALL,
                call_id=call_id,
            )
        wire.reset()
        return BookingRequest.objects.get(company=company, call_id=call_id)

    return make
