"""Retell's other shapes of a live call: dashboard web calls (no numbers) and custom functions
configured with `args_at_root` (the arguments alone in the body)."""

import json
from datetime import timedelta

import pytest

from tests import timeline
from tests.calcom_fakes import BASE, booking_output, slots_range
from tests.factories import BranchFactory, PhoneNumberFactory
from tests.retell_fakes import AGENT_ID, API_KEY, OMIT, as_body, function_call_payload, signed_headers

pytestmark = pytest.mark.django_db
WEB_CALL = {"call_type": "web_call", "from_number": OMIT, "to_number": OMIT, "direction": OMIT}
OTHER_AGENT = "agent_0000000000000000000000other"


def _post(client, company, body: bytes, query: str = "") -> dict:
    url = f"/api/retell/functions/{company.webhook_key}{query}"
    response = client.post(url, body, **signed_headers(body, API_KEY))
    assert response.status_code == 200, response.content
    return response.json()


def _web_call(client, company, name="check_availability", args=None, **call) -> dict:
    payload = function_call_payload(name, args or {"date": timeline.booking_day().isoformat()}, **WEB_CALL)
    payload["call"].update(call)
    return _post(client, company, as_body(payload))


def _free_at_eleven(calcom) -> None:
    day = timeline.booking_day()
    start, end = (timeline.cal_local(timeline.at(day, hhmm)) for hhmm in ("11:00", "11:30"))
    calcom.add("GET", f"{BASE}/slots", json=slots_range({day.isoformat(): [(start, end)]}))


def test_a_web_call_books_in_the_branch_whose_number_routes_to_its_agent(client, clinic, calcom):
    second = BranchFactory(company=clinic, name="Alpha Süd", calcom_event_type_id=51)
    PhoneNumberFactory(company=clinic, branch=second, inbound_agent_ids=[OTHER_AGENT, AGENT_ID])
    _free_at_eleven(calcom)
    result = _web_call(client, clinic)
    assert result["success"] is True and "11:00 Uhr" in result["message"]
    assert "eventTypeId=51" in calcom.calls[0].request.url


def test_a_web_call_of_a_company_with_one_bookable_branch_books_there(client, clinic, calcom):
    BranchFactory(company=clinic, name="Alpha Archiv", calcom_event_type_id=None)  # cannot book
    _free_at_eleven(calcom)
    result = _web_call(client, clinic, agent_id="agent_not_on_any_number")
    assert result["success"] is True
    assert "eventTypeId=50" in calcom.calls[0].request.url


def test_an_ambiguous_web_call_is_told_we_cannot_book_here(client, clinic, calcom):
    BranchFactory(company=clinic, name="Alpha Süd", calcom_event_type_id=51)
    result = _web_call(client, clinic, agent_id="agent_not_on_any_number")
    assert result["success"] is False and result["data"]["error"] == "configuration_error"
    assert result["message"] == "Für diese Rufnummer kann ich leider keine Termine vergeben."
    assert not calcom.calls


def test_an_agent_routed_to_two_branches_is_ambiguous_too(client, clinic, calcom):
    second = BranchFactory(company=clinic, name="Alpha Süd", calcom_event_type_id=51)
    PhoneNumberFactory(company=clinic, branch=second, inbound_agent_ids=[AGENT_ID])
    first = clinic.branches.get(name="Alpha Mitte")
    PhoneNumberFactory(company=clinic, branch=first, inbound_agent_ids=[AGENT_ID])
    assert _web_call(client, clinic)["data"]["error"] == "configuration_error"


def test_a_phone_call_to_an_unknown_number_is_never_guessed(client, clinic, calcom):
    payload = function_call_payload("check_availability", {}, to_number="+493099999999")
    assert _post(client, clinic, as_body(payload))["data"]["error"] == "configuration_error"


def test_args_at_root_books_with_the_function_named_in_the_url(client, clinic, calcom):
    day = timeline.booking_day()
    start, end = timeline.utc(day, "11:00"), timeline.utc(day, "11:30")
    calcom.add("POST", f"{BASE}/bookings", status=201, json=booking_output(start=start, end=end))
    # Retell sends only the arguments; `name` among them is the caller's name.
    args = {"date": day.isoformat(), "time": "11:00", "name": "Jana Caller", "email": "j@example.com"}
    body = as_body(args)
    result = _post(client, clinic, body, "?function=book_appointment")
    assert result["success"] is True and "ist gebucht" in result["message"]
    sent = json.loads(calcom.calls[0].request.body)
    assert sent["attendee"]["name"] == "Jana Caller"


def test_args_at_root_with_a_call_object_reads_the_call(client, clinic, calcom):
    _free_at_eleven(calcom)
    payload = function_call_payload("check_availability", {})
    body = as_body({"date": timeline.booking_day().isoformat(), "call": payload["call"]})
    result = _post(client, clinic, body, "?function=check_availability")
    assert result["success"] is True and "11:00 Uhr" in result["message"]


def test_the_default_shape_wins_over_the_url(client, clinic, calcom):
    _free_at_eleven(calcom)
    payload = function_call_payload("check_availability", {"date": timeline.booking_day().isoformat()})
    result = _post(client, clinic, as_body(payload), "?function=cancel_appointment")
    assert result["success"] is True and "11:00 Uhr" in result["message"]


def test_args_at_root_without_a_function_in_the_url_is_refused_as_before(client, clinic, calcom):
    body = as_body({"date": timeline.booking_day().isoformat()})
    url = f"/api/retell/functions/{clinic.webhook_key}"
    assert client.post(url, body, **signed_headers(body, API_KEY)).status_code == 400


def test_a_web_calls_confirmed_wish_is_booked_after_the_call_in_its_agents_branch(clinic, calcom, deliver):
    """Post-call processing resolves a web call's branch the same way as its live functions."""
    from booking.models import Appointment, AppointmentStatus
    from tests.retell_fakes import webhook_payload
    from tests.telephony.conftest import process_received

    second = BranchFactory(company=clinic, name="Alpha Süd", calcom_event_type_id=51)
    PhoneNumberFactory(company=clinic, branch=second, inbound_agent_ids=[AGENT_ID])
    clinic.phone_numbers.exclude(branch=second).update(inbound_agent_ids=[OTHER_AGENT])
    start = timeline.utc(timeline.booking_day(), "11:00")

    def created(request):
        sent = json.loads(request.body)
        assert sent["eventTypeId"] == 51
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    deliver(clinic, webhook_payload("call_analyzed", **WEB_CALL, agent_id=AGENT_ID))
    process_received()
    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert booked.branch == second
