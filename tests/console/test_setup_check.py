"""The set-up check of a company: each thing a phone booking needs, what was found, how to fix it.
Cal.com and Retell are faked at the wire with their documented payloads."""

import copy

import pytest
from django.urls import reverse
from responses import matchers

from tests import calcom_fakes, retell_fakes
from tests.console.conftest import CALCOM

pytestmark = pytest.mark.django_db
RETELL = retell_fakes.BASE
EVENT_TYPE_ID = 50  # tests/fixtures/calcom/event_types.json: its email field is required


@pytest.fixture(autouse=True)
def _vendors(settings):
    settings.RETELL_BASE_URL = RETELL
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"


@pytest.fixture
def clinic(company_a):
    branch = company_a.branches.get()
    branch.calcom_event_type_id = EVENT_TYPE_ID
    branch.save()
    return company_a


def _event_types(*, email_required: bool) -> dict:
    listed = copy.deepcopy(calcom_fakes.fixture("event_types"))
    for field in listed["data"][0]["bookingFields"]:
        if field["slug"] == "email":
            field["required"], field["hidden"] = email_required, not email_required
    return listed


def _retell_with_one_agent(wire, company) -> None:
    number = company.phone_numbers.get()
    number.inbound_agent_ids = [retell_fakes.AGENT_ID]
    number.save()
    wire.get(f"{RETELL}/get-agent/{retell_fakes.AGENT_ID}", json=retell_fakes.fixture("agent"))
    list_numbers = f"{RETELL}/v2/list-phone-numbers"
    wire.get(
        list_numbers,
        json=retell_fakes.fixture("phone_numbers_page_1"),
        match=[matchers.query_param_matcher({"limit": "1000"})],
    )
    wire.get(
        list_numbers,
        json=retell_fakes.fixture("phone_numbers_page_2"),
        match=[matchers.query_param_matcher({"limit": "1000", "pagination_key": "+493011111112"})],
    )


def _rows(client, company) -> dict[str, tuple[str, str]]:
    """topic -> (state, the whole row's text)."""
    response = client.get(reverse("admin:setup_check", args=[company.pk]))
    assert response.status_code == 200
    return {check.topic: (check.state, f"{check.found} {check.fix}") for check in response.context["checks"]}


def test_an_event_type_that_requires_an_email_is_named_with_its_consequence_and_fix(
    client, wire, olga, clinic
):
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=True))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)

    rows = _rows(client, clinic)

    state, text = rows["Event type of Alpha Mitte"]
    assert state == "wrong"
    assert "requires an email address" in text and "only a phone number will fail" in text
    assert rows["Cal.com API key"][0] == "ok"
    assert rows["Public address (PUBLIC_BASE_URL)"][0] == "ok"


def test_a_phone_only_bookable_event_type_passes(client, wire, olga, clinic):
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=False))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    state, text = _rows(client, clinic)["Event type of Alpha Mitte"]
    assert state == "ok" and "phone number alone" in text


def test_an_unknown_event_type_and_a_refused_key_are_explained(client, wire, olga, clinic):
    branch = clinic.branches.get()
    branch.calcom_event_type_id = 999
    branch.save()
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=False))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    state, text = _rows(client, clinic)["Event type of Alpha Mitte"]
    assert state == "wrong" and "999 is not among the 1 event types" in text and "team id" in text


def test_a_refused_calcom_key_says_how_to_get_a_new_one(client, wire, olga, clinic):
    wire.get(f"{CALCOM}/event-types", json=calcom_fakes.fixture("error_unauthorized"), status=401)
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    state, text = _rows(client, clinic)["Cal.com API key"]
    assert state == "wrong" and "API keys" in text


def test_retell_agents_and_numbers_are_checked(client, wire, olga, clinic):
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=False))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    rows = _rows(client, clinic)
    agent_name = retell_fakes.fixture("agent")["agent_name"]
    state, text = rows[f"Agent {agent_name}"]
    assert state == "wrong" and "webhook_url" in text
    assert rows["Phone numbers"][0] == "warning"  # Retell lists a number we do not have yet


def test_a_loopback_public_url_is_pointed_out(client, wire, settings, olga, clinic):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=False))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    state, text = _rows(client, clinic)["Public address (PUBLIC_BASE_URL)"]
    assert state == "warning" and "not https" in text


def test_another_companys_check_is_not_found(client, bob, clinic):
    client.force_login(bob)
    assert client.get(reverse("admin:setup_check", args=[clinic.pk])).status_code == 404


def test_each_service_of_a_branch_is_checked_too(client, wire, olga, clinic):
    from companies.models import Service

    branch = clinic.branches.get()
    Service.objects.create(branch=branch, name_de="Beratung", calcom_event_type_id=EVENT_TYPE_ID)
    Service.objects.create(branch=branch, name_de="Zahnreinigung", calcom_event_type_id=999)
    wire.get(f"{CALCOM}/event-types", json=_event_types(email_required=False))
    _retell_with_one_agent(wire, clinic)
    client.force_login(olga)
    rows = _rows(client, clinic)
    assert rows["Service Beratung at Alpha Mitte"][0] == "ok"
    state, text = rows["Service Zahnreinigung at Alpha Mitte"]
    assert state == "wrong" and "999" in text
