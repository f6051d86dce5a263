"""A branch offers several services, each its own Cal.com event type: the service the caller
names (in their words) chooses where availability is read and the booking is made (#13)."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from companies.models import Service
from companies.services_offered import service_named
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, slots_range
from tests.retell_fakes import as_body, function_call_payload, inbound_payload, signed_headers

pytestmark = pytest.mark.django_db
CALLER, LINE = "+4915112345678", "+493011111111"
BERATUNG, KONTROLLE, REINIGUNG = 501, 502, 503


@pytest.fixture
def offering(clinic):
    branch = clinic.branches.get()
    for name_de, name_en, synonyms, event_type in (
        ("Beratung", "Consultation", "", BERATUNG),
        ("Kontrolle", "Check-up", "Vorsorge", KONTROLLE),
        ("Zahnreinigung", "Teeth cleaning", "PZR, Prophylaxe, cleaning", REINIGUNG),
    ):
        Service.objects.create(
            branch=branch,
            name_de=name_de,
            name_en=name_en,
            synonyms=synonyms,
            calcom_event_type_id=event_type,
        )
    return branch


def _function(client, clinic, name: str, args: dict) -> dict:
    body = as_body(function_call_payload(name, args, from_number=CALLER, to_number=LINE))
    return client.post(f"/api/retell/functions/{clinic.webhook_key}", body, **signed_headers(body)).json()


def _slots() -> dict:
    day = timeline.booking_day()
    start = timeline.utc(day, "10:00")
    return slots_range({day.isoformat(): [(timeline.z(start), timeline.z(start + timedelta(minutes=30)))]})


def test_availability_is_read_in_the_named_services_event_type(client, clinic, offering, calcom):
    calcom.add("GET", f"{BASE}/slots", json=_slots())
    args = {"date": timeline.booking_day().isoformat(), "service": "eine Zahnreinigung bitte"}
    assert _function(client, clinic, "check_availability", args)["success"] is True
    query = parse_qs(urlsplit(calcom.calls[0].request.url).query)
    assert query["eventTypeId"] == [str(REINIGUNG)]


def test_a_booking_by_synonym_is_made_in_that_services_event_type(client, clinic, offering, calcom):
    start = timeline.utc(timeline.booking_day(), "10:00")

    def created(request):
        sent = json.loads(request.body)
        assert sent["eventTypeId"] == REINIGUNG
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    args = {"date": timeline.booking_day().isoformat(), "time": "10:00", "name": "Jana", "service": "PZR"}
    answer = _function(client, clinic, "book_appointment", args)
    assert answer["success"] is True, answer


def test_a_service_the_branch_does_not_offer_is_answered_with_what_it_does(client, clinic, offering, calcom):
    args = {"date": timeline.booking_day().isoformat(), "time": "10:00", "name": "Jana", "service": "Massage"}
    answer = _function(client, clinic, "book_appointment", args)
    assert answer["success"] is False and answer["data"]["fields"] == ["service"]
    offered = "Beratung, Kontrolle und Zahnreinigung"
    assert answer["message"] == f"Das bieten wir hier leider nicht an. Wir haben {offered}. Was darf es sein?"
    assert len(calcom.calls) == 0


def test_the_agent_learns_the_services_in_the_calls_language(client, clinic, offering):
    offering.language = "en"
    offering.save()
    body = as_body(inbound_payload(CALLER, LINE))
    answer = client.post(f"/api/retell/inbound/{clinic.webhook_key}", body, **signed_headers(body)).json()
    assert answer["call_inbound"]["dynamic_variables"]["services"] == "Consultation, Check-up, Teeth cleaning"


def test_a_branch_without_services_books_any_service_in_its_own_event_type(client, clinic, calcom):
    calcom.add("GET", f"{BASE}/slots", json=_slots())
    args = {"date": timeline.booking_day().isoformat(), "service": "Beratung"}
    assert _function(client, clinic, "check_availability", args)["success"] is True
    query = parse_qs(urlsplit(calcom.calls[0].request.url).query)
    assert query["eventTypeId"] == [str(clinic.branches.get().calcom_event_type_id)]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Beratung", "Beratung"),
        ("check-up", "Kontrolle"),
        ("Ich hätte gern eine Prophylaxe", "Zahnreinigung"),
        ("teeth cleaning", "Zahnreinigung"),
        ("Massage", None),
        ("", None),
    ],
)
def test_the_service_a_caller_means(offering, said, expected):
    found = service_named(offering, said)
    assert (found.name_de if found else None) == expected


def test_an_inactive_service_is_not_offered(offering):
    Service.objects.filter(name_de="Kontrolle").update(is_active=False)
    assert service_named(offering, "Kontrolle") is None


def test_the_service_named_after_the_call_books_in_its_event_type(clinic, offering, calcom, deliver):
    """The call analysis' `dienstleistung` ("Beratung" in the documented payload) chooses it too."""
    from tests.retell_fakes import webhook_payload
    from tests.telephony.conftest import process_received

    start = timeline.utc(timeline.booking_day(), "11:00")

    def created(request):
        sent = json.loads(request.body)
        assert sent["eventTypeId"] == BERATUNG
        made = booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])
        return 201, {}, json.dumps(made)

    calcom.add_callback("POST", f"{BASE}/bookings", callback=created)
    deliver(clinic, webhook_payload("call_analyzed"))
    assert process_received()[0]["appointment_created"] is True
