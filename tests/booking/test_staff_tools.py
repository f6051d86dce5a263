"""Commands, admin actions and the retry task that staff and operators use."""

from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus
from booking.services import BookingError, booking_create, event_types_list
from booking.tasks import retry_due_booking_requests
from integrations.breaker import breaker_for
from integrations.errors import TransientError
from integrations.models import CircuitBreakerState
from tests import timeline
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture, json_body, slots_range
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
EVENT_TYPES_API_VERSION = "2024-06-14"  # a cal-api-version value, not a calendar date


def start() -> datetime:
    """The slot the failed booking asked for: 10:00 in Berlin on the fixtures' booking day."""
    return timeline.at(timeline.booking_day(), "10:00")


def past() -> datetime:
    """Long before the pinned now: a retry that is overdue."""
    return timeline.now() - timedelta(days=365)


def _failed_booking(company, calcom):
    calcom.add("POST", f"{BASE}/bookings", json=fixture("error_slot_taken"), status=400)
    calcom.add("GET", f"{BASE}/slots", json=slots_range({}))  # the alternatives looked for: none
    with pytest.raises(BookingError):
        booking_create(
            company=company, branch=company.branches.get(), start=start(), name="Jana", email="j@example.com"
        )
    return BookingRequest.objects.get()


def test_event_types_command_lists_personal_and_team_types(company, branch, calcom, capsys):
    branch.calcom_team_id = 7
    branch.save()
    calcom.add("GET", f"{BASE}/event-types", json=fixture("event_types"))
    calcom.add("GET", f"{BASE}/teams/7/event-types", json=fixture("team_event_types"))
    call_command("calcom_event_types", "--company", company.slug)
    out = capsys.readouterr().out
    assert "Beratung (30 Min)" in out and "Erstgespräch" in out and "2 event types." in out
    assert calcom.calls[0].request.headers["cal-api-version"] == EVENT_TYPES_API_VERSION


def test_event_types_command_fails_for_an_unknown_company(db):
    with pytest.raises(CommandError, match="No company"):
        call_command("calcom_event_types", "--company", "nope")


def test_breaker_status_shows_and_resets(capsys, db):
    breaker = breaker_for("calcom:api.cal.com")
    for _ in range(5):
        with pytest.raises(TransientError):
            breaker.call(_transient)
    call_command("circuit_breaker_status")
    assert "calcom:api.cal.com: open" in capsys.readouterr().out
    call_command("circuit_breaker_status", "--reset", "calcom:api.cal.com")
    assert CircuitBreakerState.objects.get().state == "closed"
    with pytest.raises(CommandError):
        call_command("circuit_breaker_status", "--reset", "nothing")


def _transient():
    raise TransientError("down", service="calcom")


def test_clear_integration_cache_forces_a_fresh_lookup(company, calcom, capsys):
    calcom.add("GET", f"{BASE}/event-types", json=fixture("event_types"))
    calcom.add("GET", f"{BASE}/event-types", json=fixture("event_types"))
    event_types_list(company=company)
    event_types_list(company=company)
    assert len(calcom.calls) == 1
    call_command("clear_integration_cache")
    event_types_list(company=company)
    assert len(calcom.calls) == 2


def test_retry_command_retries_a_failed_request_by_id(company, calcom, capsys):
    request = _failed_booking(company, calcom)
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start(), end=start() + timedelta(minutes=30)),
    )
    call_command("retry_bookings", "--id", str(request.pk))
    request.refresh_from_db()
    assert request.status == BookingRequestStatus.SUCCEEDED
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_retry_command_dry_run_changes_nothing(company, calcom, capsys):
    request = _failed_booking(company, calcom)
    BookingRequest.objects.update(status=BookingRequestStatus.RETRYING, next_attempt_at=past())
    call_command("retry_bookings", "--dry-run")
    assert f"would retry booking request {request.pk}" in capsys.readouterr().out
    request.refresh_from_db()
    assert request.status == BookingRequestStatus.RETRYING


def test_retry_task_picks_up_due_and_abandoned_requests_only(company, calcom):
    request = _failed_booking(company, calcom)
    BookingRequest.objects.update(status=BookingRequestStatus.RETRYING, next_attempt_at=past())
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start(), end=start() + timedelta(minutes=30)),
    )
    assert retry_due_booking_requests() == 1
    request.refresh_from_db()
    assert request.status == BookingRequestStatus.SUCCEEDED
    assert retry_due_booking_requests() == 0  # nothing is due any more


def test_a_retry_schedule_exists_for_the_worker(db):
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="booking.tasks.retry_due_booking_requests").exists()
    assert Schedule.objects.filter(func="booking.tasks.retry_due_appointment_changes").exists()


def test_admin_retry_action_books_a_failed_appointment(client, charlie, company, calcom):
    _failed_booking(company, calcom)
    appointment = Appointment.objects.get()
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add(
        "POST",
        f"{BASE}/bookings",
        status=201,
        json=booking_output(start=start(), end=start() + timedelta(minutes=30)),
    )
    client.force_login(charlie)
    response = client.post(
        reverse("admin:booking_appointment_changelist"),
        {"action": "retry_failed_booking", "_selected_action": [appointment.pk]},
        follow=True,
    )
    assert "Retry: 1 succeeded" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_admin_cancel_action_cancels_in_cal_com(client, charlie, company, branch, calcom):
    appointment = AppointmentFactory(
        company=company, branch=branch, status=AppointmentStatus.BOOKED, calcom_booking_uid="bk_3fY7qLm2"
    )
    calcom.add("POST", f"{BASE}/bookings/bk_3fY7qLm2/cancel", json=fixture("booking_cancelled"))
    client.force_login(charlie)
    client.post(
        reverse("admin:booking_appointment_changelist"),
        {"action": "cancel_in_calcom", "_selected_action": [appointment.pk]},
    )
    assert json_body(calcom.calls[0])["cancellationReason"] == "Cancelled by staff (charlie)"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_branch_action_checks_the_event_type(client, charlie, company, branch, calcom):
    calcom.add("GET", f"{BASE}/event-types", json=fixture("event_types"))
    client.force_login(charlie)
    response = client.post(
        reverse("admin:companies_branch_changelist"),
        {"action": "check_event_type", "_selected_action": [branch.pk]},
        follow=True,
    )
    assert "Beratung (30 Min) (30 min)" in response.content.decode()


def test_branch_action_reports_an_unknown_event_type(client, charlie, company, branch, calcom):
    branch.calcom_event_type_id = 999
    branch.save()
    calcom.add("GET", f"{BASE}/event-types", json=fixture("event_types"))
    client.force_login(charlie)
    response = client.post(
        reverse("admin:companies_branch_changelist"),
        {"action": "check_event_type", "_selected_action": [branch.pk]},
        follow=True,
    )
    assert "is not among the company" in response.content.decode()
