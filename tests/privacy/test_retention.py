"""Retention removes exactly what is due (#14): each company's rows past its own periods, counted
from the pinned clock, and nothing else: not what is one second younger, not another company's,
not work still waiting to run, and nothing twice."""

import json
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from audit.models import AuditEntry
from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    BookingRequest,
    CalendarNotice,
    Customer,
    WorkStatus,
)
from companies.models import Company
from console.dashboard import booking_funnel
from core import clock
from notifications.models import Notification, NotificationKind
from privacy import retention
from privacy.retention import apply_retention, apply_retention_everywhere
from privacy.scrub import ERASED_PAYLOAD
from privacy.tasks import apply_retention_daily
from telephony.models import Call, CallDirection, CallStatus, WebhookEvent, WebhookEventStatus
from tests import calcom_fakes, retell_fakes
from tests.companies.test_admin_scoping_forms import _complete_add_form as complete_form
from tests.factories import AppointmentFactory, CallFactory, CompanyFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
TRANSCRIPT = "Agent: Praxis Alpha, guten Tag.\nUser: Hier ist Erika Mustermann, ich brauche einen Termin."
RETELL_BODY = retell_fakes.as_body(retell_fakes.webhook_payload("call_analyzed")).decode()


@pytest.fixture
def alpha(company_a):
    """Short periods: 30 days for what was said, 200 for who was booked."""
    Company.objects.filter(pk=company_a.pk).update(retention_days=30, appointment_retention_days=200)
    company_a.refresh_from_db()
    return company_a


@pytest.fixture
def beta(company_b):
    """The defaults: 90 and 365 days."""
    return company_b


def ago(delta: timedelta):
    return clock.now() - delta


# --- builders: rows as the service stores them, dated by the clock --------------------------------


def call(company, *, ended: timedelta | None, started: timedelta | None = None, created=None, **fields):
    """A call that ended `ended` ago (None: never), five minutes long unless `started` says."""
    if started is None and ended is not None:
        started = ended + 5 * 60 * SECOND
    row = CallFactory(
        company=company,
        branch=company.branches.get(),
        status=CallStatus.ANALYZED,
        started_at=ago(started) if started is not None else None,
        ended_at=ago(ended) if ended is not None else None,
        duration_ms=300_000,
        transcript=TRANSCRIPT,
        summary="Erika Mustermann wants a check-up on Tuesday.",
        analysis={"custom_analysis_data": {"name": "Erika Mustermann"}},
        dynamic_variables={"customer_name": "Erika Mustermann"},
        availability_checks=1,
        slots_offered=3,
        **fields,
    )
    if created is not None:
        Call.objects.filter(pk=row.pk).update(created_at=ago(created))
    return row


def webhook_event(company, status, age: timedelta) -> WebhookEvent:
    row = WebhookEvent.objects.create(
        company=company,
        event="call_analyzed",
        call_id=f"call_{WebhookEvent.objects.count()}",
        body=RETELL_BODY,
        status=status,
        attempts=1,
        last_error="" if status == WebhookEventStatus.PROCESSED else "Erika Mustermann: not parsed",
        result={"call": "analyzed"} if status == WebhookEventStatus.PROCESSED else None,
    )
    WebhookEvent.objects.filter(pk=row.pk).update(received_at=ago(age))
    return row


def calendar_notice(company, status, age: timedelta) -> CalendarNotice:
    body = calcom_fakes.fixture("notice_booking_cancelled")
    row = CalendarNotice.objects.create(
        company=company,
        trigger="BOOKING_CANCELLED",
        booking_uid=body["payload"]["uid"],
        delivery_key=f"notice-{CalendarNotice.objects.count()}",
        body=json.dumps(body),
        status=status,
    )
    CalendarNotice.objects.filter(pk=row.pk).update(received_at=ago(age))
    return row


