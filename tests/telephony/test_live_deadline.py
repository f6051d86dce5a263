"""Never leave the caller hanging: with Cal.com not answering, every live function answers
within its deadline (here shortened to half a second), saying what is true (#13)."""

import time

import pytest

from booking.models import BookingRequest, BookingRequestStatus
from tests import timeline
from tests.processes import hanging_tcp_server
from tests.retell_fakes import API_KEY, as_body, function_call_payload, signed_headers

pytestmark = pytest.mark.django_db
DEADLINE = 0.5


@pytest.fixture
def hanging_clinic(clinic, monkeypatch):
    monkeypatch.setattr("telephony.functions.answer_deadline_seconds", lambda name: DEADLINE)
    with hanging_tcp_server() as base:
        clinic.calcom_base_url = f"{base}/v2"
        clinic.save(update_fields=["calcom_base_url"])
        yield clinic


def _timed(client, company, name, args) -> tuple[dict, float]:
    body = as_body(function_call_payload(name, args))
    started = time.monotonic()
    response = client.post(
        f"/api/retell/functions/{company.webhook_key}", body, **signed_headers(body, API_KEY)
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    return response.json(), elapsed


@pytest.mark.parametrize("name", ["check_availability", "find_alternatives"])
def test_a_question_for_free_times_is_answered_in_time_when_cal_com_hangs(client, hanging_clinic, name):
    args = {"date": timeline.booking_day().isoformat(), "time": "10:00"}
    answer, elapsed = _timed(client, hanging_clinic, name, args)
    assert elapsed < DEADLINE + 1.0, elapsed
    assert answer["success"] is False and answer["message"]  # something to say, not silence


def test_a_booking_is_answered_in_time_and_kept_when_cal_com_hangs(client, hanging_clinic):
    args = {"date": timeline.booking_day().isoformat(), "time": "10:00", "name": "Jana Caller"}
    answer, elapsed = _timed(client, hanging_clinic, "book_appointment", args)
    assert elapsed < DEADLINE + 1.0, elapsed
    assert answer["success"] is False and answer["message"]
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.RETRYING  # the wish is kept and tried again


def test_a_key_cal_com_asked_to_wait_is_answered_at_once_without_asking_again(client, clinic):
    """Another process drew a 429 with Retry-After: 20 for this key; a caller asking now hears an
    answer at once, and Cal.com is not asked (its limit is not spent further)."""
    import responses

    from integrations.holds import hold_key, vendor_hold

    vendor_hold(hold_key("calcom", clinic.calcom_api_key.reveal()), 20)
    with responses.RequestsMock() as wire:
        answer, elapsed = _timed(
            client, clinic, "check_availability", {"date": timeline.booking_day().isoformat()}
        )
    assert answer["success"] is False and answer["message"]
    assert len(wire.calls) == 0 and elapsed < 2.0
