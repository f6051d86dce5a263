"""How long the work at hand may still take, for every vendor call made inside it.

A live call's function must answer before Retell's tool timeout, or Retell gives up and sends it
again while the caller waits. `deadline_within(seconds)` sets that budget for the enclosed work
(a context variable: per thread and per task; an inner deadline never extends an outer one).
Inside it, each HTTP request gets only the time that is left (integrations/http.py), retries
never wait past it (integrations/retry.py), and a request with no time left is not sent at all.
Outside any deadline (the task worker, commands, admin) nothing changes.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ends_at: ContextVar[float | None] = ContextVar("askpro_deadline", default=None)

# Less than this left: a request could not get an answer in time, so it is not sent.
TOO_LITTLE_TIME = 0.05


@contextmanager
def deadline_within(seconds: float) -> Iterator[None]:
    ends = time.monotonic() + max(0.0, seconds)
    outer = _ends_at.get()
    token = _ends_at.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _ends_at.reset(token)


def seconds_left() -> float | None:
    """Seconds until the deadline (0 or less: passed); None when there is none."""
    ends = _ends_at.get()
    return None if ends is None else ends - time.monotonic()


def too_late_for(seconds: float) -> bool:
    """Whether waiting `seconds` (and then asking again) would overrun the deadline."""
    left = seconds_left()
    return left is not None and seconds + TOO_LITTLE_TIME >= left
