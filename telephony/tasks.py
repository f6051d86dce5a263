"""django-q2 tasks for telephony: they take ids and call one service."""

import logging

from askpro.correlation import bound
from askpro.inbox import inbox_prune, inbox_requeue
from askpro.worker_threads import io_bound
from audit.actors import acting_as, retell_call, row_ref
from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process, webhook_events_due

logger = logging.getLogger(__name__)


@io_bound
def process_webhook_event(event_id: int) -> dict:
    with (
        bound(f"webhook-event-{event_id}"),
        acting_as(retell_call(row_ref(WebhookEvent, "call_id", event_id))),
    ):
        return webhook_event_process(event_id=event_id)


def requeue_due_webhook_events() -> int:
    """Every minute: hand due retries and stuck events back to the webhooks queue."""
    with bound():
        return inbox_requeue(
            WebhookEvent,
            webhook_events_due(),
            task="telephony.tasks.process_webhook_event",
            queue="webhooks",
            received_status=WebhookEventStatus.RECEIVED,
        )


def prune_webhook_events() -> int:
    """Daily: forget processed Retell events older than INBOX_KEEP_DAYS."""
    return inbox_prune(WebhookEvent, done_status=WebhookEventStatus.PROCESSED, stored_at="received_at")
