"""The calendar's inbox: Cal.com's booking webhooks, stored once and applied by a worker.

Cal.com sends no event id and never retries (https://cal.com/docs/developing/guides/automation/
webhooks; contract shared/contracts/calcom-api.md §5): a delivery is known by its trigger, its
booking uid and when Cal.com sent it, and reconciliation (booking/reconcile.py) repairs what
never arrived. Processing runs on the retried-work engine like every inbox.
"""

import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from askpro import metrics
from askpro.api import error_body, success_body
from askpro.inbox import inbox_store, inbox_work, not_in_queue
from askpro.work import PermanentFailure
from audit.actions import Action
from audit.trail import record
from booking.calendar import CalendarMessage, calendar_for
from booking.calendar.calcom import notice_from
from booking.calendar_sync import calendar_booking_apply
from booking.errors import ErrorType, calendar_failures
from booking.models import Appointment, CalendarNotice, WorkStatus, is_erased
from companies.models import Company

logger = logging.getLogger(__name__)
PROCESS_TASK = "booking.tasks.process_calendar_notice"
WORK = inbox_work(
    CalendarNotice,
    processing=WorkStatus.PROCESSING,
    retrying=WorkStatus.RETRYING,
    done=WorkStatus.SUCCEEDED,
    failed=WorkStatus.FAILED,
)


def calendar_notice_record(*, company: Company, notice: CalendarMessage, body: str):
    """(row, True) when new; (None, False) for a delivery we have, which changes nothing."""
    basis = f"{notice.trigger}|{notice.booking_uid}|{notice.sent_at.isoformat()}"
    return inbox_store(
        CalendarNotice,
        task=PROCESS_TASK,
        company=company,
        trigger=notice.trigger,
        booking_uid=notice.booking_uid[:100],
        delivery_key=hashlib.sha256(basis.encode()).hexdigest(),
        body=body,
    )


def calendar_notice_process(*, notice_id: int, include_failed: bool = False) -> dict:
    """Apply one stored notice (a replay of a processed one returns its result)."""
    statuses = [WorkStatus.RECEIVED, WorkStatus.RETRYING]
    if include_failed:
        statuses += [WorkStatus.FAILED, WorkStatus.SUCCEEDED]
    row = WORK.claimed(notice_id, statuses=statuses)
    if row is None:
        return CalendarNotice.objects.get(pk=notice_id).result or {}
    return WORK.run(row, _handle, failure_result=_failure_result, ended=_counted)


def _handle(row: CalendarNotice) -> dict:
    notice = notice_from(json.loads(row.body))
    if notice is None:  # the endpoint stores only triggers we act on; a hand-made row is no error
        return success_body("Nothing to do for this trigger.")
    appointment = calendar_notice_apply(company=row.company, notice=notice)
    if appointment is None:
        return success_body("Not a booking of this company's event types; nothing to do.")
    if is_erased(appointment.metadata):  # its person was erased: the notice names them
        CalendarNotice.objects.filter(pk=row.pk).update(body="")
    return success_body(
        f"Appointment {appointment.pk} is {appointment.status}.", appointment_id=appointment.pk
    )


def calendar_notice_apply(*, company: Company, notice: CalendarMessage) -> Appointment | None:
    """What the notice says, applied to the company's appointments."""
    if notice.no_show is not None:
        return _mark_no_show(company, notice)
    if notice.booking is None or not notice.booking.uid:
        raise PermanentFailure("The notice names no booking.")
    replaced = calendar_booking_apply(company=company, booking=notice.replaced) if notice.replaced else None
    return calendar_booking_apply(company=company, booking=notice.booking, replaces=replaced)


def _mark_no_show(company: Company, notice: CalendarMessage) -> Appointment | None:
    appointment = Appointment.objects.filter(company=company, calcom_booking_uid=notice.booking_uid).first()
    if appointment is not None:
        was, appointment.no_show = appointment.no_show, notice.no_show
        with transaction.atomic():
            appointment.save(update_fields=["no_show", "updated_at"])
            record(
                Action.CALENDAR_CHANGE,
                company=company,
                obj=appointment,
                changes={"no_show": (was, notice.no_show)},
            )
    return appointment


def _failure_result(row: CalendarNotice, reason: str) -> dict:
    return error_body("processing_failed", reason, booking_uid=row.booking_uid)


def _counted(row: CalendarNotice, status: str) -> None:
    metrics.calendar_notice_total.labels(row.trigger, status).inc()


def calendar_notices_due() -> list[int]:
    """Due retries, abandoned claims, and notices the queue never had (askpro.inbox)."""
    return WORK.due(extra=not_in_queue(WorkStatus.RECEIVED))


# Marked for translation, kept English here: commands print it as is, admin shows it translated.
LOOPBACK_WARNING = gettext_noop(
    "PUBLIC_BASE_URL names this machine itself: only a Cal.com on this machine (the sandbox) can "
    "send there. In production set PUBLIC_BASE_URL to the address Cal.com reaches us at and connect again."
)


def calendar_notices_url(*, company: Company, base_url: str | None = None) -> str:
    """Where Cal.com sends the company's booking changes (the webhook key identifies it)."""
    root = (base_url or settings.PUBLIC_BASE_URL).rstrip("/")
    return root + reverse("calcom-webhook", kwargs={"webhook_key": company.webhook_key})


def calendar_notices_connect(*, company: Company, base_url: str | None = None) -> str:
    """Have Cal.com send the company's booking changes here, signed with a new secret: creates
    the subscription, or repairs the one there is (its URL, secret and triggers). Returns
    "created" or "repaired"; a BookingError when Cal.com cannot be asked."""
    secret = secrets.token_urlsafe(32)
    with calendar_failures(ErrorType.CONFIGURATION):
        outcome = calendar_for(company).subscribe(
            url=calendar_notices_url(company=company, base_url=base_url), secret=secret
        )
    # Kept only once Cal.com has it: until then the old secret still verifies what it sends.
    company.calcom_webhook_secret = secret
    company.save(update_fields=["calcom_webhook_secret", "updated_at"])
    logger.info("Cal.com notices %s for company %s", outcome, company.pk)
    return outcome
