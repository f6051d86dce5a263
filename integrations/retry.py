"""Retry a call to an external service while its failure is transient.

Parameters from shared/DESIGN.md "Resilience parameters": 3 attempts, backoff 1 s, 2 s, 4 s with
jitter, and a 429 waits for the service's Retry-After. Only TransientError and RateLimited are
retried; permanent errors (bad input, slot taken, wrong key) and CircuitOpen (we did not even
call) are raised at once.

This helper does not know what `fn` does. Do not wrap a call that is unsafe to repeat, such as
`CalcomClient.create_booking`: after a TransientError with `request_sent=True` the booking may
exist, so it is looked up instead (shared/contracts/calcom-api.md §3).
"""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from integrations.deadline import too_late_for
from integrations.errors import IntegrationError, RateLimited, TransientError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Up to this fraction of each backoff delay is added at random, so workers that failed together
# do not all come back at the same instant.
JITTER_FRACTION = 0.25


def call_with_retry(
    fn: Callable[[], T],
    *,
    attempts: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 8.0,
    max_retry_after: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """fn()'s result, calling it up to `attempts` times; else the last error is raised.

    Between attempts n and n+1 we wait base_delay * 2**(n-1) (capped at max_delay) plus up to
    JITTER_FRACTION of that. A RateLimited with a retry_after waits exactly that long instead; if
    that is longer than max_retry_after we give up at once rather than hold a caller or a worker.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    attempt = 1
    while True:
        try:
            return fn()
        except (TransientError, RateLimited) as error:
            delay = _delay_before_retry(
                error, attempt, attempts, base_delay, max_delay, max_retry_after, jitter
            )
            if delay is None:
                raise
            _log_retry(error, attempt, attempts, delay)
            sleep(delay)
            attempt += 1


def _delay_before_retry(
    error: IntegrationError,
    attempt: int,
    attempts: int,
    base_delay: float,
    max_delay: float,
    max_retry_after: float,
    jitter: Callable[[], float],
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up now."""
    if attempt >= attempts or error.permanent:
        return None
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        delay = max(0.0, retry_after) if retry_after <= max_retry_after else None
    else:
        backoff = min(max_delay, base_delay * 2 ** (attempt - 1))
        delay = backoff + backoff * JITTER_FRACTION * jitter()
    # Inside a deadline (a live call) a wait that would overrun it is not taken: answer now.
    return None if delay is None or too_late_for(delay) else delay


def _log_retry(error: IntegrationError, attempt: int, attempts: int, delay: float) -> None:
    logger.warning(
        "%s call failed with %s (status=%s, request_id=%s); attempt %d of %d, retrying in %.2f s",
        error.service or "external",
        type(error).__name__,
        error.status,
        error.request_id or "-",
        attempt,
        attempts,
        delay,
    )
