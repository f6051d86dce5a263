"""call_with_retry: which failures are retried, how long it waits, when it gives up.

Parameters from shared/DESIGN.md "Resilience parameters" (3 attempts, 1 s / 2 s / 4 s with jitter,
429 waits for Retry-After). Sleep and jitter are injected: no test ever sleeps.
"""

import logging

import pytest

from integrations.errors import (
    AuthError,
    BadRequest,
    CircuitOpen,
    NotFound,
    OutOfBounds,
    RateLimited,
    SlotUnavailable,
    TransientError,
)
from integrations.retry import call_with_retry


class FakeSleep:
    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Script:
    """A callable that raises the given errors in turn, then returns "ok"."""

    def __init__(self, *outcomes: Exception):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.outcomes:
            raise self.outcomes.pop(0)
        return "ok"


def timeout(n: int = 0) -> TransientError:
    return TransientError(f"timeout {n}", service="calcom", request_sent=False)


@pytest.fixture
def sleep():
    return FakeSleep()


def no_jitter() -> float:
    return 0.0


def test_a_first_time_success_returns_without_sleeping(sleep):
    fn = Script()

    assert call_with_retry(fn, sleep=sleep, jitter=no_jitter) == "ok"
    assert (fn.calls, sleep.delays) == (1, [])


def test_transient_errors_back_off_1_2_4_seconds(sleep):
    fn = Script(timeout(1), timeout(2), timeout(3))

    result = call_with_retry(fn, attempts=4, sleep=sleep, jitter=no_jitter)

    assert result == "ok"
    assert sleep.delays == [1.0, 2.0, 4.0]


def test_gives_up_after_three_attempts_and_raises_the_last_error(sleep):
    last = timeout(3)
    fn = Script(timeout(1), timeout(2), last, timeout(4))

    with pytest.raises(TransientError) as raised:
        call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    assert raised.value is last
    assert fn.calls == 3
    assert sleep.delays == [1.0, 2.0]


def test_jitter_adds_up_to_a_quarter_of_each_delay(sleep):
    fn = Script(timeout(1), timeout(2))

    call_with_retry(fn, sleep=sleep, jitter=lambda: 1.0)

    assert sleep.delays == [1.25, 2.5]


def test_backoff_is_capped_at_max_delay(sleep):
    fn = Script(*(timeout(n) for n in range(5)))

    call_with_retry(fn, attempts=6, max_delay=4.0, sleep=sleep, jitter=no_jitter)

    assert sleep.delays == [1.0, 2.0, 4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("bad input", service="calcom", status=400),
        SlotUnavailable("taken", service="calcom", status=400),
        OutOfBounds("too soon", service="calcom", status=400),
        NotFound("no such event type", service="calcom", status=404),
        AuthError("wrong key", service="calcom", status=401),
        TransientError("marked permanent by its raiser", permanent=True),
    ],
    ids=lambda error: type(error).__name__,
)
def test_permanent_errors_are_raised_at_once(sleep, error):
    fn = Script(error)

    with pytest.raises(type(error)):
        call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    assert (fn.calls, sleep.delays) == (1, [])


def test_an_open_circuit_is_not_retried(sleep):
    """CircuitOpen means we did not call at all; retrying would just hammer the breaker."""
    fn = Script(CircuitOpen("calcom breaker open", service="calcom"))

    with pytest.raises(CircuitOpen):
        call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    assert (fn.calls, sleep.delays) == (1, [])


def test_other_exceptions_propagate_untouched(sleep):
    fn = Script(KeyError("data"))

    with pytest.raises(KeyError):
        call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    assert fn.calls == 1


def test_rate_limited_waits_exactly_its_retry_after(sleep):
    fn = Script(RateLimited("429", service="calcom", status=429, retry_after=7.0))

    assert call_with_retry(fn, sleep=sleep, jitter=lambda: 1.0) == "ok"
    assert sleep.delays == [7.0]


def test_rate_limited_without_retry_after_backs_off_like_any_transient_error(sleep):
    fn = Script(RateLimited("429", service="calcom", status=429, retry_after=None))

    call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    assert sleep.delays == [1.0]


def test_a_retry_after_beyond_the_bound_is_raised_at_once(sleep):
    """Holding a live call or a worker for minutes is worse than failing now."""
    fn = Script(RateLimited("429", service="calcom", status=429, retry_after=120.0))

    with pytest.raises(RateLimited):
        call_with_retry(fn, max_retry_after=30.0, sleep=sleep, jitter=no_jitter)

    assert (fn.calls, sleep.delays) == (1, [])


def test_each_retry_is_logged_with_attempt_and_delay(sleep, caplog):
    fn = Script(TransientError("502", service="calcom", status=502, request_id="req-1"))

    with caplog.at_level(logging.WARNING, logger="integrations.retry"):
        call_with_retry(fn, sleep=sleep, jitter=no_jitter)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "calcom call failed with TransientError (status=502, request_id=req-1); "
        "attempt 1 of 3, retrying in 1.00 s"
    )


def test_attempts_must_be_at_least_one():
    with pytest.raises(ValueError):
        call_with_retry(Script(), attempts=0)
