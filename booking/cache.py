"""Integration caches, namespaced by company.

Availability entries carry a per-(company, event type) version; booking, rescheduling or
cancelling through us bumps it, which drops every cached window of that event type at once on
every process (the version lives in the shared cache, without expiry).
"""

from datetime import datetime, timedelta

from django.core.cache import cache

from askpro import metrics
from core import clock

EVENT_TYPES_TTL = 5 * 60
AVAILABILITY_TTL = 5 * 60


def _version_key(company_id: int, event_type_id: int) -> str:
    return f"avail-version:{company_id}:{event_type_id}"


def _availability_key(company_id: int, event_type_id: int, window: str) -> str:
    version = cache.get(_version_key(company_id, event_type_id)) or 0
    return f"avail:{company_id}:{event_type_id}:v{version}:{window}"


def availability_get(company_id: int, event_type_id: int, window: str):
    return _counted("availability", cache.get(_availability_key(company_id, event_type_id, window)))


def availability_set(company_id: int, event_type_id: int, window: str, slots) -> datetime:
    """Store slots; returns when they expire (reported to callers as `cached_until`)."""
    until = clock.now() + timedelta(seconds=AVAILABILITY_TTL)
    key = _availability_key(company_id, event_type_id, window)
    cache.set(key, {"slots": slots, "cached_until": until.isoformat()}, AVAILABILITY_TTL)
    return until


def availability_invalidate(company_id: int, event_type_id: int) -> None:
    key = _version_key(company_id, event_type_id)
    try:
        cache.incr(key)
    except ValueError:  # no version yet: start one above the implicit 0
        cache.set(key, 1, timeout=None)


def event_types_get(company_id: int):
    return _counted("event_types", cache.get(f"event-types:{company_id}"))


def event_types_set(company_id: int, event_types: list[dict]) -> None:
    cache.set(f"event-types:{company_id}", event_types, EVENT_TYPES_TTL)


def _counted(name: str, value):
    metrics.cache_counted(name, value)
    return value