def booking_request(company, status, age: timedelta) -> BookingRequest:
    row = BookingRequest.objects.create(
        company=company,
        idempotency_key=f"{company.slug}-request-{BookingRequest.objects.count()}",
        status=status,
        source="post_call",
        payload={"name": "Erika Mustermann", "phone": "+4915112345678", "start": "10:00"},
        last_error="" if status == WorkStatus.SUCCEEDED else "Cal.com refused Erika Mustermann",
        result={"success": status == WorkStatus.SUCCEEDED, "error": "slot_unavailable"},
    )
    BookingRequest.objects.filter(pk=row.pk).update(created_at=ago(age))
    return row


def appointment_change(company, status, age: timedelta) -> AppointmentChange:
    row = AppointmentChange.objects.create(
        company=company,
        appointment=AppointmentFactory(company=company, branch=company.branches.get()),
        kind="cancel",
        idempotency_key=f"{company.slug}-change-{AppointmentChange.objects.count()}",
        source="admin",
        payload={"reason": "Erika Mustermann is ill"},
        status=status,
    )
    AppointmentChange.objects.filter(pk=row.pk).update(created_at=ago(age))
    return row


def notification(company, status, age: timedelta) -> Notification:
    row = Notification.objects.create(
        company=company,
        idempotency_key=f"{company.slug}-text-{Notification.objects.count()}",
        kind=NotificationKind.BOOKING_CONFIRMED,
        recipient="+4915112345678",
        language="de",
        text="Hallo Erika, Ihr Termin am Dienstag ist gebucht.",
        status=status,
    )
    Notification.objects.filter(pk=row.pk).update(created_at=ago(age))
    return row


def appointment(company, *, ended: timedelta | None, started: timedelta | None = None, customer=None, **kw):
    start = ago(started) if started is not None else ago(ended) - 30 * 60 * SECOND
    return AppointmentFactory(
        company=company,
        branch=company.branches.get(),
        customer=customer or CustomerFactory(company=company, name="Erika Mustermann"),
        attendee_name="Erika Mustermann",
        attendee_email="erika@example.org",
        start=start,
        end=ago(ended) if ended is not None else None,
        status=kw.pop("status", AppointmentStatus.BOOKED),
        metadata={"notes": "allergic to latex"},
        calcom_booking_uid=f"bk_{Appointment.objects.count()}",
        **kw,
    )


def customer(company, *, heard_from: timedelta) -> Customer:
    row = CustomerFactory(company=company, name="Erika Mustermann", email="erika@example.org")
    Customer.objects.filter(pk=row.pk).update(updated_at=ago(heard_from))
    return row


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def content_of(row: Call) -> tuple:
    row = fresh(row)
    return row.transcript, row.summary, row.analysis, row.dynamic_variables


SCRUBBED_CONTENT = ("", "", {}, {})


# --- retention_days ---------------------------------------------------------------------------------


def test_call_contents_go_one_second_after_the_period_and_not_before(alpha):
    outside = call(alpha, ended=30 * DAY + SECOND)
    exactly = call(alpha, ended=30 * DAY)
    inside = call(alpha, ended=29 * DAY)
    long_call_ended_recently = call(alpha, ended=29 * DAY, started=31 * DAY)
    never_ended = call(alpha, ended=None, started=30 * DAY + SECOND)
    never_started = call(alpha, ended=None, started=None, created=30 * DAY + SECOND)
    never_started_recent = call(alpha, ended=None, started=None, created=29 * DAY)

    report = apply_retention(company=alpha)

    assert report.counts["call_contents"] == 3
    for gone in (outside, never_ended, never_started):
        assert content_of(gone) == SCRUBBED_CONTENT
        # Only the content: who called goes after the appointment period, and the rest stays.
        kept = fresh(gone)
        assert kept.from_number == gone.from_number and kept.status == CallStatus.ANALYZED
        assert kept.duration_ms == 300_000 and kept.slots_offered == 3
    for kept in (exactly, inside, long_call_ended_recently, never_started_recent):
        assert content_of(kept)[0] == TRANSCRIPT


