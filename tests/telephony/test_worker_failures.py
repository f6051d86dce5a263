"""The worker tells permanent failures from transient ones: a permanent one fails the row at once
with a reason staff can read; only a transient one is retried."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import DataError, OperationalError

from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus
from booking.services import BookingError, booking_create, booking_request_retry
from telephony.models import WebhookEvent, WebhookEventStatus
from tests import timeline
from tests.calcom_fakes import BASE
from tests.retell_fakes import webhook_payload
from tests.telephony.conftest import process_received

pytestmark = pytest.mark.django_db


def _wish_on(payload: dict, day) -> dict:
    for source in ("collected_dynamic_variables", "retell_llm_dynamic_variables"):
        payload["call"].get(source, {}).pop("datum", None)
    payload["call"]["call_analysis"]["custom_analysis_data"]["datum"] = day.isoformat()
    return payload


@pytest.mark.parametrize("days_ago", [1, 8, 400])
def test_a_wish_in_the_past_fails_at_once_and_asks_cal_com_nothing(clinic, deliver, calcom, days_ago):
    """It used to reach get_slots with the window's end before its start (ValueError) and be
    retried WEBHOOK_MAX_ATTEMPTS times."""
    past = timeline.today() - timedelta(days=days_ago)
    deliver(clinic, _wish_on(webhook_payload("call_analyzed"), past))
    process_received()
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 1)
    assert event.last_error == f"The requested day (start {past.isoformat()}) is in the past."
    assert not calcom.calls and not Appointment.objects.exists()


def test_data_the_database_refuses_fails_the_event_at_once_with_the_reason(clinic, deliver, calcom):
    deliver(clinic, webhook_payload("call_started"))
    with mock.patch("telephony.services.call_upsert", side_effect=DataError("value too long for type")):
        process_received()
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 1)
    assert event.last_error == "The data cannot be stored (DataError: value too long for type)."


def test_a_bug_fails_the_event_at_once_and_tells_staff_to_replay_after_the_fix(clinic, deliver):
    deliver(clinic, webhook_payload("call_started"))
    with mock.patch("telephony.services.call_upsert", side_effect=KeyError("agent_id")):
        process_received()
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEventStatus.FAILED
    assert "Unexpected error (KeyError" in event.last_error and "Replay once it is fixed" in event.last_error


def test_a_busy_or_lost_database_is_transient_and_retried(clinic, deliver):
    deliver(clinic, webhook_payload("call_started"))
    with mock.patch("telephony.services.call_upsert", side_effect=OperationalError("database is locked")):
        process_received()
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEventStatus.RETRYING, 1)
    assert event.next_attempt_at > timeline.now()
    process_received()  # nothing is due yet
    assert WebhookEvent.objects.get().attempts == 1


def _book_while_building_the_request_raises(company, error: Exception) -> BookingError:
    with mock.patch("booking.create._new_booking", side_effect=error), pytest.raises(BookingError) as refused:
        booking_create(
            company=company,
            branch=company.branches.get(),
            start=timeline.at(timeline.booking_day(), "11:00"),
            name="Jana",
            phone="+4915112345678",
        )
    return refused.value


def test_a_booking_request_that_crashes_on_our_side_fails_instead_of_retrying_for_hours(clinic, calcom):
    result = _book_while_building_the_request_raises(clinic, TypeError("bad attendee"))
    assert result.error_type == "exception"
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.FAILED and "TypeError" in request.last_error
    assert Appointment.objects.get().status == AppointmentStatus.FAILED
    assert not calcom.calls


def test_a_booking_request_whose_database_blinked_is_retried(clinic, calcom):
    result = _book_while_building_the_request_raises(clinic, OperationalError("server closed the connection"))
    assert result.error_type == "service_unavailable" and result.queued is True
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.RETRYING
    for _ in range(3):  # the retry first looks for a booking an earlier attempt may have made
        calcom.add("GET", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "x"})
    with pytest.raises(BookingError) as again:
        booking_request_retry(booking_request=request)
    assert again.value.queued is True  # Cal.com down now: still transient, still kept
    assert BookingRequest.objects.get().status == BookingRequestStatus.RETRYING
