import threading
from datetime import timedelta

import pytest
from django.db import connection

from integrations.breaker import CircuitBreaker, breaker_for
from integrations.errors import (
    AuthError,
    BadRequest,
    CircuitOpen,
    NotFound,
    RateLimited,
    SlotUnavailable,
    TransientError,
)
from integrations.models import CircuitBreakerState
from tests import timeline

CONFIG = {
    "failure_threshold": 5,
    "open_seconds": 60,
    "half_open_max_probes": 3,
    "success_threshold": 2,
}


class FakeClock:
    """A clock the test moves by hand, so no test ever sleeps; it starts at the pinned now."""

    def __init__(self):
        self.now = timeline.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker("calcom", config=CONFIG, clock=clock)


def ok():
    return "ok"


def timeout():
    raise TransientError("read timed out", service="calcom")


def fail(breaker, times=1):
    for _ in range(times):
        with pytest.raises(TransientError):
            breaker.call(timeout)


def open_breaker(breaker, clock, *, wait_over=False):
    fail(breaker, times=CONFIG["failure_threshold"])
    if wait_over:
        clock.advance(CONFIG["open_seconds"])


@pytest.mark.django_db
class TestClosed:
    def test_opens_at_the_fifth_consecutive_transient_failure_not_the_fourth(self, breaker):
        fail(breaker, times=4)
        assert breaker.state() == "closed"

        fail(breaker)
        assert breaker.state() == "open"

    def test_a_success_resets_the_failure_count(self, breaker):
        fail(breaker, times=4)
        assert breaker.call(ok) == "ok"
        fail(breaker, times=4)

        assert breaker.snapshot()["failure_count"] == 4
        assert breaker.state() == "closed"

    @pytest.mark.parametrize("error", [BadRequest, SlotUnavailable, NotFound, AuthError, RateLimited])
    def test_client_errors_never_trip_it(self, breaker, error):
        def rejected():
            raise error("no", service="calcom", status=400)

        for _ in range(20):
            with pytest.raises(error):
                breaker.call(rejected)

        assert breaker.state() == "closed"

    def test_a_client_error_ends_a_run_of_failures(self, breaker):
        fail(breaker, times=4)
        with pytest.raises(SlotUnavailable):
            breaker.call(_raise, SlotUnavailable("taken", service="calcom", status=409))

        assert breaker.snapshot()["failure_count"] == 0

    def test_our_own_bugs_count_neither_way(self, breaker):
        fail(breaker, times=4)
        with pytest.raises(ValueError):
            breaker.call(_raise, ValueError("bug"))

        assert breaker.snapshot()["failure_count"] == 4

    def test_a_healthy_call_writes_nothing(self, breaker, clock):
        breaker.call(ok)  # creates the row
        before = CircuitBreakerState.objects.get().updated_at
        clock.advance(1)

        assert breaker.call(ok) == "ok"

        assert CircuitBreakerState.objects.get().updated_at == before

    def test_passes_arguments_through(self, breaker):
        assert breaker.call(lambda a, *, b: a + b, 1, b=2) == 3


@pytest.mark.django_db
class TestOpen:
    def test_fails_fast_without_calling_the_service(self, breaker, clock):
        open_breaker(breaker, clock)
        calls = []

        with pytest.raises(CircuitOpen) as excinfo:
            breaker.call(calls.append, "called")

        assert calls == []
        assert excinfo.value.service == "calcom"
        assert excinfo.value.permanent is False

    def test_turns_half_open_only_after_open_seconds(self, breaker, clock):
        open_breaker(breaker, clock)

        clock.advance(59)
        assert breaker.state() == "open"
        with pytest.raises(CircuitOpen):
            breaker.call(ok)

        clock.advance(1)
        assert breaker.state() == "half_open"
        assert breaker.call(ok) == "ok"

    def test_breakers_are_per_service(self, breaker, clock):
        open_breaker(breaker, clock)

        retell = CircuitBreaker("retell", config=CONFIG, clock=clock)
        assert retell.call(ok) == "ok"
        assert retell.state() == "closed"


@pytest.mark.django_db
class TestHalfOpen:
    def test_admits_at_most_three_probes_at_once(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)

        permits = [breaker._acquire() for _ in range(3)]
        with pytest.raises(CircuitOpen):
            breaker._acquire()

        breaker._release(permits.pop())
        permits.append(breaker._acquire())
        assert breaker.snapshot()["half_open_probes"] == 3

    def test_two_probe_successes_close_it(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)

        breaker.call(ok)
        assert breaker.state() == "half_open"
        breaker.call(ok)

        assert breaker.snapshot() == {
            "service": "calcom",
            "state": "closed",
            "failure_count": 0,
            "success_count": 0,
            "half_open_probes": 0,
            "opened_at": None,
        }

    def test_a_client_error_counts_as_a_probe_success(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)

        for _ in range(2):
            with pytest.raises(BadRequest):
                breaker.call(_raise, BadRequest("bad", service="calcom", status=400))

        assert breaker.state() == "closed"

    def test_a_failed_probe_reopens_it_for_another_full_wait(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)
        breaker.call(ok)

        fail(breaker)

        snapshot = breaker.snapshot()
        assert snapshot["state"] == "open"
        assert snapshot["opened_at"] == clock.now
        assert (snapshot["success_count"], snapshot["half_open_probes"]) == (0, 0)
        clock.advance(59)
        with pytest.raises(CircuitOpen):
            breaker.call(ok)
        clock.advance(1)
        assert breaker.call(ok) == "ok"

    def test_our_own_bug_in_a_probe_only_frees_its_slot(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)

        for _ in range(5):
            with pytest.raises(ValueError):
                breaker.call(_raise, ValueError("bug"))

        snapshot = breaker.snapshot()
        assert snapshot["state"] == "half_open"
        assert (snapshot["success_count"], snapshot["half_open_probes"]) == (0, 0)

    def test_slots_of_probes_that_never_finished_are_reclaimed(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)
        dead = [breaker._acquire() for _ in range(3)]  # their workers died mid-call

        clock.advance(59)
        with pytest.raises(CircuitOpen):
            breaker.call(ok)
        clock.advance(1)
        assert breaker.call(ok) == "ok"

        breaker._release(dead[0])  # a late finisher cannot free a slot of the new period
        assert breaker.snapshot()["half_open_probes"] == 0
        breaker._record_success(dead[1])
        assert breaker.snapshot()["success_count"] == 1
        assert breaker.state() == "half_open"

    def test_a_probe_finishing_after_the_breaker_reopened_changes_nothing(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)
        slow = breaker._acquire()
        clock.advance(1)
        fail(breaker)

        breaker._record_success(slow)

        snapshot = breaker.snapshot()
        assert snapshot["state"] == "open"
        assert snapshot["opened_at"] == clock.now


