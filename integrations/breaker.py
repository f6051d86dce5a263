"""A circuit breaker per external service, shared by every process and machine.

When Cal.com or Retell is down, each call would otherwise wait for its timeout while a caller
is on the phone. After `failure_threshold` consecutive transient failures the breaker opens and
calls fail fast with `CircuitOpen`; after `open_seconds` a few probe calls may pass (half-open);
`success_threshold` probe successes close it again, one failed probe re-opens it.

The state lives in one `CircuitBreakerState` row per service, so a web worker and a queue worker
on another machine see the same breaker. Every change is a conditional UPDATE
(`filter(state=..., ...).update(count=F(...) + 1)`): the database serialises concurrent writers,
so no count is lost and no two workers both win a transition. Nothing is read, changed in Python
and written back.

`opened_at` marks when the current period began: the time the breaker opened while OPEN, the
time probing began while HALF_OPEN. The latter doubles as the probe generation: a probe only
updates the half-open period it was admitted to, so a probe that finishes after the breaker
re-opened (or was reclaimed, see `_start_probing`) cannot free a slot it does not hold.

Caveat: call the breaker outside `transaction.atomic`. Inside one, its writes would be rolled
back with the caller's transaction and its row lock held until the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F, Q

from core import clock
from core.rows import first_where
from integrations.errors import CircuitOpen, DeadlinePassed, IntegrationError, RateLimited, TransientError
from integrations.models import BreakerState, CircuitBreakerState

T = TypeVar("T")
Clock = Callable[[], datetime]
PROBES_OUT_WAIT = 5.0  # half open with every probe slot taken: ask again in a moment

# Field values that mean "closed, nothing counted": used by a closing probe and by reset().
_CLOSED = {
    "state": BreakerState.CLOSED,
    "failure_count": 0,
    "success_count": 0,
    "half_open_probes": 0,
    "opened_at": None,
}


@dataclass(frozen=True)
class BreakerConfig:
    """The resilience parameters of DESIGN.md, read from settings.CIRCUIT_BREAKER."""

    failure_threshold: int
    open_seconds: int
    half_open_max_probes: int
    success_threshold: int

    @classmethod
    def from_settings(cls, overrides: dict | None = None) -> BreakerConfig:
        return cls(**{**settings.CIRCUIT_BREAKER, **(overrides or {})})


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; a probe also holds one of the half-open slots of `generation`.
    `failures_seen` is the closed breaker's count when the call was let through."""

    probe: bool = False
    generation: datetime | None = None
    failures_seen: int = 0


