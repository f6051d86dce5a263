"""The webhook inbox: store each delivery once, hand it to a worker after commit."""

import logging

from django.db import IntegrityError, transaction

from askpro.queues import enqueue
from telephony.models import WebhookEvent

logger = logging.getLogger(__name__)
PROCESS_TASK = "telephony.tasks.process_webhook_event"


def webhook_event_record(*, company, event: str, call_id: str, body: str) -> tuple[WebhookEvent | None, bool]:
    """(event, True) when new; (None, False) for a duplicate delivery, which changes nothing."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(company=company, event=event, call_id=call_id, body=body)
            transaction.on_commit(lambda: _enqueue(stored.pk))
    except IntegrityError:
        logger.info("duplicate %s for call %s (company %s) ignored", event, call_id, company.pk)
        return None, False
    return stored, True


def _enqueue(event_id: int) -> None:
    try:
        enqueue(PROCESS_TASK, event_id, queue="webhooks")
    except Exception:  # the row is stored; the sweeper picks it up
        logger.exception("could not enqueue webhook event %s; the sweeper will", event_id)
