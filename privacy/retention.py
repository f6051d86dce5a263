"""Retention: each company's personal data goes once its periods have passed (#14), every night.

Two periods per company (companies.models.Company), counted back from `clock.now()`:

- `retention_days` (default 90), what was said and what the vendors sent: a call's transcript,
  summary, analysis and call variables, counted from its end (its start, or our row's creation,
  if it never ended); the raw bodies of Retell webhooks and Cal.com notices; the payloads of
  finished booking requests and appointment changes; the recipient and text of finished
  notifications, each counted from when it was stored. Recording links exist only inside the
  raw Retell bodies (no model field holds one), so they go with them. Retell's own copy of the
  recording and transcript is kept by Retell for the agent's `data_storage_retention_days`
  (https://docs.retellai.com/api-references/update-agent), which staff set in Retell.
- `appointment_retention_days` (default 365), who was booked: an appointment that ended (or, with
  no end, started) longer ago loses its attendee's name, email, notes and customer link; a call
  that old loses the caller's number and customer link; a customer who then has neither an
  appointment nor a call inside the period, and was not heard from in it (`updated_at`: every
  call and booking touches it), is deleted, the last place their number was kept.

What "removed" means for each row is privacy.scrub's, shared with erasure: rows are blanked, not
deleted, so the number of calls, appointments per status and the outcomes of work stay as they
were. Work rows still waiting, being processed or waiting to retry are never touched: they need
their payload to run; only finished ones (done or failed) are.

askpro.inbox.inbox_prune deletes inbox rows that ended well (processed Retell events, applied
Cal.com notices, sent texts) after INBOX_KEEP_DAYS, for every company alike, to keep the inboxes
small; failed rows it keeps for staff. Retention is the privacy rule beside it: per company, it
blanks finished rows, failed ones included, after the company's period, which may be shorter than
INBOX_KEEP_DAYS. Whichever comes first wins; neither undoes the other.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, ProtectedError, Q, QuerySet

from audit import trail
from audit.actions import Action
from booking.models import (
    Appointment,
    AppointmentChange,
    BookingRequest,
    CalendarNotice,
    Customer,
    WorkStatus,
    erased_rows,
)
from companies.models import Company
from core import clock
from notifications.models import Notification
from privacy.scrub import (
    scrub_appointments,
    scrub_call_content,
    scrub_call_identity,
    scrub_notifications,
    scrub_raw_bodies,
    scrub_work_payloads,
)
from telephony.models import Call, CallDirection, WebhookEvent, WebhookEventStatus

logger = logging.getLogger(__name__)

AUDITED_AS = "privacy.retention"  # the audit entry's object type: one entry per company and run
# Rows per UPDATE: short statements and transactions, however much is due on a first run.
BATCH = 1000

# Only these are finished; any other status (and any added later) means the row may still run.
FINISHED_WORK = (WorkStatus.SUCCEEDED, WorkStatus.FAILED)
FINISHED_EVENTS = (WebhookEventStatus.PROCESSED, WebhookEventStatus.FAILED)

# When a call or appointment happened: the first of these that is set.
CALL_TIME = ("ended_at", "started_at", "created_at")
APPOINTMENT_TIME = ("end", "start")


@dataclass
class RetentionReport:
    """What one company's run removed (or, in a dry run, would remove): rows per kind."""

    company: str  # the slug: reports are logged, and a slug names no person
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def removed(self) -> dict[str, int]:
        return {kind: count for kind, count in self.counts.items() if count}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        if not self.total:
            return f"{self.company}: nothing due"
        verb = "would remove" if self.dry_run else "removed"
        return f"{self.company}: {verb} " + ", ".join(f"{kind} {n}" for kind, n in self.removed.items())


@dataclass(frozen=True)
class Rule:
    kind: str
    due: Callable[[Company, datetime], QuerySet]  # the company's rows due and not yet removed
    remove: Callable[[QuerySet], int]


