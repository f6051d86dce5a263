"""A scripted live call through the real HTTP endpoints against the local Cal.com sandbox."""

import pytest
from django.core.management import call_command

from booking.models import Appointment
from sandbox.server import start_sandbox
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory


@pytest.mark.django_db(transaction=True)
def test_inbound_availability_book_find_reschedule_cancel(live_server, capsys):
    with start_sandbox(seed=5) as sandbox:
        company = CompanyFactory(slug="live", calcom_base_url=sandbox.base_url, retell_api_key="key_live")
        branch = BranchFactory(company=company, name="Berlin Mitte", calcom_event_type_id=1001)
        PhoneNumberFactory(company=company, branch=branch, number="+493083793369")
        call_command(
            "simulate_live_call",
            "--company",
            "live",
            "--url",
            live_server.url,
            "--date",
            timeline.weekday_ahead(3).isoformat(),
        )
        out = capsys.readouterr().out
        assert "'line_active': 'true'" in out
        assert "book_appointment: Ihr Termin am" in out and "ist gebucht." in out
        assert "reschedule_appointment: Ihr Termin ist verschoben auf" in out
        assert "cancel_appointment: Ihr Termin am" in out and "ist storniert." in out
        assert [b["status"] for b in sandbox.bookings.all()] == ["cancelled", "cancelled"]
    assert sorted(Appointment.objects.values_list("status", flat=True)) == ["cancelled", "rescheduled"]
    assert set(Appointment.objects.values_list("source", flat=True)) == {"live_call"}
