"""The inbound-call webhook: string variables in milliseconds, and never a dropped call."""

import pytest

from booking.models import AppointmentStatus, Customer
from tests import timeline
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
        start=timeline.utc(timeline.booking_day(), "11:00"),
        status=AppointmentStatus.BOOKED,
    )
    today = timeline.today()  # Berlin's calendar day, which near midnight is not UTC's
    variables = _variables(inbound())
    assert variables == {
        "company_name": "Alpha Praxis",
        "branch_name": "Alpha Mitte",
        "branch_timezone": "Europe/Berlin",
        "language": "de",
        "today": today.isoformat(),
        "today_spoken": f"{timeline.german_weekday(today)}, {timeline.german_date(today)}",
        "weekday": timeline.german_weekday(today),
        "line_active": "true",
        "email_required": "",  # the event types are not cached yet; Cal.com is not asked here
        "services": "",  # the branch books everything in its one event type
        "caller_known": "true",
        "caller_name": "Jana Caller",
        "next_appointment": f"Dienstag, {timeline.german_date(timeline.booking_day())}, 11:00 Uhr",
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


def test_a_ringing_call_queues_the_prefetch_of_its_branchs_free_times(inbound, clinic, monkeypatch):
    queued = []
    monkeypatch.setattr("telephony.inbound.enqueue", lambda *args, **kwargs: queued.append((args, kwargs)))
    _variables(inbound())
    branch = clinic.branches.get()
    assert queued == [(("booking.tasks.prefetch_availability", clinic.pk, branch.pk), {"queue": "bookings"})]


def test_a_queue_that_cannot_take_the_prefetch_costs_the_caller_nothing(inbound, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("telephony.inbound.enqueue", broken)
    assert _variables(inbound())["line_active"] == "true"