def apply_retention(*, company: Company, dry_run: bool = False) -> RetentionReport:
    """Remove (or count, with `dry_run`) what the company's periods say is due, in batches."""
    now = clock.now()
    report = RetentionReport(company=company.slug, dry_run=dry_run)
    for rule in RULES:
        due = rule.due(company, now)
        report.counts[rule.kind] = due.count() if dry_run else _remove_in_batches(rule, due)
    if report.total and not dry_run:
        trail.record(Action.RETENTION, company=company, object_type=AUDITED_AS, changes=report.removed)
    logger.info("retention %s", report)
    return report


def apply_retention_everywhere(*, dry_run: bool = False) -> list[RetentionReport]:
    """Every company, inactive ones too: a paused company's old data expires like any other.
    One company's failure is logged and does not keep the others' data longer."""
    reports, failed = [], []
    for company in Company.objects.order_by("pk"):
        try:
            reports.append(apply_retention(company=company, dry_run=dry_run))
        except Exception:
            logger.exception("retention %s failed; the next run tries again", company.slug)
            failed.append(company.slug)
    if failed:
        raise RetentionIncomplete(failed, reports)
    return reports


class RetentionIncomplete(Exception):
    """Some companies' runs failed; the others' reports are kept."""

    def __init__(self, failed: list[str], reports: list[RetentionReport]):
        super().__init__(f"retention failed for {', '.join(failed)}")
        self.failed = failed
        self.reports = reports


def _remove_in_batches(rule: Rule, due: QuerySet) -> int:
    """Batch after batch of due rows until none is left. The UPDATE repeats the due filter, so a
    row that started running again in between is left alone; a batch still due after its
    removal (a scrub that no longer blanks what `due` looks at) stops the rule instead of looping."""
    removed = 0
    # Unordered: the models' default orderings would sort every due row to find a batch.
    while ids := list(due.order_by().values_list("pk", flat=True)[:BATCH]):
        batch = due.filter(pk__in=ids)
        removed += rule.remove(batch)
        if batch.exists():
            logger.error("retention %s: rows still due after removal; stopped", rule.kind)
            break
    return removed


def _happened_before(cutoff: datetime, times: tuple[str, ...]) -> Q:
    """The first of `times` that is set lies before `cutoff`."""
    return _first_set(times, "lt", cutoff)


def _happened_since(cutoff: datetime, times: tuple[str, ...]) -> Q:
    return _first_set(times, "gte", cutoff)


def _first_set(times: tuple[str, ...], lookup: str, cutoff: datetime) -> Q:
    condition, earlier_unset = Q(), {}
    for name in times:
        condition |= Q(**earlier_unset, **{f"{name}__{lookup}": cutoff})
        earlier_unset[f"{name}__isnull"] = True
    return condition


def _content_cutoff(company: Company, now: datetime) -> datetime:
    return now - timedelta(days=company.retention_days)


def _people_cutoff(company: Company, now: datetime) -> datetime:
    return now - timedelta(days=company.appointment_retention_days)


# --- retention_days ----------------------------------------------------------------------------


def calls_with_content_due(company: Company, now: datetime) -> QuerySet:
    still_there = ~Q(transcript="") | ~Q(summary="") | ~Q(analysis={}) | ~Q(dynamic_variables={})
    cutoff = _content_cutoff(company, now)
    return Call.objects.filter(_happened_before(cutoff, CALL_TIME), still_there, company=company)


def _raw_bodies_due(model, finished) -> Callable[[Company, datetime], QuerySet]:
    # (status, received_at) is the inboxes' prune index: finished and old is a range of it.
    def due(company: Company, now: datetime) -> QuerySet:
        still_there = ~Q(body="") | ~Q(last_error="") | Q(result__isnull=False)
        cutoff = _content_cutoff(company, now)
        return model.objects.filter(still_there, company=company, status__in=finished, received_at__lt=cutoff)

    return due


