"""Lists people can read: calls with the caller, the local start, mm:ss, the outcome and what was
booked; a call's transcript and analysis as text, not JSON; appointments on the branch clock."""

from datetime import timedelta

import pytest
from django.urls import reverse

from booking.models import AppointmentSource, AppointmentStatus
from core import clock
from tests.factories import AppointmentFactory, CallFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked_call(company_a):
    branch = company_a.branches.get()
    customer = CustomerFactory(company=company_a, name="Jana Berger", phone="+4915112345678")
    call = CallFactory(
        company=company_a,
        branch=branch,
        customer=customer,
        from_number=customer.phone,
        started_at=clock.now(),
        duration_ms=125_400,
        status="analyzed",
        transcript="Agent: Praxis Alpha, guten Tag.\nUser: Ich möchte einen Termin.",
        analysis={"call_summary": "Termin gebucht", "custom_analysis_data": {"dienstleistung": "Beratung"}},
    )
    appointment = AppointmentFactory(
        company=company_a,
        branch=branch,
        customer=customer,
        status=AppointmentStatus.BOOKED,
        source=AppointmentSource.LIVE_CALL,
        start=clock.now() + timedelta(days=2),
        metadata={"service": "Beratung"},
    )
    call.appointments.add(appointment)
    return call


def test_the_call_list_shows_caller_local_start_duration_outcome_and_booking(client, alice, booked_call):
    client.force_login(alice)
    page = client.get(reverse("admin:telephony_call_changelist")).content.decode()
    assert "Jana Berger" in page and "+4915112345678" in page
    assert "2:05" in page  # 125.4 s
    assert "badge-ok" in page and "Booked" in page
    appointment = booked_call.appointments.get()
    assert reverse("admin:booking_appointment_change", args=[appointment.pk]) in page
    assert "CET" in page or "CEST" in page


def test_a_call_reads_as_a_conversation_and_an_analysis(client, alice, booked_call):
    client.force_login(alice)
    page = client.get(reverse("admin:telephony_call_change", args=[booked_call.pk])).content.decode()
    assert '<span class="speaker">Agent</span> Praxis Alpha, guten Tag.' in page
    assert '<span class="speaker">User</span> Ich möchte einen Termin.' in page
    assert "<dt>dienstleistung</dt><dd>Beratung</dd>" in page
    assert "{&quot;call_summary" not in page and '{"call_summary' not in page


def test_the_appointment_list_shows_local_time_service_source_and_status(client, alice, booked_call):
    client.force_login(alice)
    page = client.get(reverse("admin:booking_appointment_changelist")).content.decode()
    assert "Beratung" in page and "Live call" in page
    assert '<span class="badge badge-ok">Booked</span>' in page
    assert " UTC" not in page


def test_an_appointment_is_named_on_its_branch_clock_not_in_utc(booked_call):
    appointment = booked_call.appointments.get()
    assert "UTC" not in str(appointment) and appointment.branch.name in str(appointment)


def test_a_failed_appointment_says_why_and_offers_its_free_times_readably(
    client, alice, company_a, failed_booking
):
    appointment = failed_booking(company_a).appointment
    client.force_login(alice)
    page = client.get(reverse("admin:booking_appointment_change", args=[appointment.pk])).content.decode()
    assert "The time was already taken in the calendar." in page
    assert reverse("admin:booking_appointment_book_again", args=[appointment.pk]) in page
    assert "14:00 C" in page and "14:30 C" in page  # on the branch clock, its zone named
    assert "days_from_preferred" not in page and "&quot;start&quot;" not in page
