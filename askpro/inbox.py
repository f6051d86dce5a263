"""Inboxes: every accepted vendor delivery is stored once, before any work, and handed to a
worker after commit (the Retell webhook inbox, the calendar's notices)."""

import logging

from django.db import IntegrityError, connection, transaction

from askpro.queues import enqueue

logger = logging.getLogger(__name__)


def inbox_store(model, *, task: str, queue: str = "webhooks", **fields):
    """(row, True) when new; (None, False) for a repeat of a stored delivery (the model's unique
    constraint says what a repeat is), which changes nothing."""
    try:
        stored = _insert(model, fields)
    except IntegrityError:
        logger.info(
            "duplicate %s for company %s ignored", model.__name__, getattr(fields.get("company"), "pk", "-")
        )
        return None, False
    transaction.on_commit(lambda: _enqueue(task, stored.pk, queue))  # at once in autocommit
    return stored, True


def _insert(model, fields: dict):
    """One INSERT needs no transaction of its own (that would cost two more round trips on the
    acknowledgement path); inside a caller's transaction a savepoint keeps a duplicate from
    aborting it."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return model.objects.create(**fields)
    return model.objects.create(**fields)


def _enqueue(task: str, pk: int, queue: str) -> None:
    try:
        enqueue(task, pk, queue=queue)
    except Exception:  # the row is stored; the sweeper picks it up
        logger.exception("could not enqueue %s %s; the sweeper will", task, pk)