def test_raw_bodies_with_their_recording_links_go_from_finished_events_only(alpha):
    assert "recording_url" in RETELL_BODY  # the only place a recording link is ever stored
    old = 30 * DAY + SECOND
    processed = webhook_event(alpha, WebhookEventStatus.PROCESSED, old)
    failed = webhook_event(alpha, WebhookEventStatus.FAILED, old)
    waiting = [webhook_event(alpha, status, 60 * DAY) for status in ("received", "processing", "retrying")]
    recent = webhook_event(alpha, WebhookEventStatus.FAILED, 30 * DAY)

    report = apply_retention(company=alpha)

    assert report.counts["webhook_event_bodies"] == 2
    for gone in (processed, failed):
        row = fresh(gone)
        assert (row.body, row.last_error, row.result) == ("", "", None)
        assert (row.status, row.attempts) == (gone.status, 1)  # the outcome stays
    for kept in [*waiting, recent]:
        row = fresh(kept)
        assert "recording_url" in row.body and row.last_error == kept.last_error


def test_calendar_notices_payloads_and_texts_go_when_finished_and_old(alpha):
    old, young = 30 * DAY + SECOND, 30 * DAY - SECOND
    due = [
        calendar_notice(alpha, WorkStatus.SUCCEEDED, old),
        calendar_notice(alpha, WorkStatus.FAILED, old),
        booking_request(alpha, WorkStatus.SUCCEEDED, old),
        booking_request(alpha, WorkStatus.FAILED, old),
        appointment_change(alpha, WorkStatus.FAILED, old),
        notification(alpha, WorkStatus.SUCCEEDED, old),
        notification(alpha, WorkStatus.FAILED, old),
    ]
    waiting = [
        calendar_notice(alpha, WorkStatus.RECEIVED, old),
        calendar_notice(alpha, WorkStatus.RETRYING, old),
        booking_request(alpha, WorkStatus.PROCESSING, old),
        booking_request(alpha, WorkStatus.RETRYING, old),
        appointment_change(alpha, WorkStatus.RETRYING, old),
        notification(alpha, WorkStatus.RECEIVED, old),
        notification(alpha, WorkStatus.RETRYING, old),
    ]
    young_rows = [
        calendar_notice(alpha, WorkStatus.SUCCEEDED, young),
        booking_request(alpha, WorkStatus.FAILED, young),
        appointment_change(alpha, WorkStatus.SUCCEEDED, young),
        notification(alpha, WorkStatus.FAILED, young),
    ]

    report = apply_retention(company=alpha)

    assert report.removed == {
        "calendar_notice_bodies": 2,
        "booking_request_payloads": 2,
        "appointment_change_payloads": 1,
        "notification_texts": 2,
    }
    for row in due:
        assert _personal_part(fresh(row)) == _scrubbed_part(row)
        assert fresh(row).status == row.status
    for row in [*waiting, *young_rows]:
        assert _personal_part(fresh(row)) == _personal_part(row)


def _personal_part(row):
    if isinstance(row, CalendarNotice):
        return row.body
    if isinstance(row, BookingRequest | AppointmentChange):
        return row.payload, row.last_error
    return row.recipient, row.text


def _scrubbed_part(row):
    if isinstance(row, CalendarNotice):
        return ""
    if isinstance(row, BookingRequest | AppointmentChange):
        return ERASED_PAYLOAD, ""
    return "", ""


# --- appointment_retention_days ---------------------------------------------------------------------


