"""Live-call functions over the real endpoint: spoken answers, idempotent retries, tenant scoping."""

import json
from datetime import timedelta, timezone

import pytest

from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus, Customer
from booking.references import appointment_reference
from integrations.breaker import breaker_for
from integrations.errors import TransientError
from telephony.models import Call
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, fixture, slots_range
from tests.factories import AppointmentFactory
from tests.retell_fakes import (
    API_KEY,
    CALL_ID,
    CALLER_NUMBER,
    as_body,
    function_call_payload,
    signed_headers,
    webhook_payload,
)
from tests.telephony.conftest import EVENT_TYPE_ID, process_received

pytestmark = pytest.mark.django_db
SUMMER = timezone(timedelta(hours=2))  # Berlin's CEST
# The caller's day is timeline.booking_day(), a Tuesday; the tests also use the two days after it.
TUESDAY, WEDNESDAY, THURSDAY = 0, 1, 2


def _day(offset: int = TUESDAY):
    return timeline.booking_day() + timedelta(days=offset)


def _spoken(offset: int = TUESDAY) -> str:
    """'Dienstag, 1. Dezember': the weekday is known, as the days are counted from a Tuesday."""
    weekday = ("Dienstag", "Mittwoch", "Donnerstag")[offset]
    return f"{weekday}, {timeline.german_date(_day(offset))}"


@pytest.fixture
def function(client, clinic):
    def call(name, args=None, *, key=API_KEY, company=None, **call_fields):
        payload = function_call_payload(name, args or {}, **call_fields)
        body = as_body(payload)
        target = company or clinic
        response = client.post(
            f"/api/retell/functions/{target.webhook_key}", body, **signed_headers(body, key)
        )
        assert response.status_code == 200, response.content
        return response.json()

    return call


def _slots_on(offset: int, *pairs):
    """Free slots on `_day(offset)`, (start, end) as Berlin wall clock, in Cal.com's format."""
    day = _day(offset)
    return {
        day.isoformat(): [
            (timeline.cal_local(timeline.at(day, s)), timeline.cal_local(timeline.at(day, e)))
            for s, e in pairs
        ]
    }


def _slots(*pairs):
    return slots_range(_slots_on(TUESDAY, *pairs))


def _echo_created(start, status="accepted"):
    def callback(request):
        sent = json.loads(request.body)
        return (
            201,
            {},
            json.dumps(
                booking_output(
                    start=start, end=start + timedelta(minutes=30), status=status, metadata=sent["metadata"]
                )
            ),
        )

    return callback


def test_availability_is_read_aloud_in_german(function, calcom):
    calcom.add(
        "GET", f"{BASE}/slots", json=_slots(("09:00", "09:30"), ("13:00", "13:30"), ("14:30", "15:00"))
    )
    result = function("check_availability", {"date": f"{_day():%d.%m.%Y}"})
    assert result["success"] is True
    assert result["message"] == f"Am {_spoken()} sind frei: 09:00 Uhr, 13:00 Uhr oder 14:30 Uhr."
    assert result["data"]["slots"][0] == {"date": _day().isoformat(), "time": "09:00"}


def test_availability_for_part_of_the_day_and_in_english(function, calcom, clinic):
    clinic.language = "en"
    clinic.save()
    calcom.add(
        "GET", f"{BASE}/slots", json=_slots(("09:00", "09:30"), ("13:00", "13:30"), ("14:30", "15:00"))
    )
    result = function("check_availability", {"date": _day().isoformat(), "part_of_day": "afternoon"})
    assert (
        result["message"] == f"On Tuesday, {timeline.english_date(_day())}, free times are: 13:00 or 14:30."
    )


def test_a_full_day_offers_the_next_free_days(function, calcom):
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))
    calcom.add(
        "GET",
        f"{BASE}/slots",
        json=slots_range(_slots_on(WEDNESDAY, ("10:00", "10:30"))),
    )
    result = function("check_availability", {"datum": _day().isoformat()})
    assert result["message"] == (
        f"Am {_spoken()} ist leider nichts frei. "
        f"Die nächsten freien Termine: {_spoken(WEDNESDAY)}, 10:00 Uhr."
    )


