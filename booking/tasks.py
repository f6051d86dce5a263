"""Background work for bookings (django-q2). Tasks take ids and call one service."""

import logging

from askpro.correlation import bound
from askpro.inbox import inbox_prune, inbox_requeue
from askpro.worker_threads import io_bound
from audit.actors import acting_as, calcom_webhook, row_ref
from booking.availability import availability_prefetch
from booking.changes import appointment_changes_due
from booking.models import AppointmentChange, BookingRequest, CalendarNotice, WorkStatus
from booking.notices import calendar_notice_process, calendar_notices_due
from booking.reconcile import calendars_reconcile
from booking.requests import booking_requests_due
from booking.services import BookingError, appointment_change_retry, booking_request_retry
from companies.models import Branch

logger = logging.getLogger(__name__)


def retry_due_booking_requests() -> int:
    """Every minute: retry bookings whose backoff has passed and claims whose worker died (each
    on the worker's I/O threads, so one slow Cal.com answer does not hold up the rest)."""
    due = booking_requests_due()
    for request_id in due:
        _retry_booking_request(request_id)
    return len(due)


@io_bound
def _retry_booking_request(request_id: int) -> None:
    with bound(f"booking-request-{request_id}"):
        request = BookingRequest.objects.get(pk=request_id)
        try:
            booking_request_retry(booking_request=request)
            logger.info("retried booking request %s: booked", request_id)
        except BookingError as exc:
            logger.info("retried booking request %s: %s", request_id, exc.error_type)


def retry_due_appointment_changes() -> int:
    """Every minute: retry moves and cancellations whose backoff has passed or whose worker died."""
    due = appointment_changes_due()
    for change_id in due:
        _retry_appointment_change(change_id)
    return len(due)


@io_bound
def _retry_appointment_change(change_id: int) -> None:
    with bound(f"appointment-change-{change_id}"):
        change = AppointmentChange.objects.select_related("company", "appointment__branch").get(pk=change_id)
        try:
            appointment_change_retry(change=change)
            logger.info("retried appointment change %s: done", change_id)
        except BookingError as exc:
            logger.info("retried appointment change %s: %s", change_id, exc.error_type)


@io_bound
def process_calendar_notice(notice_id: int) -> dict:
    with (
        bound(f"calendar-notice-{notice_id}"),
        acting_as(calcom_webhook(row_ref(CalendarNotice, "delivery_key", notice_id))),
    ):
        return calendar_notice_process(notice_id=notice_id)


def requeue_due_calendar_notices() -> int:
    """Every minute: hand due retries and stuck notices back to the webhooks queue."""
    with bound():
        return inbox_requeue(
            CalendarNotice,
            calendar_notices_due(),
            task="booking.tasks.process_calendar_notice",
            queue="webhooks",
            received_status=WorkStatus.RECEIVED,
        )


def reconcile_calendars() -> int:
    """Every quarter hour: each company's appointments made to agree with its Cal.com."""
    with bound():
        reports = calendars_reconcile()
        for report in reports:
            if report.repairs:
                logger.info("reconciled company %s: %s", report.company.pk, report.summary())
        return sum(len(report.repairs) for report in reports)


@io_bound
def prefetch_availability(company_id: int, branch_id: int) -> None:
    """A call came in: fetch its branch's free slots for the next days, so the caller's first
    question for a time is answered from the cache. Nothing to do if it cannot be fetched now:
    the question will ask Cal.com itself."""
    branch = Branch.objects.select_related("company").filter(pk=branch_id, company_id=company_id).first()
    if branch is None:
        return
    with bound(f"prefetch-{company_id}-{branch_id}"):
        try:
            availability_prefetch(company=branch.company, branch=branch)
        except BookingError as exc:
            logger.info("availability prefetch for branch %s skipped: %s", branch_id, exc.error_type)


def prune_calendar_notices() -> int:
    """Daily: forget applied Cal.com notices older than INBOX_KEEP_DAYS."""
    return inbox_prune(CalendarNotice, done_status=WorkStatus.SUCCEEDED, stored_at="received_at")
