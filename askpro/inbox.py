"""Inboxes: every accepted vendor delivery is stored once, before any work, and handed to a
worker after commit (the Retell webhook inbox, the calendar's notices)."""

import logging
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q

from askpro.queues import enqueue
from askpro.work import RetriedWork
from core import clock
from core.rows import row_insert

logger = logging.getLogger(__name__)
# A delivery the queue took is the worker's, however long the backlog: the sweeper takes it back
# only when the queue could not take it (at once), or after this long (the broker lost it).
# Taking back merely waiting rows would put the same work in the queue twice (#15).
QUEUE_LOST_AFTER = timedelta(minutes=10)


def inbox_work(model, *, processing: str, retrying: str, done: str, failed: str) -> RetriedWork:
    """How every inbox's rows are worked and retried: one lease above the webhooks queue's 60 s
    task timeout, WEBHOOK_MAX_ATTEMPTS tries with WEBHOOK_RETRY_BASE_SECONDS backoff, and the
    end time kept in `processed_at`. The model names its own statuses."""
    return RetriedWork(
        model,
        processing=processing,
        retrying=retrying,
        done=done,
        failed=failed,
        lease=timedelta(minutes=3),
        max_attempts_setting="WEBHOOK_MAX_ATTEMPTS",
        base_seconds_setting="WEBHOOK_RETRY_BASE_SECONDS",
        finished_at_field="processed_at",
    )


def inbox_store(model, *, task: str, queue: str = "webhooks", **fields):
    """(row, True) when new; (None, False) for a repeat of a stored delivery (the model's unique
    constraint says what a repeat is), which changes nothing."""
    try:
        stored = row_insert(model, **fields)  # one INSERT, no transaction of its own (core.rows)
    except IntegrityError:
        logger.info(
            "duplicate %s for company %s ignored", model.__name__, getattr(fields.get("company"), "pk", "-")
        )
        return None, False
    transaction.on_commit(lambda: _enqueue(model, task, stored.pk, queue))  # at once in autocommit
    return stored, True


def _enqueue(model, task: str, pk: int, queue: str) -> None:
    try:
        enqueue(task, pk, queue=queue)
    except Exception:  # the row is stored; the sweeper picks it up at its next run
        logger.exception("could not enqueue %s %s; the sweeper will", task, pk)
        try:
            model.objects.filter(pk=pk).update(next_attempt_at=clock.now())
        except DatabaseError:  # then QUEUE_LOST_AFTER brings it back
            logger.warning("could not mark %s %s for the sweeper", model.__name__, pk)


def not_in_queue(received_status: str, *, stored_at: str = "received_at") -> Q:
    """Stored rows no worker will get from the queue: the queue refused them, or lost them."""
    now = clock.now()
    # Refused, or handed back by a sweep that long ago and still not taken (inbox_requeue).
    refused = Q(status=received_status, next_attempt_at__lte=now)
    lost = Q(
        status=received_status, next_attempt_at__isnull=True, **{f"{stored_at}__lt": now - QUEUE_LOST_AFTER}
    )
    return refused | lost


def inbox_requeue(model, due: list[int], *, task: str, queue: str, received_status: str) -> int:
    """The sweepers' one step: hand `due` rows (model.pk) to the queue again. A stored row
    handed back counts as queued for QUEUE_LOST_AFTER, so a backlog does not get it queued
    again every minute."""
    for pk in due:
        enqueue(task, pk, queue=queue)
    model.objects.filter(pk__in=due, status=received_status).update(
        next_attempt_at=clock.now() + QUEUE_LOST_AFTER
    )
    if due:
        logger.info("re-queued %d %s rows", len(due), model.__name__)
    return len(due)


PRUNE_BATCH = 5000  # rows per DELETE: short transactions, however large the backlog of old rows


def inbox_prune(model, *, done_status: str, stored_at: str) -> int:
    """Delete rows that ended well more than INBOX_KEEP_DAYS ago, in batches; failed and waiting
    rows stay for staff. Keeps the inboxes (and their indexes) the size of recent traffic (#15);
    what a processed row held lives on in the calls and appointments it made. Personal data goes
    by each company's own, possibly shorter, period, failed rows' too: privacy.retention (#14)."""
    from django.conf import settings

    cutoff = clock.now() - timedelta(days=settings.INBOX_KEEP_DAYS)
    # Served by the model's (status, stored_at) index, oldest first.
    old = model.objects.filter(status=done_status, **{f"{stored_at}__lt": cutoff}).order_by(stored_at)
    removed = 0
    while batch := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        removed += model.objects.filter(pk__in=batch).delete()[0]
    if removed:
        logger.info("pruned %d %s rows older than %d days", removed, model.__name__, settings.INBOX_KEEP_DAYS)
    return removed