def test_alternatives_to_a_taken_wish(function, calcom):
    calcom.add(
        "GET",
        f"{BASE}/slots",
        json=slots_range(
            {
                **_slots_on(TUESDAY, ("11:30", "12:00"), ("14:00", "14:30")),
                **_slots_on(WEDNESDAY, ("09:00", "09:30")),
            }
        ),
    )
    result = function("find_alternatives", {"date": _day().isoformat(), "time": "11 Uhr"})
    assert result["message"] == (
        "11:00 Uhr ist leider schon vergeben. Frei wären: 11:30 Uhr, 14:00 Uhr "
        f"oder {_spoken(WEDNESDAY)}, 09:00 Uhr."
    )
    assert result["data"]["alternatives"][0] == {"date": _day().isoformat(), "time": "11:30"}


def test_booking_live_confirms_while_the_caller_is_on_the_line(function, calcom):
    start = timeline.utc(_day(), "11:00")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(start))
    args = {
        "datum": f"{_day():%d.%m.%Y}",
        "uhrzeit": "11:00",
        "name": "Jana Caller",
        "dienstleistung": "Beratung",
    }
    result = function("book_appointment", args)
    assert result["message"] == f"Ihr Termin am {_spoken()}, 11:00 Uhr ist gebucht."
    sent = json.loads(calcom.calls[0].request.body)
    assert sent["start"] == timeline.z(start) and sent["metadata"]["callId"] == CALL_ID
    assert sent["attendee"]["phoneNumber"] == CALLER_NUMBER and "email" not in sent["attendee"]
    appointment = Appointment.objects.get()
    assert appointment.source == "live_call" and appointment.status == AppointmentStatus.BOOKED
    data = result["data"]
    assert data["appointment_ref"] == appointment_reference(appointment) and len(data["appointment_ref"]) == 6
    assert "bk_" not in json.dumps(result) and str(appointment.pk) != data["appointment_ref"]


def test_a_resent_function_call_gets_the_same_answer_and_books_once(function, calcom):
    start = timeline.utc(_day(), "11:00")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(start))
    args = {"date": _day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    answers = [function("book_appointment", args) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert len(calcom.calls) == 1 and Appointment.objects.count() == 1


def test_a_taken_slot_answers_with_alternatives(function, calcom):
    calcom.add("POST", f"{BASE}/bookings", status=400, json=fixture("error_slot_taken"))
    calcom.add("GET", f"{BASE}/slots", json=_slots(("11:30", "12:00"), ("15:00", "15:30")))
    result = function("book_appointment", {"date": _day().isoformat(), "time": "11:00", "name": "Jana"})
    assert result["success"] is False and result["data"]["error"] == "slot_unavailable"
    assert result["message"] == "11:00 Uhr ist leider schon vergeben. Frei wären: 11:30 Uhr oder 15:00 Uhr."


def test_booking_on_the_monday_after_spring_forward_uses_summer_time(function, calcom, pinned_clock):
    switch = timeline.next_offset_change(timeline.now(), forward=True)
    sunday = switch.astimezone(timeline.BERLIN).date()
    monday = sunday + timedelta(days=1)
    assert sunday.weekday() == 6  # Berlin springs forward on a Sunday
    pinned_clock.move_to(timeline.at(sunday - timedelta(days=2), "09:00"))  # the Friday before, winter time
    start = timeline.at(monday, "11:00", SUMMER)
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(start))
    result = function("book_appointment", {"date": monday.isoformat(), "time": "11:00", "name": "Jana"})
    assert json.loads(calcom.calls[0].request.body)["start"] == timeline.z(start)  # CEST, +02:00
    assert (
        result["message"] == f"Ihr Termin am Montag, {timeline.german_date(monday)}, 11:00 Uhr ist gebucht."
    )


def test_breaker_open_answers_honestly_and_the_post_call_pipeline_books(function, calcom, deliver, clinic):
    breaker = breaker_for("calcom:api.cal.com")
    for _ in range(5):
        with pytest.raises(TransientError):
            breaker.call(_down)
    result = function(
        "book_appointment", {"date": _day().isoformat(), "time": "11:00", "name": "Jana Caller"}
    )
    assert result["data"]["queued"] is True and "bestätigt ihn Ihnen nach dem Gespräch" in result["message"]
    request = BookingRequest.objects.get()
    assert request.status == BookingRequestStatus.RETRYING and request.call_id == CALL_ID and not calcom.calls

    breaker.reset()  # Cal.com is back by the time the call has ended
    start = timeline.utc(_day(), "11:00")  # what the webhook fixtures' caller books
    # The breaker kept the first attempt from Cal.com: no attempt spent, nothing to look up first.
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(start))

    deliver(clinic, webhook_payload("call_analyzed"))
    outcome = process_received()[0]
    assert outcome["appointment_created"] is True
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    assert [c.request.method for c in calcom.calls] == ["POST"]


