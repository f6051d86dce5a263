"""A fixed-window counter in the shared cache: cheap, good enough to stop floods."""

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """True while `key` has been seen at most `limit` times in the current window."""
    if limit <= 0:
        return True
    bucket = f"ratelimit:{key}:{int(time.time()) // window_seconds}"
    cache.add(bucket, 0, timeout=window_seconds * 2)
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=window_seconds * 2)
        return True