def test_appointments_lose_the_person_after_their_own_period(alpha):
    outside = appointment(alpha, ended=200 * DAY + SECOND)
    no_end = appointment(alpha, ended=None, started=200 * DAY + SECOND)
    exactly = appointment(alpha, ended=200 * DAY)
    ended_inside = appointment(alpha, ended=200 * DAY - SECOND, started=200 * DAY + SECOND)
    upcoming = appointment(alpha, ended=-2 * DAY)

    report = apply_retention(company=alpha)

    assert report.counts["appointments"] == 2
    for gone in (outside, no_end):
        row = fresh(gone)
        assert (row.attendee_name, row.attendee_email, row.metadata, row.customer_id) == ("", "", {}, None)
        # The calendar's part stays: when, where, what became of it, and Cal.com's id.
        assert (row.start, row.end, row.branch_id) == (gone.start, gone.end, gone.branch_id)
        assert row.status == AppointmentStatus.BOOKED
        assert row.calcom_booking_uid == gone.calcom_booking_uid
    for kept in (exactly, ended_inside, upcoming):
        row = fresh(kept)
        assert (row.attendee_name, row.customer_id) == ("Erika Mustermann", kept.customer_id)


def test_calls_lose_the_callers_number_after_the_appointment_period(alpha):
    who = customer(alpha, heard_from=300 * DAY)
    outside = call(alpha, ended=200 * DAY + SECOND, customer=who)
    inside = call(alpha, ended=200 * DAY - SECOND, customer=who)

    apply_retention(company=alpha)

    row = fresh(outside)
    assert (row.from_number, row.customer_id) == ("", None)
    assert row.to_number == outside.to_number  # the practice's own number is not personal
    assert (fresh(inside).from_number, fresh(inside).customer_id) == (inside.from_number, who.pk)


def test_a_call_we_made_loses_the_number_called(alpha):
    called = "+4915112345678"
    outbound = call(alpha, ended=200 * DAY + SECOND, direction=CallDirection.OUTBOUND, to_number=called)

    assert apply_retention(company=alpha).counts["call_callers"] == 1

    assert (fresh(outbound).from_number, fresh(outbound).to_number) == ("", "")


def test_an_appointment_erased_on_request_keeps_its_mark_also_after_a_move(alpha):
    erased = appointment(alpha, ended=300 * DAY, customer=customer(alpha, heard_from=SECOND))
    moved = appointment(alpha, ended=300 * DAY)  # what a move in Cal.com made of an erased one
    marked_by_move = {**ERASED_PAYLOAD, "rescheduled_from_uid": "bk_before"}
    for row, metadata in ((erased, ERASED_PAYLOAD), (moved, marked_by_move)):
        Appointment.objects.filter(pk=row.pk).update(
            attendee_name="", attendee_email="", metadata=metadata, customer=None
        )
    plain = appointment(alpha, ended=300 * DAY)  # beside them, one that is simply old

    assert apply_retention(company=alpha).counts["appointments"] == 1

    # So Cal.com's copy of the name is not taken back (booking.models.is_erased).
    assert (fresh(erased).metadata, fresh(moved).metadata) == (ERASED_PAYLOAD, marked_by_move)
    assert (fresh(plain).attendee_name, fresh(plain).metadata) == ("", {})


def test_customers_go_once_nothing_of_theirs_is_left_in_the_period(alpha):
    period = 200 * DAY
    forgotten = customer(alpha, heard_from=period + SECOND)
    old_visit = appointment(alpha, ended=period + DAY, customer=forgotten)
    old_call = call(alpha, ended=period + DAY, customer=forgotten)
    never_booked = customer(alpha, heard_from=period + SECOND)

    called_lately = customer(alpha, heard_from=period + SECOND)
    appointment(alpha, ended=period + DAY, customer=called_lately)
    call(alpha, ended=period - DAY, customer=called_lately)
    coming_back = customer(alpha, heard_from=period + SECOND)
    appointment(alpha, ended=period + DAY, customer=coming_back)
    appointment(alpha, ended=-7 * DAY, customer=coming_back)
    heard_from_lately = customer(alpha, heard_from=period - SECOND)

    report = apply_retention(company=alpha)

    assert report.counts["customers"] == 2
    remaining = set(Customer.objects.filter(company=alpha).values_list("pk", flat=True))
    assert forgotten.pk not in remaining and never_booked.pk not in remaining
    assert {called_lately.pk, coming_back.pk, heard_from_lately.pk} <= remaining
    # Their appointment and call are still counted, linked to no one.
    assert fresh(old_visit).customer_id is None and fresh(old_call).customer_id is None