def _down():
    raise TransientError("down", service="calcom")


def _appointment(company, phone=CALLER_NUMBER, day=TUESDAY, at="11:00", uid="bk_a"):
    """A booked appointment of the caller on `_day(day)` at `at`, Berlin wall clock."""
    customer, _ = Customer.objects.get_or_create(company=company, phone=phone)
    start = timeline.utc(_day(day), at)
    return AppointmentFactory(
        company=company,
        branch=company.branches.first(),
        customer=customer,
        start=start,
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid=uid,
        event_type_id=EVENT_TYPE_ID,
    )


def test_find_my_appointments_none_one_and_several(function, clinic):
    assert (
        function("find_my_appointments")["message"]
        == "Unter Ihrer Nummer finde ich keine anstehenden Termine."
    )
    first = _appointment(clinic)
    assert function("find_my_appointments", call_id="c2")["message"] == (
        f"Sie haben einen Termin am {_spoken()}, 11:00 Uhr."
    )
    second = AppointmentFactory(
        company=clinic,
        branch=first.branch,
        customer=first.customer,
        start=timeline.utc(_day(THURSDAY), "14:00"),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid="bk_b",
    )
    result = function("find_my_appointments", call_id="c3")
    assert result["message"] == (
        f"Sie haben 2 Termine: {_spoken()}, 11:00 Uhr oder "
        f"{_spoken(THURSDAY)}, 14:00 Uhr. Welchen meinen Sie?"
    )
    assert [a["appointment_ref"] for a in result["data"]["appointments"]] == [
        appointment_reference(first),
        appointment_reference(second),
    ]


def test_with_two_appointments_the_caller_must_pick_one(function, clinic, calcom):
    first = _appointment(clinic)
    _appointment(clinic, day=THURSDAY, uid="bk_b")
    result = function("cancel_appointment", {})
    assert result["success"] is False and result["data"]["error"] == "ambiguous"
    assert len(result["data"]["appointments"]) == 2
    calcom.add("POST", f"{BASE}/bookings/bk_a/cancel", json=fixture("booking_cancelled"))
    done = function("cancel_appointment", {"appointment_ref": appointment_reference(first)}, call_id="c9")
    assert done["message"] == f"Ihr Termin am {_spoken()}, 11:00 Uhr ist storniert."
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED


def test_reschedule_moves_the_only_appointment(function, clinic, calcom):
    old = _appointment(clinic)
    new_start = timeline.utc(_day(WEDNESDAY), "14:00")
    calcom.add(
        "POST",
        f"{BASE}/bookings/bk_a/reschedule",
        status=201,
        json=booking_output(start=new_start, end=new_start + timedelta(minutes=30), uid="bk_new"),
    )
    result = function(
        "reschedule_appointment", {"new_date": _day(WEDNESDAY).isoformat(), "new_time": "14:00"}
    )
    assert result["message"] == f"Ihr Termin ist verschoben auf {_spoken(WEDNESDAY)}, 14:00 Uhr."
    old.refresh_from_db()
    assert old.status == AppointmentStatus.RESCHEDULED
    assert result["data"]["appointment_ref"] != appointment_reference(old)


def test_a_move_the_host_still_has_to_confirm_is_said_so(function, clinic, calcom):
    """The spoken answer matches what the calendar made of the move (measured on main: "moved"
    while Cal.com held it pending)."""
    old = _appointment(clinic)
    old.status = AppointmentStatus.PENDING
    old.save()
    new_start = timeline.utc(_day(WEDNESDAY), "14:00")
    moved = booking_output(
        start=new_start, end=new_start + timedelta(minutes=30), uid="bk_new", status="pending"
    )
    calcom.add("POST", f"{BASE}/bookings/bk_a/reschedule", status=201, json=moved)
    result = function(
        "reschedule_appointment", {"new_date": _day(WEDNESDAY).isoformat(), "new_time": "14:00"}
    )
    assert result["message"] == (
        f"Ihr Termin ist auf {_spoken(WEDNESDAY)}, 14:00 Uhr verschoben; die Praxis bestätigt ihn noch."
    )
    assert result["data"]["status"] == "pending"


def test_a_caller_cannot_touch_another_callers_appointment(function, clinic, calcom):
    theirs = _appointment(clinic, phone="+4917099999999")
    result = function("cancel_appointment", {"appointment_ref": appointment_reference(theirs)})
    assert result["data"]["error"] == "not_found" and not calcom.calls
    assert function("find_my_appointments", call_id="c5")["data"]["appointments"] == []


