"""Cal.com's default event type requires an email, and almost every caller gives only a number.
We know it from the event type's booking fields (cached): the agent is told before the call is
answered, and a booking without an email asks for one instead of failing with a generic sorry."""

import copy
import json
from datetime import timedelta

import pytest

from booking.event_types import event_types_list
from booking.models import BookingRequest
from tests import calcom_fakes, timeline
from tests.calcom_fakes import BASE, booking_output
from tests.retell_fakes import as_body, function_call_payload, inbound_payload, signed_headers

pytestmark = pytest.mark.django_db
CALLER, LINE = "+4915112345678", "+493011111111"


def _event_types(*, email_required: bool) -> dict:
    listed = copy.deepcopy(calcom_fakes.fixture("event_types"))
    for field in listed["data"][0]["bookingFields"]:
        if field["slug"] == "email":
            field["required"], field["hidden"] = email_required, not email_required
    return listed


def _cache_event_types(clinic, calcom, *, email_required: bool) -> None:
    """What the set-up check or any earlier look at the event types leaves in the cache."""
    calcom.add("GET", f"{BASE}/event-types", json=_event_types(email_required=email_required))
    event_types_list(company=clinic)


def _inbound(client, clinic) -> dict:
    body = as_body(inbound_payload(CALLER, LINE))
    response = client.post(f"/api/retell/inbound/{clinic.webhook_key}", body, **signed_headers(body))
    return response.json()["call_inbound"]["dynamic_variables"]


def _book(client, clinic, **extra) -> dict:
    args = {"date": timeline.booking_day().isoformat(), "time": "10:00", "name": "Jana Caller", **extra}
    body = as_body(function_call_payload("book_appointment", args, from_number=CALLER, to_number=LINE))
    return client.post(f"/api/retell/functions/{clinic.webhook_key}", body, **signed_headers(body)).json()


def test_the_agent_learns_before_the_call_that_an_email_is_needed(client, clinic, calcom):
    _cache_event_types(clinic, calcom, email_required=True)
    assert _inbound(client, clinic)["email_required"] == "true"


def test_a_phone_only_bookable_event_type_needs_no_email(client, clinic, calcom):
    _cache_event_types(clinic, calcom, email_required=False)
    assert _inbound(client, clinic)["email_required"] == "false"


def test_a_booking_without_email_asks_for_one_and_sends_nothing(client, clinic, calcom):
    _cache_event_types(clinic, calcom, email_required=True)
    calls_before = len(calcom.calls)
    answer = _book(client, clinic)
    assert answer["success"] is False and answer["data"]["email_required"] is True
    assert answer["message"] == "Für diesen Termin brauche ich noch Ihre E-Mail-Adresse. Wie lautet sie?"
    assert len(calcom.calls) == calls_before and not BookingRequest.objects.exists()


def test_with_the_email_the_booking_goes_through(client, clinic, calcom):
    _cache_event_types(clinic, calcom, email_required=True)
    start = timeline.utc(timeline.booking_day(), "10:00")

    def created(request):
        sent = json.loads(request.body)
        assert sent["attendee"]["email"] == "jana@example.com"
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    assert _book(client, clinic, email="jana@example.com")["success"] is True


def test_when_cal_com_refuses_for_the_missing_email_the_caller_is_asked_for_it(client, clinic, calcom):
    """Not cached yet: the booking is tried; Cal.com's refusal becomes the question for an email."""
    refusal = {
        "status": "error",
        "error": {"code": "BadRequestException", "message": "responses - {email}error_required_field"},
    }
    calcom.add("POST", f"{BASE}/bookings", json=refusal, status=400)
    answer = _book(client, clinic)
    assert answer["success"] is False
    assert answer["message"].startswith("Für diesen Termin brauche ich noch Ihre E-Mail-Adresse")


def test_the_email_question_follows_the_chosen_services_event_type(client, clinic, calcom):
    """The branch's own event type wants an email; the service the caller chose does not."""
    from companies.models import Service

    listed = _event_types(email_required=True)
    phone_only = copy.deepcopy(listed["data"][0])
    phone_only["id"] = 60
    for field in phone_only["bookingFields"]:
        if field["slug"] == "email":
            field["required"], field["hidden"] = False, True
    listed["data"].append(phone_only)
    calcom.add("GET", f"{BASE}/event-types", json=listed)
    event_types_list(company=clinic)
    Service.objects.create(branch=clinic.branches.get(), name_de="Kontrolle", calcom_event_type_id=60)
    start = timeline.utc(timeline.booking_day(), "10:00")

    def created(request):
        sent = json.loads(request.body)
        assert sent["eventTypeId"] == 60 and "email" not in sent["attendee"]
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    assert _book(client, clinic, service="Kontrolle")["success"] is True
    assert _book(client, clinic)["data"]["email_required"] is True  # the branch's own needs one
