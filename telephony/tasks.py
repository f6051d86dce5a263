"""django-q2 tasks for telephony: they take ids and call one service."""

import logging

from django.db.models import Subquery

from askpro.correlation import bound
from askpro.inbox import inbox_prune, inbox_requeue
from askpro.worker_threads import io_bound
from audit.actors import acting_as, retell_call
from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process, webhook_events_due

logger = logging.getLogger(__name__)


@io_bound
def process_webhook_event(event_id: int) -> dict:
    with bound(f"webhook-event-{event_id}"), acting_as(retell_call(_call_id_of(event_id))):
        return webhook_event_process(event_id=event_id)


def _call_id_of(event_id: int) -> Subquery:
    """The event's call id, for what processing writes in the audit trail: read by the entry's
    own INSERT, so the many events that write no entry pay nothing for it (#15)."""
    return Subquery(WebhookEvent.objects.filter(pk=event_id).order_by().values("call_id"))


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