def test_another_companys_appointment_of_the_same_caller_stays_invisible(function, clinic, salon, calcom):
    _appointment(salon, uid="bk_salon")
    assert function("find_my_appointments")["data"]["appointments"] == []
    assert function("cancel_appointment", {}, call_id="c6")["data"]["error"] == "not_found"
    assert not calcom.calls


def test_unreadable_arguments_get_a_clear_answer(function, calcom):
    result = function("book_appointment", {"date": "irgendwann", "time": "11:00", "name": "Jana"})
    assert result["success"] is False and result["data"]["error"] == "validation_error"
    # German only: no English service message inside a German sentence.
    assert result["message"] == "Ich habe das Datum nicht verstanden. Können Sie es bitte noch einmal sagen?"
    assert result["data"]["fields"] == ["date"]


def test_unknown_function_and_unknown_line(function, calcom):
    assert function("order_pizza")["data"]["error"] == "unknown_function"
    result = function("check_availability", {}, to_number="+493099999999")
    assert result["message"] == "Für diese Rufnummer kann ich leider keine Termine vergeben."


def test_unsigned_or_foreign_function_calls_are_refused(client, clinic, salon):
    body = as_body(function_call_payload("find_my_appointments", {}))
    url = f"/api/retell/functions/{clinic.webhook_key}"
    assert client.post(url, body, content_type="application/json").status_code == 401
    from tests.retell_fakes import OTHER_API_KEY

    assert client.post(url, body, **signed_headers(body, OTHER_API_KEY)).status_code == 401
    # An unknown URL key is answered like a bad signature: the URL is no oracle.
    unknown = client.post("/api/retell/functions/nope", body, **signed_headers(body))
    assert unknown.status_code == 401 and unknown.json()["error"] == "authentication_failed"


def test_function_metrics_are_counted(function, client):
    function("find_my_appointments")
    text = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"}).content.decode()
    assert 'mcp_function_calls_total{function="find_my_appointments",outcome="ok"}' in text
    assert 'mcp_function_duration_seconds_count{function="find_my_appointments"}' in text


def test_read_only_answers_are_fresh_within_the_same_call(function, calcom):
    assert function("find_my_appointments")["data"]["appointments"] == []
    start = timeline.utc(_day(), "11:00")
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(start))
    function("book_appointment", {"date": _day().isoformat(), "time": "11:00", "name": "Jana Caller"})
    found = function("find_my_appointments")  # same call id, same (empty) arguments
    assert [a["time"] for a in found["data"]["appointments"]] == ["11:00"]


def test_a_resent_cancel_gets_the_first_answer_not_already_cancelled(function, clinic, calcom):
    _appointment(clinic)
    calcom.add("POST", f"{BASE}/bookings/bk_a/cancel", json=fixture("booking_cancelled"))
    first = function("cancel_appointment", {"reason": "krank"})
    again = function("cancel_appointment", {"reason": "krank"})  # Retell re-sent it
    assert first == again and first["success"] is True and len(calcom.calls) == 1


@pytest.mark.django_db(transaction=True)  # counted as they run: no test transaction around
def test_a_live_booking_runs_at_most_20_sql_statements(
    function, calcom, clinic, deliver, django_assert_max_num_queries
):
    """A booking as calls go, counted as it runs (no test transaction around it: each
    transaction's BEGIN and COMMIT count). The call is recorded and has asked for free slots
    first. The company is read once and the branch not at all (it came with the dialed number's
    cached owner, companies.phone_lookup); the rate limit counts where it lives in the database
    (the embedded defaults), and so do the one statement that keeps the call on record
    (telephony.calls.live_call_ensure), the look at whether Cal.com asked this key to wait
    (integrations/holds.py), the branch's services, whose cached days the booking also forgets
    (they share hosts), the booking's audit entry (#14), one INSERT in the booking's own
    transaction, and the link to the call, one INSERT of its own."""
    deliver(clinic, webhook_payload("call_started"))
    process_received()
    calcom.add("GET", f"{BASE}/slots", json=_slots(("11:00", "11:30")))
    function("check_availability", {"date": _day().isoformat()})
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_echo_created(timeline.utc(_day(), "11:00")))
    with django_assert_max_num_queries(20) as captured:
        result = function("book_appointment", {"date": _day().isoformat(), "time": "11:00", "name": "Jana"})
    assert result["success"] is True
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "companies_company"' in sql for sql in statements) == 1
    assert sum('FROM "companies_branch"' in sql for sql in statements) == 0
    assert list(Call.objects.get().appointments.all()) == [Appointment.objects.get()]
