"""Post-call processing books every wish a call confirmed, each exactly once."""

import json
from datetime import datetime, timedelta

import pytest

from booking.models import Appointment, AppointmentStatus, BookingRequest
from telephony.models import Call, WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, fixture, slots_range
from tests.retell_fakes import webhook_payload
from tests.telephony.conftest import process_received

pytestmark = pytest.mark.django_db


def _echo_created(request):
    """Cal.com books whatever start it was sent (a new uid each time)."""
    sent = json.loads(request.body)
    start = datetime.fromisoformat(sent["start"].replace("Z", "+00:00"))
    uid = f"bk_{start:%d%H%M}"
    output = booking_output(
        start=start, end=start + timedelta(minutes=30), uid=uid, metadata=sent["metadata"]
    )
    return 201, {}, json.dumps(output)


def _analyzed_with(**extra_variables) -> dict:
    payload = webhook_payload("call_analyzed")
    payload["call"]["call_analysis"]["custom_analysis_data"].update(extra_variables)
    return payload


def _second_wish(day_offset=1, hhmm="15:00", **more) -> dict:
    day = timeline.booking_day() + timedelta(days=day_offset)
    return {"booking_confirmed_2": "ja", "datum_2": f"{day:%d.%m.%Y}", "uhrzeit_2": hhmm, **more}


def _starts() -> list:
    return sorted(Appointment.objects.values_list("start", flat=True))


def test_two_confirmed_wishes_become_two_appointments_of_the_call(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, _analyzed_with(**_second_wish()))
    result = process_received()[0]
    day = timeline.booking_day()
    assert _starts() == [timeline.utc(day, "11:00"), timeline.utc(day + timedelta(days=1), "15:00")]
    assert result["appointment_created"] is True
    assert Call.objects.get().appointments.count() == 2
    names = {json.loads(c.request.body)["attendee"]["name"] for c in calcom.calls}
    assert names == {"Jana Caller"}  # the second wish is the same caller's


def test_a_replayed_event_and_the_other_event_book_nothing_twice(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    ended = webhook_payload("call_ended")
    ended["call"]["collected_dynamic_variables"].update(_second_wish())
    deliver(clinic, ended)
    deliver(clinic, _analyzed_with(**_second_wish()))
    process_received()
    for event in WebhookEvent.objects.all():
        webhook_event_process(event_id=event.pk, include_failed=True)  # staff replay both
    assert len(calcom.calls) == 2 and Appointment.objects.count() == 2
    assert BookingRequest.objects.count() == 2


def test_the_same_wish_listed_twice_is_booked_once(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, _analyzed_with(**_second_wish(day_offset=0, hhmm="11:00")))
    process_received()
    assert len(calcom.calls) == 1 and Appointment.objects.count() == 1


def test_one_taken_wish_does_not_stop_the_other(clinic, deliver, calcom):
    day = timeline.booking_day()
    taken = timeline.utc(day + timedelta(days=1), "15:00")

    def create(request):
        if json.loads(request.body)["start"].startswith(timeline.z(taken)[:16]):
            return 400, {}, json.dumps(fixture("error_slot_taken"))
        return _echo_created(request)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=create)
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    deliver(clinic, _analyzed_with(**_second_wish()))
    process_received()
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED and "already has booking" in event.last_error
    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert booked.start == timeline.utc(day, "11:00")


def test_an_unreadable_second_wish_is_reported_and_the_first_still_booked(clinic, deliver, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created)
    deliver(clinic, _analyzed_with(booking_confirmed_2="ja", datum_2="irgendwann", uhrzeit_2="10:00"))
    process_received()
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED and "irgendwann" in event.last_error
    assert Appointment.objects.get().start == timeline.utc(timeline.booking_day(), "11:00")
