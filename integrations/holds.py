"""A vendor's Retry-After, honoured by every process that uses the same account.

One 429 says "this key, not now": every request with that key, from any gunicorn worker, task
worker or machine, waits until the time has passed instead of drawing more 429s (which Cal.com
counts against the key). Held in Redis when it is the cache, else in the database (the embedded
defaults). A store that cannot be reached holds nothing: a hold protects the vendor's limit, it
must never be why a real call fails.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

from core import clock
from integrations.models import VendorHold

logger = logging.getLogger(__name__)
# A Retry-After beyond this is not believed (a broken header must not stop us for a day).
LONGEST_HOLD_SECONDS = 300.0


def hold_key(service: str, api_key: str) -> str:
    """The account's name in the store: never the key itself."""
    return f"{service}:{hashlib.sha256(api_key.encode()).hexdigest()[:32]}"


def vendor_hold_left(key: str) -> float | None:
    """Seconds this account must still wait; None when it may ask now."""
    try:
        until = _store().until(key)
    except Exception:
        logger.warning("vendor hold store unavailable: not holding %s", key.split(":")[0], exc_info=True)
        return None
    left = until - clock.now().timestamp() if until is not None else 0.0
    return left if left > 0 else None


def vendor_hold(key: str, seconds: float) -> None:
    """Hold the account for `seconds` from now (an existing longer hold stays)."""
    seconds = min(max(0.0, seconds), LONGEST_HOLD_SECONDS)
    if seconds <= 0:
        return
    until = clock.now().timestamp() + seconds
    try:
        _store().extend(key, until, seconds)
    except Exception:
        logger.warning("vendor hold store unavailable: could not hold %s", key.split(":")[0], exc_info=True)


def _store():
    uses_redis = settings.CACHES["default"]["BACKEND"].startswith("django_redis.")
    return _CacheHolds() if uses_redis else _DatabaseHolds()


class _CacheHolds:
    def until(self, key: str) -> float | None:
        return cache.get(f"vendor-hold:{key}")

    def extend(self, key: str, until: float, seconds: float) -> None:
        current = cache.get(f"vendor-hold:{key}")
        if current is None or current < until:
            cache.set(f"vendor-hold:{key}", until, timeout=int(seconds) + 1)


class _DatabaseHolds:
    def until(self, key: str) -> float | None:
        found = VendorHold.objects.filter(key=key).values_list("until", flat=True).first()
        return found.timestamp() if found else None

    def extend(self, key: str, until: float, seconds: float) -> None:
        moment = clock.now() + timedelta(seconds=seconds)
        # Only ever later: a shorter Retry-After from another process must not shorten a hold.
        if not VendorHold.objects.filter(key=key, until__lt=moment).update(until=moment):
            VendorHold.objects.get_or_create(key=key, defaults={"until": moment})
