"""simulate_call and simulate_live_call, as the README has people run them: in any order, any
number of times, against one server and one calendar (the in-process Cal.com sandbox).

The simulated caller (one number for both commands) keeps at most one appointment: the live call
moves and cancels only the one it booked itself, and simulate_call first cancels what earlier
simulated calls left. Without a --base-url the commands find the server at PUBLIC_BASE_URL, as
under `make run PORT=...`."""

import pytest
from django.core.management import call_command
from django_q.conf import Conf

from booking.models import Appointment, AppointmentStatus
from sandbox.server import start_sandbox
from telephony.simulation import CALLER
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory

ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
ORDERS = {
    "call first": ["simulate_call", "simulate_call", "simulate_live_call", "simulate_live_call"],
    "live call first": ["simulate_live_call", "simulate_live_call", "simulate_call", "simulate_call"],
    "alternating": ["simulate_call", "simulate_live_call", "simulate_call", "simulate_live_call"],
}


@pytest.fixture
def demo_server(live_server, monkeypatch, settings):
    """A company booking in a fresh sandbox, served by `live_server`, found at PUBLIC_BASE_URL;
    the worker runs inline, right after each webhook is stored."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PUBLIC_BASE_URL = live_server.url
    with start_sandbox(seed=7) as sandbox:
        company = CompanyFactory(slug="sim", calcom_base_url=sandbox.base_url, retell_api_key="key_sim")
        branch = BranchFactory(company=company, name="Berlin Mitte", calcom_event_type_id=1001)
        PhoneNumberFactory(company=company, branch=branch, number="+493083793369")
        yield sandbox


def _run(command: str, capsys) -> str:
    call_command(command, "--company", "sim", "--date", timeline.weekday_ahead(3).isoformat())
    return capsys.readouterr().out


def _callers_active_appointments() -> list[Appointment]:
    return list(Appointment.objects.filter(customer__phone=CALLER, status__in=ACTIVE))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
def test_any_order_any_number_of_times_leaves_one_appointment(demo_server, capsys, order):
    for command in order:
        out = _run(command, capsys)
        if command == "simulate_call":
            assert "call_analyzed: HTTP 204" in out and ": booked, " in out
        else:
            assert "cancel_appointment: Ihr Termin am" in out and "ist storniert." in out

    [left] = _callers_active_appointments()
    assert left.source == "post_call" and left.start == timeline.at(timeline.weekday_ahead(3), "11:00")
    assert [b["status"] for b in demo_server.bookings.all()].count("accepted") == 1


@pytest.mark.django_db(transaction=True)
def test_the_live_call_names_its_own_appointment_when_the_caller_has_another(demo_server, capsys):
    _run("simulate_call", capsys)

    out = _run("simulate_live_call", capsys)

    assert "find_my_appointments: Sie haben 2 Termine" in out  # the agent would have to ask
    assert "Live call scripted: 5 function calls answered." in out
    assert len(_callers_active_appointments()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_simulated_call_cancels_the_first_and_books_the_same_time(demo_server, capsys):
    first = _run("simulate_call", capsys)
    second = _run("simulate_call", capsys)

    [earlier, latest] = Appointment.objects.order_by("pk")
    assert f"Appointment #{earlier.pk}: booked" in first
    assert f"Cancelled appointment #{earlier.pk} of an earlier simulated call." in second
    assert f"Appointment #{latest.pk}: booked" in second
    assert earlier.status == AppointmentStatus.CANCELLED and latest.start == earlier.start


@pytest.mark.django_db(transaction=True)
def test_simulate_call_says_so_when_no_worker_processed_the_call(live_server, capsys):
    company = CompanyFactory(slug="idle", retell_api_key="key_idle")
    PhoneNumberFactory(company=company, branch=BranchFactory(company=company))

    call_command("simulate_call", "--company", "idle", "--base-url", live_server.url, "--wait", "0.3")

    out = capsys.readouterr().out
    assert "call_analyzed: HTTP 204" in out
    assert "Not processed within 0.3 s: is the worker (manage.py qcluster) running?" in out
