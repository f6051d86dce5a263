"""Integration caches, namespaced by company.

Availability is kept per local day (company, event type, zone, day), so a question about one day
is answered from what any wider question fetched, the call's first one included (fetched when the
call comes in, telephony.inbound). Entries carry a per-(company, event type) version and one per
day: booking, rescheduling or cancelling through us renews the versions of the days it touched
(in every event type of the branch), which drops those days on every process and leaves the
others cached; the versions live in the shared cache.
"""

import secrets
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache

from askpro import metrics
from core import clock

EVENT_TYPES_TTL = 5 * 60
AVAILABILITY_TTL = 5 * 60


def _version_key(company_id: int, event_type_id: int) -> str:
    return f"avail-version:{company_id}:{event_type_id}"


def _day_version_key(company_id: int, event_type_id: int, day: date) -> str:
    return f"avail-day-version:{company_id}:{event_type_id}:{day.isoformat()}"


def _day_keys(company_id: int, event_type_id: int, zone: str, days: list[date]) -> dict[str, date]:
    """The cache keys of `days`, each carrying the event type's version and its own day's, so
    a booking drops only the days it touched (availability_invalidate with moments)."""
    version = cache.get(_version_key(company_id, event_type_id)) or 0
    day_versions = cache.get_many([_day_version_key(company_id, event_type_id, day) for day in days])
    keys = {}
    for day in days:
        day_version = day_versions.get(_day_version_key(company_id, event_type_id, day), 0)
        keys[f"avail:{company_id}:{event_type_id}:v{version}.{day_version}:{zone}:{day.isoformat()}"] = day
    return keys


def availability_days_get(
    company_id: int, event_type_id: int, zone: str, days: list[date]
) -> tuple[dict[date, dict], dict[date, str]]:
    """The cached days among `days` ({day: {"slots": [...], "cached_until": iso}}), counted as a
    hit only when every day asked for is there; and each day's key, to store a fetch under."""
    keys = _day_keys(company_id, event_type_id, zone, days)
    found = cache.get_many(list(keys))
    _counted("availability", found if len(found) == len(keys) else None)
    return {keys[key]: entry for key, entry in found.items()}, {day: key for key, day in keys.items()}


def availability_days_set(keys: dict[date, str], slots_by_day: dict[date, list]) -> datetime:
    """Store each day's slots (an empty list is a day known to be full) under the keys read
    before the calendar was asked: a booking that bumped a day's version meanwhile leaves this
    write under the old version, where no reader finds it. Returns when they expire (reported
    to callers as `cached_until`)."""
    until = clock.now() + timedelta(seconds=AVAILABILITY_TTL)
    entries = {
        keys[day]: {"slots": slots, "cached_until": until.isoformat()} for day, slots in slots_by_day.items()
    }
    cache.set_many(entries, AVAILABILITY_TTL)
    return until


def availability_invalidate(company_id: int, event_type_id: int, *moments: datetime) -> None:
    """Forget what is cached of the event type: only the days around `moments` (a booking's
    start, a move's old and new start), so the next caller's question about another day is still
    a hit; every day when no moment is given. A day is forgotten in every zone: the UTC date and
    the days either side cover each zone's local day of the moment."""
    _forget(company_id, {event_type_id}, moments)


def branch_availability_invalidate(
    company_id: int, branch, event_type_id: int | None, *moments: datetime
) -> None:
    """Forget the days around `moments` in every event type of the branch (its own and its
    services', which share hosts), and in `event_type_id` (the one booked) if it is another."""
    from companies.services_offered import event_type_ids_of

    event_types = event_type_ids_of(branch) | ({event_type_id} if event_type_id else set())
    _forget(company_id, event_types, moments)


def _forget(company_id: int, event_type_ids: set[int], moments) -> None:
    """The days around `moments` of each event type; all its days without moments."""
    if not moments:
        for each in event_type_ids:
            _bump(_version_key(company_id, each))
        return
    _renew_days(company_id, event_type_ids, moments)


def _renew_days(company_id: int, event_type_ids, moments) -> None:
    """Give each touched day of each event type a new version in one round trip (a booking did
    three increments per event type before, #15). A new random token is as good as a count: a
    reader only needs it to differ. It outlives every entry stored under the old one (those
    expire after AVAILABILITY_TTL), so it may expire itself."""
    days = {
        moment.astimezone(UTC).date() + timedelta(days=shift) for moment in moments for shift in (-1, 0, 1)
    }
    cache.set_many(
        {
            _day_version_key(company_id, event_type_id, day): secrets.token_hex(6)
            for event_type_id in event_type_ids
            for day in days
        },
        timeout=2 * AVAILABILITY_TTL,
    )


def _bump(key: str) -> None:
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
