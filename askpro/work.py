"""Retried work rows: one life cycle for booking requests and webhook events (and the Cal.com
inbox and the notification outbox).

- claim: one conditional UPDATE to "processing" under a lease, so two workers never both win;
  a worker that dies leaves a lease that runs out, after which anyone may take the row over;
- attempt: the row counts it before the work starts;
- end: done; failed (a permanent error, or given up after the maximum attempts); or waiting to
  retry base, 2 x base, 4 x base ... seconds later (a transient error, `is_transient`);
- sweep: due retries and rows whose lease ran out, oldest first; admin and commands replay;
- run: for an inbox row, the handler's outcome recorded the same way for every inbox.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, connections, models, router
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import clock, rows

logger = logging.getLogger(__name__)


class WorkRow(models.Model):
    """The fields RetriedWork runs a model's rows on; the model adds `status` (its own choices)
    and `updated_at`."""

    result = models.JSONField(_("result"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # A claim older than this is considered abandoned (its worker died) and may be taken over.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    class Meta:
        abstract = True


class RetryLater(Exception):
    """Raised by work that cannot finish now but may later (a service away or busy)."""

    retry_later = True


class PermanentFailure(Exception):
    """Raised by work that will fail the same way every time; the message is for staff."""

    permanent = True


def take_over(model, *, pk, statuses, processing: str, lease: timedelta) -> bool:
    """Move row `pk` from one of `statuses` (or an expired PROCESSING lease) to `processing`,
    counting the attempt it starts."""
    return taken_over(model, pk=pk, statuses=statuses, processing=processing, lease=lease) is not None


def taken_over(model, *, pk, statuses, processing: str, lease: timedelta):
    """`take_over`, returning the row as the claim left it (None if another worker has it): one
    `UPDATE … RETURNING` instead of the claim and a read of the row after it, its SQL built
    once per model and number of statuses (core.rows; #15: PostgreSQL, and SQLite from 3.35)."""
    now, alias = clock.now(), router.db_for_write(model)
    connection = connections[alias]
    status = functools.partial(model._meta.get_field("status").get_db_prep_value, connection=connection)
    moment = functools.partial(model._meta.get_field("lease_until").get_db_prep_value, connection=connection)
    params = [
        *(status(processing), moment(now + lease), moment(now)),  # SET
        model._meta.pk.get_db_prep_value(pk, connection),  # WHERE
        *(status(value) for value in statuses),
        *(status(processing), moment(now)),  # or an expired lease
    ]
    with rows.cursor_for(connection) as cursor:
        cursor.execute(_claim_sql(model, len(statuses)), params)
        # Read to the end: SQLite completes the statement, and its write, only then.
        claimed = cursor.fetchall()
    return rows.from_row(model, claimed[0], alias) if claimed else None


@functools.cache
def _claim_sql(model, statuses: int) -> str:
    status, lease_until = rows.column(model, "status"), rows.column(model, "lease_until")
    attempts = rows.column(model, "attempts")
    return (
        f"UPDATE {rows.table(model)} SET {status} = %s, {lease_until} = %s, "  # noqa: S608 -- see core.rows
        f"{attempts} = {attempts} + 1, {rows.column(model, 'updated_at')} = %s "
        f"WHERE {rows.column(model, model._meta.pk.name)} = %s "
        f"AND ({status} IN ({', '.join(['%s'] * statuses)}) OR ({status} = %s AND {lease_until} < %s)) "
        f"RETURNING {rows.column_list(model)}"
    )


def due_ids(model, *, retrying: str, processing: str, limit: int = 200, extra: Q | None = None) -> list[int]:
    """Rows whose retry time has come or whose worker's lease ran out, oldest first."""
    now = clock.now()
    due = Q(status=retrying, next_attempt_at__lte=now) | Q(status=processing, lease_until__lt=now)
    if extra is not None:
        due |= extra
    # Oldest first, but not by walking the primary key: with ORDER BY id LIMIT, PostgreSQL
    # expects many due rows and walks a million-row inbox in id order to find five (255 ms,
    # bench/large_db.py). Sorting the few rows the status indexes find costs 1-3 ms.
    oldest_first = model.objects.filter(due).alias(age=F("pk") + 0).order_by("age")
    return list(oldest_first.values_list("pk", flat=True)[:limit])


def backoff_seconds(attempt: int, *, base: int, cap: int = 3600) -> int:
    """base, 2*base, 4*base, ... for attempts 1, 2, 3, ..., at most `cap`."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same work again later may succeed: the one rule every retried row uses.

    Transient: an external service that failed in a way that may pass (its error says so), work
    that asks to be retried (`retry_later = True`), and a database that is busy or unreachable.
    Everything else (bad data, a wish in the past, a bug) fails the same way each time: the row
    is failed at once with its reason instead of being retried for hours.
    """
    if getattr(exc, "retry_later", False):
        return True
    permanent = getattr(exc, "permanent", None)
    if isinstance(permanent, bool):
        return not permanent
    return isinstance(exc, OperationalError | InterfaceError)


def failure_reason(exc: BaseException) -> str:
    """What staff read about a permanent failure, in plain words."""
    if isinstance(exc, ValidationError):
        return "The data is invalid: " + "; ".join(exc.messages)
    if isinstance(exc, DataError | IntegrityError):
        return f"The data cannot be stored ({type(exc).__name__}: {exc})."
    return f"Unexpected error ({type(exc).__name__}: {exc}); it is logged. Replay once it is fixed."


@dataclass(frozen=True)
class RetriedWork:
    """The life cycle of one model's work rows (a WorkRow with `status` and `updated_at`); the
    limits are read from settings when used (`max_attempts_setting`, `base_seconds_setting`)."""

    model: type
    processing: str
    retrying: str
    done: str
    failed: str
    lease: timedelta
    max_attempts_setting: str
    base_seconds_setting: str
    finished_at_field: str = ""  # set to the end time when a row ends done or failed

    def claim(self, pk, *, statuses) -> bool:
        return take_over(self.model, pk=pk, statuses=statuses, processing=self.processing, lease=self.lease)

    def claimed(self, pk, *, statuses):
        """The row, claimed for this worker; None if it is not claimable now."""
        return taken_over(self.model, pk=pk, statuses=statuses, processing=self.processing, lease=self.lease)

    def retry_at(self, attempts: int) -> datetime | None:
        """When to try again after attempt number `attempts` failed transiently; None: give up."""
        if attempts >= getattr(settings, self.max_attempts_setting):
            return None
        base = getattr(settings, self.base_seconds_setting)
        return clock.now() + timedelta(seconds=backoff_seconds(attempts, base=base))

    @staticmethod
    def gave_up(attempts: int, reason: str) -> str:
        return f"Gave up after {attempts} attempts: {reason}"

    def end(
        self, row, status: str, *, result, last_error: str = "", retry_at: datetime | None = None
    ) -> None:
        """Record how an attempt ended and release the lease, on the row and on the object."""
        now = clock.now()
        fields = {
            "status": status,
            "result": result,
            "last_error": last_error[:2000],
            "lease_until": None,
            "next_attempt_at": retry_at,
            "updated_at": now,
        }
        if self.finished_at_field and status in (self.done, self.failed):
            fields[self.finished_at_field] = now
        rows.update(self.model, row.pk, **fields)
        for name, value in fields.items():
            setattr(row, name, value)

    def run(self, row, handle: Callable, *, failure_result: Callable, ended: Callable | None = None) -> dict:
        """Run `handle(row)` on a claimed row and record how it ended: done with the result it
        returned; failed at once, with its reason, for a permanent error; kept for a retry
        after a backoff for a transient one, failed once the attempts are used up.
        `failure_result(row, reason)` is what a failure stores; `ended(row, status)` is told
        every outcome (metrics)."""
        try:
            result = handle(row)
        except Exception as exc:
            return self._record_failure(row, exc, failure_result, ended)
        self.end(row, self.done, result=result)
        if ended:
            ended(row, self.done)
        return result

    def _record_failure(self, row, exc: Exception, failure_result: Callable, ended: Callable | None) -> dict:
        name = f"{self.model.__name__} {row.pk}"
        if is_transient(exc):
            logger.warning("%s: transient %s, will retry", name, type(exc).__name__)
            reason = str(exc) if isinstance(exc, RetryLater) else f"{type(exc).__name__}: {exc}"
            retry_at = self.retry_at(row.attempts)
            if retry_at is not None:
                result = failure_result(row, f"Will retry: {reason}")
                self.end(row, self.retrying, result=result, last_error=reason, retry_at=retry_at)
                if ended:
                    ended(row, self.retrying)
                return result
            reason = self.gave_up(row.attempts, reason)
        elif isinstance(exc, PermanentFailure):
            reason = str(exc)
        else:
            logger.exception("%s failed permanently", name)
            reason = failure_reason(exc)
        result = failure_result(row, reason)
        self.end(row, self.failed, result=result, last_error=reason)
        if ended:
            ended(row, self.failed)
        return result

    def due(self, *, extra: Q | None = None, limit: int = 200) -> list[int]:
        return due_ids(
            self.model, retrying=self.retrying, processing=self.processing, limit=limit, extra=extra
        )
