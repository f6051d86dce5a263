"""booking_create: exactly once per request, never a blind re-POST, nothing lost."""

import json
import threading
from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.db import connection

from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus
from booking.services import BookingError, booking_create, booking_request_retry
from integrations.breaker import breaker_for
from integrations.errors import TransientError
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture, json_body, slots_range

pytestmark = pytest.mark.django_db


def _start():
    """The booked start: 10:00 in Berlin on the booking day, in UTC."""
    return timeline.utc(timeline.booking_day(), "10:00")


def _end():
    return _start() + timedelta(minutes=30)


def _wall_clock(hhmm: str) -> str:
    """The booking day at `hhmm`, naive, as a caller's wish arrives ('…T10:00:00')."""
    return f"{timeline.booking_day().isoformat()}T{hhmm}:00"


def _book(company, **overrides):
    args = {
        "company": company,
        "branch": company.branches.get(),
        "start": _wall_clock("10:00"),
        "name": "Jana Caller",
        "email": "jana.caller@example.com",
        "phone": "0151 12345678",
        "timezone": "Europe/Berlin",
        "call_id": "call_8d1e0f",
        "source": "live_call",
    }
    return booking_create(**{**args, **overrides})


def _refused(company, **overrides) -> BookingError:
    with pytest.raises(BookingError) as refused:
        _book(company, **overrides)
    return refused.value


