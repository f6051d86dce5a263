"""The demo path over real HTTP: simulate_call -> our webhook endpoint -> worker -> Cal.com sandbox."""

import pytest
from django.core.management import call_command
from django_q.conf import Conf

from booking.models import Appointment, AppointmentStatus
from sandbox.server import start_sandbox
from telephony.models import Call, CallStatus, WebhookEvent
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory


@pytest.mark.django_db(transaction=True)
def test_simulated_call_is_recorded_and_booked_in_the_sandbox(live_server, monkeypatch, capsys):
    monkeypatch.setattr(Conf, "SYNC", True)  # the worker runs inline, right after the commit
    with start_sandbox(seed=11) as sandbox:
        company = CompanyFactory(slug="sim", calcom_base_url=sandbox.base_url, retell_api_key="key_sim")
        branch = BranchFactory(company=company, name="Berlin", calcom_event_type_id=1001)
        PhoneNumberFactory(company=company, branch=branch, number="+493083793369")
        day = timeline.weekday_ahead(3)
        call_command(
            "simulate_call",
            "--company",
            "sim",
            "--url",
            live_server.url,
            "--date",
            day.isoformat(),
            "--time",
            "11:00",
        )
        assert "call_analyzed: HTTP 204" in capsys.readouterr().out
        assert len(sandbox.bookings.all()) == 1
    call = Call.objects.get()
    appointment = Appointment.objects.get()
    assert call.status == CallStatus.ANALYZED and list(call.appointments.all()) == [appointment]
    assert appointment.status == AppointmentStatus.BOOKED and appointment.source == "post_call"
    assert appointment.customer.name == "Jana Caller"
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