# --- scope, idempotence, metrics ----------------------------------------------------------------------


def test_each_company_has_its_own_periods_and_never_touches_anothers_rows(alpha, beta):
    alpha_call, beta_call = call(alpha, ended=60 * DAY), call(beta, ended=60 * DAY)
    alpha_visit, beta_visit = appointment(alpha, ended=300 * DAY), appointment(beta, ended=300 * DAY)
    beta_old_call = call(beta, ended=100 * DAY)  # due for beta too
    beta_old_event = webhook_event(beta, WebhookEventStatus.FAILED, 100 * DAY)

    apply_retention(company=alpha)

    assert content_of(alpha_call) == SCRUBBED_CONTENT and fresh(alpha_visit).attendee_name == ""
    for row in (beta_call, beta_old_call):
        assert content_of(row)[0] == TRANSCRIPT
    assert fresh(beta_visit).attendee_name == "Erika Mustermann" and fresh(beta_old_event).body

    report = apply_retention(company=beta)

    assert report.removed == {"call_contents": 1, "webhook_event_bodies": 1}
    assert content_of(beta_old_call) == SCRUBBED_CONTENT
    assert content_of(beta_call)[0] == TRANSCRIPT  # 60 days: inside beta's 90
    assert fresh(beta_visit).attendee_name == "Erika Mustermann"  # 300 days: inside beta's 365


def _everything_due(company):
    who = customer(company, heard_from=400 * DAY)
    call(company, ended=400 * DAY, customer=who)
    call(company, ended=40 * DAY)
    appointment(company, ended=400 * DAY, customer=who, status=AppointmentStatus.CANCELLED)
    appointment(company, ended=400 * DAY)
    webhook_event(company, WebhookEventStatus.PROCESSED, 100 * DAY)
    calendar_notice(company, WorkStatus.FAILED, 100 * DAY)
    booking_request(company, WorkStatus.FAILED, 100 * DAY)
    booking_request(company, WorkStatus.SUCCEEDED, 100 * DAY)
    appointment_change(company, WorkStatus.SUCCEEDED, 100 * DAY)
    notification(company, WorkStatus.SUCCEEDED, 100 * DAY)


def test_a_second_run_finds_nothing_and_writes_nothing(alpha):
    _everything_due(alpha)
    assert apply_retention(company=alpha).total > 0

    with CaptureQueriesContext(connection) as queries:
        again = apply_retention(company=alpha)

    assert again.total == 0 and again.removed == {}
    writes = [q["sql"] for q in queries if q["sql"].upper().startswith(("UPDATE", "DELETE", "INSERT"))]
    assert writes == []
    assert AuditEntry.objects.filter(action="retention").count() == 1


def _figures(company) -> dict:
    return {
        "calls": Call.objects.filter(company=company).count(),
        "appointments by status": dict(
            Appointment.objects.filter(company=company).values_list("status").annotate(n=Count("pk"))
        ),
        "requests by status": dict(
            BookingRequest.objects.filter(company=company).values_list("status").annotate(n=Count("pk"))
        ),
        "events by status": dict(
            WebhookEvent.objects.filter(company=company).values_list("status").annotate(n=Count("pk"))
        ),
        "texts by status": dict(
            Notification.objects.filter(company=company).values_list("status").annotate(n=Count("pk"))
        ),
    }


def _funnel(company):
    funnel = booking_funnel(company, since=ago(1000 * DAY))
    return funnel.calls, funnel.asked, funnel.offered, funnel.booked, sum(n for _, n in funnel.failed)