def _echo_booking(status="accepted", uid="bk_3fY7qLm2"):
    """A POST /v2/bookings callback answering 201 with the metadata it was sent (like Cal.com)."""

    def callback(request):
        sent = json.loads(request.body)
        made = booking_output(start=_start(), end=_end(), status=status, uid=uid, metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    return callback


def test_wall_clock_start_is_sent_in_utc_and_the_appointment_recorded(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = _book(company)
    body = json_body(calcom.calls[0])
    assert body["start"] == timeline.z(_start())
    assert body["eventTypeId"] == EVENT_TYPE_ID
    assert body["attendee"] == {
        "name": "Jana Caller",
        "timeZone": "Europe/Berlin",
        "language": "de",
        "email": "jana.caller@example.com",
        "phoneNumber": "+4915112345678",
    }
    assert body["metadata"]["callId"] == "call_8d1e0f" and body["metadata"]["source"] == "live_call"
    assert all(isinstance(v, str) for v in body["metadata"].values())
    appointment = Appointment.objects.get(pk=result.appointment.pk)
    assert appointment.status == AppointmentStatus.BOOKED
    assert (appointment.calcom_booking_uid, appointment.start, appointment.end) == (
        "bk_3fY7qLm2",
        _start(),
        _end(),
    )
    assert appointment.customer.phone == "+4915112345678"
    assert result.as_envelope()["booking"] == {
        "id": 9001,
        "uid": "bk_3fY7qLm2",
        "start": _start().isoformat(),
        "end": _end().isoformat(),
        "status": "booked",
        "event_type_id": EVENT_TYPE_ID,
    }


def test_event_type_requiring_confirmation_gives_a_pending_appointment(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking(status="pending"))
    result = _book(company)
    assert result.pending and result.appointment.status == "pending"
    assert "confirm" in result.message
    assert Appointment.objects.get().status == AppointmentStatus.PENDING


def test_the_same_request_twice_books_once_and_replays_the_first_result(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    first = _book(company)
    second = _book(company)  # Retell re-sent the function call
    assert len(calcom.calls) == 1
    assert second.replayed is True and second.as_envelope()["idempotent_replay"] is True
    assert second.as_envelope()["booking"] == first.as_envelope()["booking"]
    assert Appointment.objects.count() == 1 and BookingRequest.objects.count() == 1


def test_an_explicit_idempotency_key_wins_over_the_call_id(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    _book(company, idempotency_key="k-1", call_id="call_a")
    replay = _book(company, idempotency_key="k-1", call_id="call_b")
    assert replay.replayed is True and len(calcom.calls) == 1


@pytest.mark.parametrize("change", [{"start": "11:00"}, {"name": "Someone Else"}])
def test_a_key_given_again_for_another_booking_is_refused_and_books_nothing(company, calcom, change):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    _book(company, idempotency_key="k-1")
    if "start" in change:  # made here, at the pinned moment, not when the tests are collected
        change = {"start": _wall_clock(change["start"])}
    refused = _refused(company, idempotency_key="k-1", **change)
    assert refused.error_type == "validation_error" and refused.fields == ("idempotency_key",)
    assert len(calcom.calls) == 1 and Appointment.objects.count() == 1


def test_ambiguous_timeout_finds_the_booking_cal_com_made_and_does_not_post_again(company, calcom):
    """Cal.com created the booking but our read timed out (contract §3): look it up, no 2nd POST."""
    sent = {}

    def created_then_lost(request):
        sent.update(json.loads(request.body))
        raise requests.exceptions.ReadTimeout("read timed out")

    def listing(request):
        made = booking_output(start=_start(), end=_end(), metadata=sent["metadata"])["data"]
        return 200, {}, json.dumps(bookings_list(made))

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created_then_lost)
    calcom.add_callback("GET", f"{BASE}/bookings", callback=listing)
    result = _book(company)
    assert result.appointment.calcom_booking_uid == "bk_3fY7qLm2"
    posts = [c for c in calcom.calls if c.request.method == "POST"]
    assert len(posts) == 1
    listing_call = next(c for c in calcom.calls if c.request.method == "GET")
    assert f"eventTypeId={EVENT_TYPE_ID}" in listing_call.request.url
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_ambiguous_failure_with_nothing_created_posts_exactly_once_more(company, calcom):
    calcom.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = _book(company)
    assert result.appointment.status == AppointmentStatus.BOOKED
    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "POST"]


def test_a_passing_failure_is_posted_up_to_three_times_each_resend_after_a_lookup(company, calcom):
    """As the old system did: three POSTs, never two bookings (#13)."""
    for _ in range(2):
        calcom.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
        calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = _book(company)
    assert result.appointment.status == AppointmentStatus.BOOKED
    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "POST", "GET", "POST"]


def test_three_failed_posts_keep_the_wish_and_say_it_may_have_arrived(company, calcom):
    for _ in range(3):
        calcom.add("POST", f"{BASE}/bookings", json=fixture("error_internal"), status=500)
        calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    refused = _refused(company)
    assert refused.error_type == "service_unavailable" and refused.queued is True
    assert [c.request.method for c in calcom.calls].count("POST") == 3


def test_inside_a_deadline_no_post_is_sent_once_the_time_is_up(company, calcom):
    """A live call's booking stops trying when its answer is due (integrations/deadline.py)."""
    from integrations.deadline import deadline_within

    with deadline_within(0.0):
        refused = _refused(company)
    assert refused.queued is True and len(calcom.calls) == 0


def test_slot_taken_is_a_permanent_failure_recorded_for_staff_with_what_is_free_instead(company, calcom):
    calcom.add("POST", f"{BASE}/bookings", json=fixture("error_slot_taken"), status=400)
    free = [(timeline.cal_local(timeline.at(timeline.booking_day(), t)), "") for t in ("10:30", "14:00")]
    calcom.add("GET", f"{BASE}/slots", json=slots_range({timeline.booking_day().isoformat(): free}))
    result = _refused(company)
    assert result.error_type == "slot_unavailable"
    assert [a.hhmm for a in result.alternatives] == ["10:30", "14:00"]
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.FAILED
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.FAILED
    assert "already has booking" in appointment.failure_reason
    assert [a["time"] for a in appointment.alternatives] == ["10:30", "14:00"]  # for staff to offer
    replayed = _refused(company)  # replayed, no second POST
    assert replayed.error_type == "slot_unavailable" and [a.hhmm for a in replayed.alternatives] == [
        "10:30",
        "14:00",
    ]
    assert [c.request.method for c in calcom.calls] == ["POST", "GET"]


def test_cal_com_down_then_back_ends_with_exactly_one_booking(company, calcom, _no_retry_sleep):
    calcom.add("POST", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "down"})
    # The ambiguous 503 is looked up at once (3 tries, Cal.com still down).
    for _ in range(3):
        calcom.add("GET", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "down"})
    first = _refused(company)
    assert first.error_type == "service_unavailable"
    assert first.queued is True
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.RETRYING and request.next_attempt_at is not None
    assert Appointment.objects.get().status == AppointmentStatus.REQUESTED
    assert _no_retry_sleep == [pytest.approx(1, abs=0.3), pytest.approx(2, abs=0.6)]

    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())  # back up: nothing was created
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = booking_request_retry(booking_request=request)
    assert result.appointment.status == AppointmentStatus.BOOKED
    assert [c.request.method for c in calcom.calls].count("POST") == 2
    request.refresh_from_db()
    assert request.status == BookingRequestStatus.SUCCEEDED and request.attempts == 2
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_open_breaker_fails_fast_and_keeps_the_request_for_later(company, calcom):
    breaker = breaker_for("calcom:api.cal.com")
    for _ in range(5):
        with pytest.raises(TransientError):
            breaker.call(_raise_transient)
    result = _refused(company)
    assert (result.error_type, result.breaker_open) == ("service_unavailable", True)
    assert result.retry_after == 60  # BREAKER_OPEN_SECONDS: when a probe may pass again
    assert not calcom.calls
    assert BookingRequest.objects.get().status == BookingRequestStatus.RETRYING


