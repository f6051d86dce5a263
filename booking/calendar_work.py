"""How a recorded calendar write runs, whether a booking, a move or a cancellation.

The row (BookingRequest, AppointmentChange) is committed before the calendar is asked. Each
claim is one attempt: done; failed for good with a reason staff can read; or kept for a worker
to retry after a backoff, and failed once the attempts are used up. A repeat of the same write
waits for the first and gets its outcome. The rows' life cycle (claim, attempts, backoff, end,
sweep) is askpro.work.RetriedWork's; this adds what the calendar's answers mean.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from django.db.models import F

from askpro.work import RetriedWork, failure_reason, is_transient
from booking.errors import BookingError, ErrorType, failure_from
from booking.models import WorkStatus, is_erased
from core import clock
from integrations.deadline import seconds_left
from integrations.errors import CircuitOpen, IntegrationError, RateLimited, TransientError

logger = logging.getLogger(__name__)
T = TypeVar("T")
AWAIT_SECONDS = 15.0  # how long a repeat waits for the first attempt before saying "in progress"

# Records a permanent failure on the row (and what it concerns); returns the error to raise.
Failed = Callable[[BookingError], BookingError]
# Records a failure that a worker will retry at the given time; returns the error to raise.
Kept = Callable[[BookingError, Exception, datetime], BookingError]


def attempt(
    row, *, work: RetriedWork, act: Callable[[], T], doing: ErrorType, failed: Failed, kept: Kept
) -> T:
    """`act()`'s result, or the BookingError its failure means, recorded by `failed` or `kept`."""
    try:
        return act()
    except BookingError as exc:
        raise failed(exc) from exc
    except IntegrationError as exc:
        error = failure_from(exc, doing=doing)
        if exc.permanent:
            raise failed(error) from exc
        raise _keep(row, work, error, exc, failed, kept) from exc
    except Exception as exc:
        if not is_transient(exc):
            logger.exception("%s %s failed permanently", type(row).__name__, row.pk)
            raise failed(BookingError(ErrorType.EXCEPTION, failure_reason(exc))) from exc
        # The database was busy or away: the write is kept and retried.
        logger.warning("%s %s: transient %s, will retry", type(row).__name__, row.pk, type(exc).__name__)
        unavailable = BookingError(ErrorType.SERVICE_UNAVAILABLE, "Temporarily unavailable.")
        raise _keep(row, work, unavailable, exc, failed, kept) from exc


def _keep(
    row, work: RetriedWork, error: BookingError, exc: Exception, failed: Failed, kept: Kept
) -> BookingError:
    if never_reached(exc):
        # Cal.com never saw it (throttled, its breaker open, no connection): no attempt spent,
        # never given up for it, and tried again once Cal.com lets us (a Retry-After, at least).
        _give_back_attempt(row, work)
        retry_at = work.retry_at(row.attempts) or clock.now()
        wait = getattr(exc, "retry_after", None) or 0
        retry_at = max(retry_at, clock.now() + timedelta(seconds=wait))
    else:
        retry_at = work.retry_at(row.attempts)
    if retry_at is None:
        return failed(replace(error, message=work.gave_up(row.attempts, error.message)))
    queued = replace(error, message=f"{error.message} It is recorded and will be retried.", queued=True)
    return kept(queued, exc, retry_at)


def never_reached(exc: Exception) -> bool:
    """Whether the failed write certainly never reached the calendar: then it spends no attempt,
    and the next one needs no lookup of an earlier one."""
    if isinstance(exc, RateLimited | CircuitOpen):
        return True
    return isinstance(exc, TransientError) and not exc.request_sent


def _give_back_attempt(row, work: RetriedWork) -> None:
    work.model.objects.filter(pk=row.pk, attempts__gt=0).update(attempts=F("attempts") - 1)
    row.attempts = max(0, row.attempts - 1)


def await_first(
    row,
    *,
    work: RetriedWork,
    execute: Callable,
    replay: Callable,
    timeout: float | None = None,
    poll: float = 0.1,
):
    """The outcome of the first of two identical writes, for the second: waits while the first
    is at work, takes the row over if its worker died, retries it if it is waiting to."""
    wait = AWAIT_SECONDS if timeout is None else timeout
    left = seconds_left()  # a live call's re-send answers before Retell gives up on it
    deadline = time.monotonic() + (min(wait, max(0.0, left - 0.2)) if left is not None else wait)
    while row.status == WorkStatus.PROCESSING:
        lease_ran_out = row.lease_until and row.lease_until < clock.now()
        if lease_ran_out and take_over(row, work=work):
            return execute(row)
        if time.monotonic() > deadline:
            break
        time.sleep(poll)
        row.refresh_from_db()
    if row.status == WorkStatus.RETRYING and take_over(row, work=work):
        return execute(row)
    return replay(row)


def refuse_erased(row, doing: ErrorType) -> None:
    """A wish whose details were erased on the person's request cannot be run again: there is
    nothing left to send, and sending it would bring the person back."""
    if is_erased(row.payload):
        raise BookingError(
            doing, "This request's details were erased on the person's request; it cannot be run again."
        )


def take_over(row, *, work: RetriedWork, from_statuses=None) -> bool:
    """Claim a waiting (or abandoned) row for this process, counting the attempt it starts."""
    won = work.claim(row.pk, statuses=from_statuses or [WorkStatus.RETRYING])
    if won:
        row.refresh_from_db()
    return won


def unfinished_or_failed(row, **objects) -> BookingError:
    """What a repeat is told of a row that did not succeed: still at work, or its failure."""
    if row.status == WorkStatus.PROCESSING:
        return BookingError(
            ErrorType.SERVICE_UNAVAILABLE,
            "This is still being processed; please ask again in a moment.",
            in_progress=True,
            **objects,
        )
    if row.result:
        return BookingError.from_envelope(row.result, **objects)
    return BookingError(ErrorType.BOOKING_FAILED, "This is not waiting for a retry.", **objects)