def test_counts_and_metrics_are_the_same_after_retention(alpha):
    _everything_due(alpha)
    Call.objects.get(company=alpha, ended_at__lt=ago(300 * DAY)).appointments.add(
        Appointment.objects.filter(company=alpha, status=AppointmentStatus.BOOKED).first()
    )
    before, funnel_before = _figures(alpha), _funnel(alpha)

    assert apply_retention(company=alpha).total > 0

    assert _figures(alpha) == before and _funnel(alpha) == funnel_before
    assert funnel_before[0] == 2 and funnel_before[3] == 1  # the figures are not trivially empty


def test_the_report_the_audit_entry_and_the_log_line_agree_and_name_no_one(alpha, beta, caplog):
    _everything_due(alpha)
    caplog.set_level(logging.INFO, logger="privacy.retention")

    report = apply_retention(company=alpha)
    quiet = apply_retention(company=beta)

    assert report.removed == {
        "call_contents": 2,
        "webhook_event_bodies": 1,
        "calendar_notice_bodies": 1,
        "booking_request_payloads": 2,
        "appointment_change_payloads": 1,
        "notification_texts": 1,
        "appointments": 2,
        "call_callers": 1,
        "customers": 1,  # the one who called; the other appointment's customer was heard from lately
    }
    entry = AuditEntry.objects.get(action="retention")
    assert (entry.company_id, entry.actor_kind) == (alpha.pk, "system")
    assert entry.object_type == "privacy.retention"
    assert entry.changes == report.removed
    assert quiet.total == 0  # nothing due at beta: no entry for it
    lines = [r.getMessage() for r in caplog.records if r.name == "privacy.retention"]
    assert lines == [f"retention {report}", "retention beta: nothing due"]
    text = "\n".join(lines)
    assert "alpha" in text and "call_contents 2" in text
    assert "Mustermann" not in text and "+49" not in text and "erika" not in text


def test_a_dry_run_counts_the_same_and_changes_nothing(alpha):
    _everything_due(alpha)
    snapshot = _database(alpha)

    dry = apply_retention(company=alpha, dry_run=True)

    assert _database(alpha) == snapshot
    assert not AuditEntry.objects.exists()
    assert dry.dry_run and dry.total > 0
    assert apply_retention(company=alpha).counts == dry.counts


def _database(company) -> list:
    models = (Call, Appointment, Customer, WebhookEvent, CalendarNotice, BookingRequest, Notification)
    return [list(model.objects.filter(company=company).order_by("pk").values()) for model in models]


def test_large_amounts_go_in_batches(alpha, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    for _ in range(5):
        call(alpha, ended=31 * DAY)

    with CaptureQueriesContext(connection) as queries:
        report = apply_retention(company=alpha)

    assert report.counts["call_contents"] == 5
    assert not Call.objects.exclude(transcript="").exists()
    updates = [q for q in queries if q["sql"].startswith('UPDATE "telephony_call"')]
    assert len(updates) == 3  # 2 + 2 + 1 rows


def test_a_scrub_that_leaves_rows_due_stops_instead_of_looping(alpha, monkeypatch, caplog):
    monkeypatch.setattr(retention, "BATCH", 2)
    only_the_summary = retention.Rule(
        "call_contents", retention.calls_with_content_due, lambda rows: rows.update(summary="")
    )
    monkeypatch.setattr(retention, "RULES", (only_the_summary,))
    for _ in range(5):
        call(alpha, ended=31 * DAY)

    report = apply_retention(company=alpha)

    assert report.counts["call_contents"] == 2
    assert "rows still due after removal" in caplog.text


# --- the daily task, its schedule, the command, the settings -----------------------------------------


def test_the_daily_task_covers_every_company_and_returns_what_it_removed(alpha, beta):
    _everything_due(alpha)
    paused = CompanyFactory(slug="paused", is_active=False, retention_days=10)
    paused_call = CallFactory(company=paused, ended_at=ago(11 * DAY), transcript=TRANSCRIPT)

    removed = apply_retention_daily()

    assert set(removed) == {"alpha", "paused"}  # beta had nothing due
    assert removed["alpha"] == AuditEntry.objects.get(company_id=alpha.pk).changes
    assert removed["paused"] == {"call_contents": 1} and content_of(paused_call) == SCRUBBED_CONTENT


def test_one_companys_failure_does_not_keep_the_others_data(alpha, beta, monkeypatch):
    call(beta, ended=100 * DAY)
    real = retention.apply_retention

    def failing_for_alpha(*, company, dry_run=False):
        if company.slug == "alpha":
            raise IntegrityError("boom")
        return real(company=company, dry_run=dry_run)

    monkeypatch.setattr(retention, "apply_retention", failing_for_alpha)

    with pytest.raises(retention.RetentionIncomplete) as failure:
        apply_retention_everywhere()

    assert failure.value.failed == ["alpha"]
    assert [r.company for r in failure.value.reports] == ["beta"]
    assert not Call.objects.filter(company=beta).exclude(transcript="").exists()


def test_retention_is_scheduled_daily_at_night_after_migrate():
    schedule = Schedule.objects.get(func="privacy.tasks.apply_retention_daily")
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)
    local = schedule.next_run.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (3, 30)