def _raise_transient():
    raise TransientError("boom", service="calcom")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "", "phone": ""}, "email address or a phone"),
        ({"phone": "12"}, "phone"),
        ({"start": "next tuesday"}, "ISO"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"end": "09:00"}, "after start"),  # the booking day at 09:00, before the 10:00 start
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(company, calcom, overrides, fragment):
    if "end" in overrides:
        overrides = {"end": _wall_clock(overrides["end"])}
    result = _refused(company, **overrides)
    assert result.error_type == "validation_error"
    assert fragment in result.message
    assert not BookingRequest.objects.exists() and not Appointment.objects.exists()


def test_a_company_cannot_book_into_another_companys_branch(company, other_company, calcom):
    result = _refused(company, branch=other_company.branches.get())
    assert result.error_type == "configuration_error"
    assert not calcom.calls and not Appointment.objects.exists()


def test_metadata_values_become_strings_within_cal_com_limits(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    metadata = {
        "count": 3,
        "flag": True,
        "nothing": None,
        "nested": {"a": 1},
        "x" * 60: "long key",
        "long": "v" * 900,
        **{f"k{i}": i for i in range(60)},
    }
    _book(company, metadata=metadata)
    sent = json_body(calcom.calls[0])["metadata"]
    assert len(sent) <= 50
    assert all(isinstance(v, str) and len(v) <= 500 for v in sent.values())
    assert all(len(k) <= 40 for k in sent)
    assert sent["count"] == "3" and sent["flag"] == "true" and sent["nothing"] == ""
    assert sent["nested"] == "{'a': 1}" and sent["x" * 40] == "long key"
    assert {"idempotencyKey", "callId", "source", "company"} <= set(sent)


def test_after_24_hours_the_same_request_books_again(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    _book(company)
    BookingRequest.objects.update(created_at=timeline.now() - timedelta(hours=25))
    Appointment.objects.update(calcom_booking_uid="bk_old")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = _book(company)
    assert "idempotent_replay" not in result.as_envelope() and not result.replayed
    assert BookingRequest.objects.count() == 2


def test_a_duplicate_waits_for_the_first_result_while_it_is_processing(company, calcom):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    first = _book(company)
    BookingRequest.objects.update(status=BookingRequestStatus.PROCESSING)
    with mock.patch("booking.calendar_work.AWAIT_SECONDS", 0.2), pytest.raises(BookingError) as pending:
        booking_create(
            company=company,
            branch=company.branches.get(),
            start=_wall_clock("10:00"),
            name="Jana Caller",
            phone="015112345678",
            email="jana.caller@example.com",
            call_id="call_8d1e0f",
            source="live_call",
        )
    assert pending.value.error_type == "service_unavailable" and pending.value.in_progress is True
    assert len(calcom.calls) == 1 and first.appointment.status == AppointmentStatus.BOOKED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_requests_make_one_cal_com_post(company, calcom):
    """On PostgreSQL and on the embedded SQLite (WAL, IMMEDIATE): no 'database is locked'."""
    arrived = threading.Event()

    def slow_create(request):
        arrived.set()
        threading.Event().wait(0.5)  # the duplicate arrives while Cal.com is still answering
        return _echo_booking()(request)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=slow_create)
    results = []

    def book():
        try:
            results.append(_book(company))
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len([c for c in calcom.calls if c.request.method == "POST"]) == 1
    assert len(results) == 2
    assert results[0].as_envelope()["booking"] == results[1].as_envelope()["booking"]
    assert Appointment.objects.count() == 1


def test_after_an_ambiguous_create_a_cancelled_booking_with_our_key_is_not_ours(company, calcom):
    """Measured on main: the lookup accepted a cancelled booking and answered "Booking confirmed"."""
    sent = {}

    def lost(request):
        sent.update(json.loads(request.body))
        raise requests.exceptions.ReadTimeout("read timed out")

    def listing(request):
        cancelled = booking_output(start=_start(), end=_end(), status="cancelled", metadata=sent["metadata"])
        return 200, {}, json.dumps(bookings_list(cancelled["data"]))

    calcom.add_callback("POST", f"{BASE}/bookings", callback=lost)
    calcom.add_callback("GET", f"{BASE}/bookings", callback=listing)
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    result = _book(company)
    assert [c.request.method for c in calcom.calls] == ["POST", "GET", "POST"]  # booked anew
    assert result.appointment.status == AppointmentStatus.BOOKED


def test_each_appointment_keeps_the_name_it_was_booked_under(company, calcom):
    """People share phones: a later caller from the same number renames the customer only."""
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking())
    first = _book(company, name="Jana Caller")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_booking(uid="bk_second"))
    second = _book(company, name="Jonas Caller", start=_wall_clock("11:00"), call_id="call_other")
    first.appointment.refresh_from_db()
    assert (first.appointment.attendee_name, second.appointment.attendee_name) == (
        "Jana Caller",
        "Jonas Caller",
    )
    assert first.appointment.customer == second.appointment.customer
    assert first.appointment.customer.name == "Jonas Caller"
