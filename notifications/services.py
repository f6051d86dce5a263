"""The notification outbox: a text to a caller is stored once (per booking request and outcome),
handed to the "notifications" queue after commit, and sent by a worker on the retried-work engine
(askpro.work.RetriedWork): a sender that is away is tried again, 60 s, 120 s, ... later.

Who is told: a caller who heard "noted" in a live call, that is, a live-call booking request
that was kept for a retry (booking.create marks its appointment, KEPT_FOR_RETRY), once a worker,
post-call processing or staff finished it: booked, waiting for the host, or failed for good.
An outcome reached while the caller still waits in the call is said there, never texted.
"""

import logging
from datetime import timedelta

from askpro.api import error_body, success_body
from askpro.inbox import inbox_store, not_in_queue
from askpro.logfilters import mask_personal_data
from askpro.work import PermanentFailure, RetriedWork
from booking.create import KEPT_FOR_RETRY
from booking.models import AppointmentSource, AppointmentStatus, BookingRequest, WorkStatus
from booking.times import zone
from core import clock
from core.wording import say, spoken_when
from integrations.errors import IntegrationError
from notifications.models import Notification, NotificationChannel, NotificationKind
from notifications.senders import configured_sender

logger = logging.getLogger(__name__)
SEND_TASK = "notifications.tasks.send_notification"
WORK = RetriedWork(
    Notification,
    processing=WorkStatus.PROCESSING,
    retrying=WorkStatus.RETRYING,
    done=WorkStatus.SUCCEEDED,
    failed=WorkStatus.FAILED,
    lease=timedelta(minutes=3),  # above the notifications queue's 60 s task timeout
    max_attempts_setting="NOTIFICATION_MAX_ATTEMPTS",
    base_seconds_setting="NOTIFICATION_RETRY_BASE_SECONDS",
)
WORDING = {
    NotificationKind.BOOKING_CONFIRMED: "sms_booking_confirmed",
    NotificationKind.BOOKING_PENDING: "sms_booking_pending",
    NotificationKind.BOOKING_FAILED: "sms_booking_failed",
}


def booking_outcome_notify(*, booking_request: BookingRequest) -> Notification | None:
    """Store the text that tells the caller how their noted wish ended; None when there is no
    one to tell (not a live call's kept wish, no phone number, not finished) or it was told."""
    appointment = booking_request.appointment
    kind = _outcome_kind(booking_request)
    phone = booking_request.payload.get("phone")
    if kind is None or appointment is None or not phone or not _caller_heard_noted(booking_request):
        return None
    branch = appointment.branch
    language = branch.effective_language
    when = spoken_when(appointment.start.astimezone(zone(branch.effective_timezone)), language)
    stored, _ = inbox_store(
        Notification,
        task=SEND_TASK,
        queue="notifications",
        company=booking_request.company,
        booking_request=booking_request,
        appointment=appointment,
        idempotency_key=f"booking_request:{booking_request.pk}:{kind}",
        kind=kind,
        channel=NotificationChannel.SMS,
        recipient=phone,
        language=language,
        text=say(WORDING[kind], language, company=booking_request.company.name, when=when),
    )
    return stored


def _caller_heard_noted(booking_request: BookingRequest) -> bool:
    kept = (booking_request.appointment.metadata or {}).get(KEPT_FOR_RETRY)
    return booking_request.source == AppointmentSource.LIVE_CALL and bool(kept)


def _outcome_kind(booking_request: BookingRequest) -> str | None:
    if booking_request.status == WorkStatus.FAILED:
        return NotificationKind.BOOKING_FAILED
    if booking_request.status != WorkStatus.SUCCEEDED:
        return None
    if booking_request.appointment and booking_request.appointment.status == AppointmentStatus.PENDING:
        return NotificationKind.BOOKING_PENDING
    return NotificationKind.BOOKING_CONFIRMED


def notification_send(*, notification_id: int, include_failed: bool = False) -> dict:
    """Send one stored notification; a sent one (or one another worker holds) is not sent again,
    and only staff send a failed one again (`include_failed`)."""
    statuses = [WorkStatus.RECEIVED, WorkStatus.RETRYING]
    if include_failed:
        statuses.append(WorkStatus.FAILED)
    row = WORK.claimed(notification_id, statuses=statuses)
    if row is None:
        return Notification.objects.get(pk=notification_id).result or {}
    return WORK.run(row, _send, failure_result=_failure_result)


def _send(row: Notification) -> dict:
    try:
        provider_id = configured_sender().send(row.recipient, row.text, kind=row.kind)
    except IntegrationError as exc:
        if exc.permanent:  # its message is for staff; logged, it could carry the number
            raise PermanentFailure(exc.message) from exc
        raise
    row.sent_at, row.provider_id = clock.now(), provider_id[:64]
    Notification.objects.filter(pk=row.pk).update(sent_at=row.sent_at, provider_id=row.provider_id)
    logger.info("notification %s (%s) to %s sent", row.pk, row.kind, mask_personal_data(row.recipient))
    return success_body("Sent.", provider_id=row.provider_id)


def _failure_result(row: Notification, reason: str) -> dict:
    return error_body("sending_failed", reason, notification_id=row.pk)


def notifications_due() -> list[int]:
    """Due retries, abandoned claims, and stored notifications the queue never had (askpro.inbox)."""
    return WORK.due(extra=not_in_queue(WorkStatus.RECEIVED, stored_at="created_at"))
