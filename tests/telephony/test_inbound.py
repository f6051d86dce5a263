"""The inbound-call webhook: string variables in milliseconds, and never a dropped call."""

from datetime import UTC, datetime

import pytest

from booking.models import AppointmentStatus, Customer
from tests.factories import AppointmentFactory, PhoneNumberFactory
from tests.retell_fakes import (
    CALLER_NUMBER,
    CLINIC_NUMBER,
    OTHER_API_KEY,
    as_body,
    inbound_payload,
    signed_headers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    monkeypatch.setattr("booking.clock.now", lambda: datetime(2026, 11, 30, 8, 0, tzinfo=UTC))


@pytest.fixture
def inbound(client, clinic):
    def post(from_number=CALLER_NUMBER, to_number=CLINIC_NUMBER, *, key=None, company=None):
        body = as_body(inbound_payload(from_number, to_number))
        target = company or clinic
        headers = signed_headers(body, key) if key else signed_headers(body)
        return client.post(f"/api/retell/inbound/{target.webhook_key}", body, **headers)

    return post


def _variables(response) -> dict:
    assert response.status_code == 200
    variables = response.json()["call_inbound"]["dynamic_variables"]
    assert all(isinstance(v, str) for v in variables.values())
    return variables


def test_a_known_caller_gets_name_and_next_appointment(inbound, clinic):
    customer = Customer.objects.create(company=clinic, phone=CALLER_NUMBER, name="Jana Caller")
    AppointmentFactory(
        company=clinic,
        branch=clinic.branches.get(),
        customer=customer,
        start=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        status=AppointmentStatus.BOOKED,
    )
    variables = _variables(inbound())
    assert variables == {
        "company_name": "Alpha Praxis",
        "branch_name": "Alpha Mitte",
        "branch_timezone": "Europe/Berlin",
        "language": "de",
        "today": "2026-11-30",
        "today_spoken": "Montag, 30. November",
        "weekday": "Montag",
        "line_active": "true",
        "caller_known": "true",
        "caller_name": "Jana Caller",
        "next_appointment": "Dienstag, 1. Dezember, 11:00 Uhr",
    }


def test_an_unknown_caller_is_not_known(inbound):
    variables = _variables(inbound(from_number="+4917011112222"))
    assert (variables["caller_known"], variables["caller_name"], variables["next_appointment"]) == (
        "false",
        "",
        "",
    )


def test_an_anonymous_caller_still_gets_an_answer(inbound):
    assert _variables(inbound(from_number="anonymous"))["caller_known"] == "false"


def test_a_number_we_do_not_know_still_gets_a_valid_answer(inbound):
    variables = _variables(inbound(to_number="+493099999999"))
    assert variables["line_active"] == "false" and variables["company_name"] == "Alpha Praxis"


def test_an_inactive_number_still_gets_a_valid_answer(inbound, clinic):
    PhoneNumberFactory(company=clinic, branch=None, number="+493033333333", is_active=False)
    variables = _variables(inbound(to_number="+493033333333"))
    assert variables["line_active"] == "false" and variables["branch_name"] == ""


def test_another_companys_caller_data_never_leaks(inbound, clinic, salon):
    Customer.objects.create(company=salon, phone=CALLER_NUMBER, name="Known At Salon")
    assert _variables(inbound())["caller_known"] == "false"


def test_inbound_requires_the_companys_signature(inbound, client, clinic):
    assert inbound(key=OTHER_API_KEY).status_code == 401
    body = as_body(inbound_payload(CALLER_NUMBER, CLINIC_NUMBER))
    assert (
        client.post(
            f"/api/retell/inbound/{clinic.webhook_key}", body, content_type="application/json"
        ).status_code
        == 401
    )
