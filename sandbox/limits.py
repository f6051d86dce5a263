"""The sandbox's misbehaviour on purpose: the per-key rate limit and the fault knobs.

The limit copies Cal.com API v2's throttler (contract §2.9: 120 requests a minute per API key,
`X-RateLimit-*-Default` headers, Reset in seconds); the faults are the ways the real API fails a
client (500s, latency, a create that books but never answers). `sandbox.server` applies both.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RATE_LIMIT = 120  # per API key and minute, the real v2 default (contract §2.9)
DEFAULT_HANG_SECONDS = 15.0


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_seconds: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        """Named after the "default" limit; Reset is seconds left, not an epoch (§2.9)."""
        return {
            "X-RateLimit-Limit-Default": str(self.limit),
            "X-RateLimit-Remaining-Default": str(self.remaining),
            "X-RateLimit-Reset-Default": str(self.reset_seconds),
        }


@dataclass
class RateLimiter:
    """A fixed window per key: the bearer token, or the client IP for anonymous calls."""

    limit: int
    window_seconds: float = 60.0
    monotonic: Callable[[], float] = time.monotonic
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def hit(self, key: str) -> RateLimitState:
        now = self.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= self.window_seconds:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count)
        reset = math.ceil(self.window_seconds - (now - started))
        return RateLimitState(self.limit, max(self.limit - count, 0), reset, count > self.limit)


@dataclass(frozen=True)
class Faults:
    """Ways to make the sandbox misbehave; each rate is the fraction of requests affected."""

    error_rate: float = 0.0  # answer 500 INTERNAL_SERVER_ERROR instead of serving
    latency_ms: int = 0  # added before every answer
    create_then_timeout_rate: float = 0.0  # POST /v2/bookings books, then hangs `hang_seconds`
    hang_seconds: float = DEFAULT_HANG_SECONDS

    def __post_init__(self) -> None:
        for name in ("error_rate", "create_then_timeout_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0 or self.hang_seconds < 0:
            raise ValueError("latency_ms and hang_seconds must not be negative")