class CircuitBreaker:
    """Guards calls to one external service; see the module docstring for the rules."""

    # `clock` is the one clock unless a test passes one it moves by hand.
    def __init__(self, service: str, *, config: dict | None = None, clock: Clock = clock.now):
        self.service = service
        self.config = BreakerConfig.from_settings(config)
        self._clock = clock

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.service!r})"

    # --- Public API ----------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call `fn(*args, **kwargs)` if the breaker lets us, and record how it went.

        Raises `CircuitOpen` without calling `fn` while the service is considered down.
        """
        permit = self._acquire()
        try:
            result = fn(*args, **kwargs)
        except DeadlinePassed:
            self._release(permit)  # our clock, not the service's health
            raise
        except TransientError:
            self._record_failure(permit)
            raise
        except (CircuitOpen, RateLimited):
            # Another breaker's verdict says nothing about this service; a 429 says it is up but
            # not serving us now: neither a success that could close a half-open breaker, nor a
            # failure that trips it.
            self._release(permit)
            raise
        except IntegrationError:
            # A 4xx (bad request, slot taken, not found, wrong key) is an answer:
            # the service is up. Counting it as a success lets a half-open breaker close on it
            # and keeps client errors from ever tripping the breaker.
            self._record_success(permit)
            raise
        except BaseException:
            # Our own bug (or a shutdown) proves nothing either way: give the slot back only.
            self._release(permit)
            raise
        self._record_success(permit)
        return result

    def state(self) -> str:
        """The current state, showing OPEN as HALF_OPEN once its wait is over (read-only)."""
        return self.snapshot()["state"]

    def reset(self) -> None:
        """Force the breaker closed, e.g. from a staff command once the vendor is back."""
        self._row()
        self._update(Q(), **_CLOSED)

    def snapshot(self) -> dict:
        """State, counts and `opened_at` for a status command; creates no row."""
        row = CircuitBreakerState.objects.filter(service=self.service).first()
        if row is None:
            row = CircuitBreakerState(service=self.service)
        state = row.state
        if state == BreakerState.OPEN and self._wait_is_over(row.opened_at):
            state = BreakerState.HALF_OPEN  # what the next caller will find
        return {
            "service": self.service,
            "state": state,
            "failure_count": row.failure_count,
            "success_count": row.success_count,
            "half_open_probes": row.half_open_probes,
            "opened_at": row.opened_at,
        }

    # --- Admission -----------------------------------------------------------------------------

    def _acquire(self) -> Permit:
        """A permit to call the service, or `CircuitOpen` when the breaker says no.

        CLOSED, and OPEN within its wait, cost one SELECT. When another worker moves OPEN ->
        HALF_OPEN between our read and our UPDATE we look once more, so the remaining probe
        slots still get used.
        """
        for _attempt in range(2):
            row = self._row()
            if row.state == BreakerState.CLOSED:
                return Permit(failures_seen=row.failure_count)
            if row.state == BreakerState.OPEN and not self._wait_is_over(row.opened_at):
                break
            permit = self._claim_probe(row) or self._start_probing()
            if permit is not None:
                return permit
            if row.state != BreakerState.OPEN:
                break
        raise CircuitOpen(
            f"Circuit breaker for {self.service} is open",
            service=self.service,
            retry_after=self._wait_left(row),
        )

    def _wait_left(self, row: CircuitBreakerState) -> float:
        """Seconds until an open breaker lets a probe through; a few while the probes are out."""
        if row.state == BreakerState.OPEN and row.opened_at is not None:
            left = (row.opened_at + self._open_for - self._clock()).total_seconds()
            return max(1.0, left)
        return PROBES_OUT_WAIT

    def _claim_probe(self, row: CircuitBreakerState) -> Permit | None:
        """Take a free half-open slot of the period we read, if one is left."""
        if row.state != BreakerState.HALF_OPEN:
            return None
        claimed = self._update(
            Q(
                state=BreakerState.HALF_OPEN,
                opened_at=row.opened_at,
                half_open_probes__lt=self.config.half_open_max_probes,
            ),
            half_open_probes=F("half_open_probes") + 1,
        )
        return Permit(probe=True, generation=row.opened_at) if claimed else None

    def _start_probing(self) -> Permit | None:
        """Begin a half-open period holding its first slot, if the wait is over.

        Also reclaims a half-open period whose slots have all been taken for `open_seconds`:
        those probes belong to workers that died mid-call (a real call ends at its HTTP
        timeout, far sooner), and their slots would otherwise keep the breaker shut for good.
        """
        now = self._clock()
        started = self._update(
            Q(
                state__in=[BreakerState.OPEN, BreakerState.HALF_OPEN],
                opened_at__lte=now - self._open_for,
            ),
            state=BreakerState.HALF_OPEN,
            opened_at=now,
            half_open_probes=1,
            success_count=0,
            failure_count=0,
        )
        return Permit(probe=True, generation=now) if started else None

    # --- Outcomes ------------------------------------------------------------------------------

    def _record_success(self, permit: Permit) -> None:
        """The service answered: count a probe towards closing, or end a run of failures."""
        if permit.probe and self._probe_succeeded(permit):
            return
        if not permit.probe and permit.failures_seen == 0:
            # The common case (closed, healthy) costs no statement. A failure counted by another
            # call while this one was under way stays counted: the breaker may open one failure
            # sooner, never later.
            return
        self._update(Q(state=BreakerState.CLOSED, failure_count__gt=0), failure_count=0)

    def _record_failure(self, permit: Permit) -> None:
        """The service failed transiently: re-open after a probe, else count towards opening."""
        if permit.probe and self._probe_failed(permit):
            return
        self._update(Q(state=BreakerState.CLOSED), failure_count=F("failure_count") + 1)
        # Whoever first sees the threshold reached opens it; later callers match no row.
        self._update(
            Q(state=BreakerState.CLOSED, failure_count__gte=self.config.failure_threshold),
            state=BreakerState.OPEN,
            opened_at=self._clock(),
            success_count=0,
            half_open_probes=0,
        )

    def _release(self, permit: Permit) -> None:
        """Give a probe slot back without counting anything."""
        if permit.probe:
            self._update(self._holds_slot(permit), half_open_probes=F("half_open_probes") - 1)

    def _probe_succeeded(self, permit: Permit) -> bool:
        """Count a probe success and close once enough arrived; False if the period is over."""
        counted = self._update(
            self._holds_slot(permit),
            success_count=F("success_count") + 1,
            half_open_probes=F("half_open_probes") - 1,
        )
        if counted:
            self._update(
                Q(
                    state=BreakerState.HALF_OPEN,
                    opened_at=permit.generation,
                    success_count__gte=self.config.success_threshold,
                ),
                **_CLOSED,
            )
        return counted

    def _probe_failed(self, permit: Permit) -> bool:
        """Re-open at once: the service still fails. False if the period is already over."""
        return self._update(
            self._holds_slot(permit),
            state=BreakerState.OPEN,
            opened_at=self._clock(),
            failure_count=F("failure_count") + 1,
            success_count=0,
            half_open_probes=0,
        )

    # --- Helpers -------------------------------------------------------------------------------

    def _holds_slot(self, permit: Permit) -> Q:
        # half_open_probes > 0 also keeps the PositiveIntegerField's CHECK from ever failing.
        return Q(state=BreakerState.HALF_OPEN, opened_at=permit.generation, half_open_probes__gt=0)

    def _row(self) -> CircuitBreakerState:
        """The service's row, created on first use.

        get_or_create survives two workers creating it at once: the loser's INSERT raises
        IntegrityError inside a savepoint and Django reads the winner's row instead.
        """
        row = first_where(CircuitBreakerState, "service", self.service)  # the SQL built once
        if row is None:
            row, _created = CircuitBreakerState.objects.get_or_create(service=self.service)
        return row

    def _update(self, where: Q, **values: Any) -> bool:
        """One conditional UPDATE of this service's row; True if it matched.

        QuerySet.update() skips auto_now, so `updated_at` is set here, from the same clock.
        """
        matched = CircuitBreakerState.objects.filter(where, service=self.service).update(
            updated_at=self._clock(), **values
        )
        return matched == 1

    @property
    def _open_for(self) -> timedelta:
        return timedelta(seconds=self.config.open_seconds)

    def _wait_is_over(self, opened_at: datetime | None) -> bool:
        return opened_at is None or self._clock() - opened_at >= self._open_for


def breaker_for(service: str) -> CircuitBreaker:
    """The breaker guarding `service` ("calcom", "retell"), configured from settings.

    Breakers hold no state in memory, so a fresh one per call is as good as a shared one and
    always sees the current settings.
    """
    return CircuitBreaker(service)
