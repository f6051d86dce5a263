"""Request rate limits shared by every process: a sliding window over two fixed minutes.

The estimate for "the last minute" is this minute's count plus the previous minute's count
weighted by how much of it still lies inside the last 60 seconds. Unlike a fixed window, a
burst just before a minute boundary still counts just after it, so twice the limit never passes
at a boundary. A request is counted only if it is allowed, and the check and the count are one
atomic step: a Lua script on Redis, a conditional UPDATE in the database (the embedded
defaults, where each process has its own local-memory cache).

A limiter that cannot reach its store lets the request through and says so in the log: the
limit protects us from floods; it must never be why a real call is refused.
"""

import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import ExpressionWrapper, F, FloatField, Subquery, Value
from django.db.models.functions import Coalesce

from core import clock
from integrations.models import RateLimitWindow

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60

# KEYS[1] this window's counter, KEYS[2] the previous one; ARGV: limit, weight of the previous
# window, expiry. Returns 1 (and counts) when allowed, 0 otherwise.
_REDIS_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if current + 1 + previous * tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until a request would be allowed again (when refused)


def rate_limit_hit(key: str, *, limit: int) -> Decision:
    """Count one request for `key` if fewer than `limit` were seen in the last minute."""
    if limit <= 0:
        return Decision(True)
    moment = clock.now().timestamp()
    window, elapsed = divmod(moment, WINDOW_SECONDS)
    weight = 1 - elapsed / WINDOW_SECONDS  # the share of the previous minute still in view
    try:
        allowed = _store().hit(key, int(window), weight, limit)
    except Exception:  # a broken store must not refuse real calls
        _log_outage(key)
        return Decision(True)
    return Decision(True) if allowed else Decision(False, retry_after=_seconds_left(elapsed))


def _seconds_left(elapsed: float) -> float:
    """A refused caller may succeed once the previous minute's weight has shrunk; the rest of
    this window is the honest upper bound of that wait."""
    return max(1.0, math.ceil(WINDOW_SECONDS - elapsed))


def _log_outage(key: str) -> None:
    # Logged on every request; LOGGING lets one a minute through (askpro.logfilters.OncePerMinute).
    logger.warning("rate limit store unavailable: letting requests through (%s)", key, exc_info=True)


def _store():
    """Redis when it is the cache (shared by every machine), else the database."""
    uses_redis = settings.CACHES["default"]["BACKEND"].startswith("django_redis.")
    return _RedisCounts() if uses_redis else _DatabaseCounts()


class _RedisCounts:
    def hit(self, key: str, window: int, weight: float, limit: int) -> bool:
        from django_redis import get_redis_connection

        keys = [cache.make_key(f"ratelimit:{key}:{window}"), cache.make_key(f"ratelimit:{key}:{window - 1}")]
        redis = get_redis_connection("default")
        return bool(redis.eval(_REDIS_SCRIPT, 2, *keys, limit, weight, WINDOW_SECONDS * 2 + 5))


class _DatabaseCounts:
    def hit(self, key: str, window: int, weight: float, limit: int) -> bool:
        if self._count(key, window, weight, limit):
            return True
        # No row yet (the minute's first request), or it is full: open it if need be and try
        # once more. A row another request opened meanwhile is counted in, not taken for full.
        self._open(key, window)
        return self._count(key, window, weight, limit)

    @staticmethod
    def _count(key: str, window: int, weight: float, limit: int) -> bool:
        """One conditional UPDATE, the previous minute read inside it: count this request if
        this minute's count + 1 + the previous minute's weighted count stays within the limit
        (the rule of the Redis script)."""
        previous = RateLimitWindow.objects.filter(key=key, window=window - 1).values("count")[:1]
        room = ExpressionWrapper(
            Value(limit - 1) - Coalesce(Subquery(previous), Value(0)) * Value(weight),
            output_field=FloatField(),
        )
        counted = RateLimitWindow.objects.filter(key=key, window=window, count__lte=room)
        return bool(counted.update(count=F("count") + 1))

    @staticmethod
    def _open(key: str, window: int) -> None:
        """Start this minute's row (a concurrent request may have just done so) and forget the
        key's minutes before the previous one."""
        try:
            with transaction.atomic():
                RateLimitWindow.objects.create(key=key, window=window, count=0)
        except IntegrityError:
            return
        try:
            RateLimitWindow.objects.filter(key=key, window__lt=window - 1).delete()
        except DatabaseError:
            logger.warning("could not prune old rate-limit windows of %s", key, exc_info=True)