@pytest.mark.django_db
class TestStatusAndReset:
    def test_reset_forces_it_closed(self, breaker, clock):
        open_breaker(breaker, clock)

        breaker.reset()

        assert breaker.state() == "closed"
        assert breaker.snapshot()["failure_count"] == 0
        assert breaker.call(ok) == "ok"

    def test_reset_of_an_unused_breaker_creates_a_closed_row(self, breaker):
        breaker.reset()

        assert CircuitBreakerState.objects.get(service="calcom").state == "closed"

    def test_reading_the_state_writes_nothing(self, breaker, clock):
        assert breaker.state() == "closed"
        assert breaker.snapshot()["opened_at"] is None
        assert not CircuitBreakerState.objects.exists()

        open_breaker(breaker, clock, wait_over=True)
        assert breaker.state() == "half_open"
        assert CircuitBreakerState.objects.get().state == "open"

    def test_snapshot_of_an_open_breaker(self, breaker, clock):
        open_breaker(breaker, clock)

        assert breaker.snapshot() == {
            "service": "calcom",
            "state": "open",
            "failure_count": 5,
            "success_count": 0,
            "half_open_probes": 0,
            "opened_at": clock.now,
        }

    def test_breaker_for_reads_the_settings(self, settings):
        settings.CIRCUIT_BREAKER = {**CONFIG, "failure_threshold": 7}

        breaker = breaker_for("retell")

        assert breaker.service == "retell"
        assert breaker.config.failure_threshold == 7
        assert breaker.config.half_open_max_probes == 3


class TestConcurrency:
    """Real workers, each on its own connection: only the database keeps them honest (on
    PostgreSQL by row locks, on SQLite by its one writer at a time, IMMEDIATE transactions)."""

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_ten_callers_at_once_get_exactly_three_probes(self, breaker, clock):
        open_breaker(breaker, clock, wait_over=True)
        service = BlockingService(callers=10)

        outcomes = run_at_once(10, lambda: service.call_through(breaker))

        assert service.max_in_flight == 3
        assert sorted(outcomes) == ["CircuitOpen"] * 7 + ["ok"] * 3
        assert breaker.state() == "closed"

    def test_ten_failures_at_once_all_count(self, clock):
        config = {**CONFIG, "failure_threshold": 10}
        breaker = CircuitBreaker("calcom", config=config, clock=clock)

        outcomes = run_at_once(10, lambda: breaker.call(timeout))

        assert outcomes == ["TransientError"] * 10
        snapshot = breaker.snapshot()
        assert (snapshot["state"], snapshot["failure_count"]) == ("open", 10)


def _raise(error):
    raise error


class BlockingService:
    """Holds every admitted call until all callers are either inside or turned away."""

    def __init__(self, *, callers: int):
        self.callers = callers
        self.lock = threading.Lock()
        self.everyone_arrived = threading.Event()
        self.in_flight = self.max_in_flight = self.turned_away = 0

    def call_through(self, breaker):
        try:
            return breaker.call(self._answer)
        except CircuitOpen:
            self._arrived(turned_away=1)
            raise

    def _answer(self):
        self._arrived(in_flight=1)
        self.everyone_arrived.wait(timeout=10)
        with self.lock:
            self.in_flight -= 1
        return "ok"

    def _arrived(self, *, in_flight=0, turned_away=0):
        with self.lock:
            self.in_flight += in_flight
            self.turned_away += turned_away
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight + self.turned_away == self.callers:
                self.everyone_arrived.set()


def run_at_once(n, work):
    """Run `work` in n threads released together by a barrier; return each outcome."""
    barrier = threading.Barrier(n)
    outcomes = []

    def worker():
        try:
            barrier.wait(timeout=10)
            try:
                outcomes.append(work())
            except Exception as error:
                outcomes.append(type(error).__name__)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db
def test_a_429_neither_closes_a_half_open_breaker_nor_trips_a_closed_one(breaker, clock):
    """Rate limited means up but not serving us now: no success, no failure (#13)."""
    open_breaker(breaker, clock, wait_over=True)
    for _ in range(5):
        with pytest.raises(RateLimited):
            breaker.call(_raise, RateLimited("slow down", service="calcom", status=429, retry_after=20))
    snapshot = breaker.snapshot()
    assert snapshot["state"] == "half_open" and snapshot["success_count"] == 0
    assert snapshot["half_open_probes"] == 0  # each gave its probe slot back