def _work_payloads_due(model) -> Callable[[Company, datetime], QuerySet]:
    def due(company: Company, now: datetime) -> QuerySet:
        still_there = ~erased_rows("payload") | ~Q(last_error="") | Q(result__isnull=False)
        cutoff = _content_cutoff(company, now)
        return model.objects.filter(
            still_there, company=company, status__in=FINISHED_WORK, created_at__lt=cutoff
        )

    return due


def notifications_due(company: Company, now: datetime) -> QuerySet:
    # (status, created_at) is the outbox's prune index.
    still_there = ~Q(recipient="") | ~Q(text="") | ~Q(last_error="") | Q(result__isnull=False)
    cutoff = _content_cutoff(company, now)
    return Notification.objects.filter(
        still_there, company=company, status__in=FINISHED_WORK, created_at__lt=cutoff
    )


# --- appointment_retention_days ----------------------------------------------------------------


def appointments_due(company: Company, now: datetime) -> QuerySet:
    still_there = (
        ~Q(attendee_name="")
        | ~Q(attendee_email="")
        | ~Q(metadata={})
        | ~Q(failure_reason="")
        | Q(customer__isnull=False)
    )
    cutoff = _people_cutoff(company, now)
    # An end is always after the start (a constraint), so `start < cutoff` holds for every due
    # row and lets the (company, start) index find them. A person erased on request is scrubbed
    # already, and their appointments' mark must stay, also where a move added keys beside it
    # (booking.models.is_erased).
    return Appointment.objects.filter(
        _happened_before(cutoff, APPOINTMENT_TIME), still_there, company=company, start__lt=cutoff
    ).exclude(erased_rows("metadata"))


def calls_with_caller_due(company: Company, now: datetime) -> QuerySet:
    # The caller's number, and for a call we made, the number called (privacy.scrub).
    called = Q(direction=CallDirection.OUTBOUND) & ~Q(to_number="")
    still_there = ~Q(from_number="") | Q(customer__isnull=False) | called
    cutoff = _people_cutoff(company, now)
    return Call.objects.filter(_happened_before(cutoff, CALL_TIME), still_there, company=company)


def customers_due(company: Company, now: datetime) -> QuerySet:
    """Customers not heard from within the period, with no appointment or call inside it. Their
    older appointments and calls are unlinked by the rules before this one (Appointment.customer
    is PROTECT); a dry run counts them the same, as they would be unlinked."""
    cutoff = _people_cutoff(company, now)
    recent_appointment = Appointment.objects.filter(
        _happened_since(cutoff, APPOINTMENT_TIME), customer=OuterRef("pk")
    )
    recent_call = Call.objects.filter(_happened_since(cutoff, CALL_TIME), customer=OuterRef("pk"))
    return Customer.objects.filter(company=company, updated_at__lt=cutoff).exclude(
        Exists(recent_appointment) | Exists(recent_call)
    )


def delete_customers(customers: QuerySet) -> int:
    try:
        _, per_model = customers.delete()
    except ProtectedError:
        # An appointment was linked between the selection and the delete: not due after all.
        logger.warning("retention: a customer gained an appointment while being removed; kept")
        return 0
    return per_model.get(Customer._meta.label, 0)


# In this order: customers go last, once the rules before have unlinked their old rows.
RULES: tuple[Rule, ...] = (
    Rule("call_contents", calls_with_content_due, scrub_call_content),
    Rule("webhook_event_bodies", _raw_bodies_due(WebhookEvent, FINISHED_EVENTS), scrub_raw_bodies),
    Rule("calendar_notice_bodies", _raw_bodies_due(CalendarNotice, FINISHED_WORK), scrub_raw_bodies),
    Rule("booking_request_payloads", _work_payloads_due(BookingRequest), scrub_work_payloads),
    Rule("appointment_change_payloads", _work_payloads_due(AppointmentChange), scrub_work_payloads),
    Rule("notification_texts", notifications_due, scrub_notifications),
    Rule("appointments", appointments_due, scrub_appointments),
    Rule("call_callers", calls_with_caller_due, scrub_call_identity),
    Rule("customers", customers_due, delete_customers),
)
