"""The webhook inbox: store each delivery once, hand it to a worker after commit."""

import logging

from django.db import IntegrityError, connection, transaction

from askpro.queues import enqueue
from telephony.models import WebhookEvent

logger = logging.getLogger(__name__)
PROCESS_TASK = "telephony.tasks.process_webhook_event"


def webhook_event_record(*, company, event: str, call_id: str, body: str) -> tuple[WebhookEvent | None, bool]:
    """(event, True) when new; (None, False) for a duplicate delivery, which changes nothing."""
    try:
        stored = _insert(company=company, event=event, call_id=call_id, body=body)
    except IntegrityError:
        logger.info("duplicate %s for call %s (company %s) ignored", event, call_id, company.pk)
        return None, False
    transaction.on_commit(lambda: _enqueue(stored.pk))  # at once in autocommit; else after commit
    return stored, True


def _insert(**fields) -> WebhookEvent:
    """One INSERT needs no transaction of its own (that would cost two more round trips on the
    acknowledgement path); inside a caller's transaction a savepoint keeps a duplicate from
    aborting it."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return WebhookEvent.objects.create(**fields)
    return WebhookEvent.objects.create(**fields)


def _enqueue(event_id: int) -> None:
    try:
        enqueue(PROCESS_TASK, event_id, queue="webhooks")
    except Exception:  # the row is stored; the sweeper picks it up
        logger.exception("could not enqueue webhook event %s; the sweeper will", event_id)