def test_the_command_shows_a_dry_run_and_changes_nothing(alpha, beta, capsys):
    _everything_due(alpha)
    snapshot = _database(alpha)

    call_command("apply_retention", "--dry-run")

    out = capsys.readouterr().out
    assert "alpha: would remove call_contents 2" in out and "  customers: 1" in out
    assert "beta: nothing due" in out and "Dry run: nothing was changed." in out
    assert _database(alpha) == snapshot and not AuditEntry.objects.exists()


def test_the_command_removes_one_companys_data_as_an_operator(alpha, beta, capsys):
    _everything_due(alpha)
    beta_call = call(beta, ended=100 * DAY)

    call_command("apply_retention", "--company", "alpha")

    out = capsys.readouterr().out
    assert out.startswith("alpha: removed call_contents 2") and "beta" not in out
    entry = AuditEntry.objects.get()
    assert (entry.company_id, entry.actor_kind) == (alpha.pk, "operator")
    assert entry.actor_label == "apply_retention"
    assert content_of(beta_call)[0] == TRANSCRIPT


def test_the_command_refuses_an_unknown_company_and_changes_nothing(alpha):
    _everything_due(alpha)
    snapshot = _database(alpha)

    with pytest.raises(CommandError, match="No company with the short name 'gamma'"):
        call_command("apply_retention", "--company", "gamma")

    assert _database(alpha) == snapshot


def test_new_companies_get_the_default_periods_and_none_shorter_than_a_day(db):
    company = CompanyFactory()
    assert (company.retention_days, company.appointment_retention_days) == (90, 365)
    company.retention_days = 0
    with pytest.raises(ValidationError) as invalid:
        company.full_clean()
    assert set(invalid.value.message_dict) == {"retention_days"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.filter(pk=company.pk).update(appointment_retention_days=0)


def test_owners_set_the_periods_in_the_company_admin(client, olga, alpha):
    client.force_login(olga)
    url = f"/admin/companies/company/{alpha.pk}/change/"
    html = client.get(url).content.decode()
    assert "Data protection" in html and "removed every night" in html
    assert "customer with no appointment or call in this time is deleted" in html  # the help text

    typed = {"retention_days": "14", "appointment_retention_days": "180"}
    shorter = client.post(url, complete_form(client, url, **typed))

    assert shorter.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.retention_days, alpha.appointment_retention_days) == (14, 180)


def test_a_period_under_a_day_is_refused_in_admin_and_nothing_changes(client, olga, alpha):
    client.force_login(olga)
    url = f"/admin/companies/company/{alpha.pk}/change/"

    refused = client.post(url, complete_form(client, url, retention_days="0"))

    assert refused.status_code == 200 and "retention_days" in refused.context["adminform"].form.errors
    assert Company.objects.get(pk=alpha.pk).retention_days == 30
