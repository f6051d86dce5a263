"""Integration caches, namespaced by company.

Availability is kept per local day (company, event type, zone, day), so a question about one day
is answered from what any wider question fetched, the call's first one included (fetched when the
call comes in, telephony.inbound). Entries carry a per-(company, event type) version and the
versions of the dates their day spans on the company's clock (its own zone): booking,
rescheduling or cancelling through us renews the dates it touched on that clock (in every event
type of the branch), which drops those days on every process and leaves the others cached; the
versions live in the shared cache. One clock for readers and writers keeps a question in any
zone correct; where the question's zone is the company's (nearly always), a booking drops
exactly its own day, and the next caller asking about tomorrow is still a hit.
"""

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache

from askpro import metrics
from core import clock

EVENT_TYPES_TTL = 5 * 60
AVAILABILITY_TTL = 5 * 60
# Slots that start this long before a booking (a longer service's) or after it (the booking's
# own length) may overlap it: a booking touches the dates of its start +- this.
TOUCH_MARGIN = timedelta(hours=4)


def _version_key(company_id: int, event_type_id: int) -> str:
    return f"avail-version:{company_id}:{event_type_id}"


def _day_version_key(company_id: int, event_type_id: int, day: date) -> str:
    return f"avail-day-version:{company_id}:{event_type_id}:{day.isoformat()}"


def _day_keys(
    company_id: int, event_type_id: int, zone: str, days: list[date], clock_zone: str
) -> dict[str, date]:
    """The cache keys of `days` (local to `zone`), each carrying the event type's version and
    those of the dates the day spans on the company's clock, so a booking drops only the days it
    touched (availability_invalidate with moments)."""
    spans = {day: _dates_on_clock(day, ZoneInfo(zone), ZoneInfo(clock_zone)) for day in days}
    wanted = {_day_version_key(company_id, event_type_id, d) for dates in spans.values() for d in dates}
    version = cache.get(_version_key(company_id, event_type_id)) or 0
    day_versions = cache.get_many(sorted(wanted))
    keys = {}
    for day, dates in spans.items():
        stamp = "-".join(
            str(day_versions.get(_day_version_key(company_id, event_type_id, d), 0)) for d in dates
        )
        keys[f"avail:{company_id}:{event_type_id}:v{version}.{stamp}:{zone}:{day.isoformat()}"] = day
    return keys


def _dates_on_clock(day: date, zone: ZoneInfo, clock_zone: ZoneInfo) -> list[date]:
    """The dates on `clock_zone` that the local `day` of `zone` overlaps: `day` itself where the
    zones agree, else one or two."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    last_moment = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)
    return _dates_between(start.astimezone(clock_zone).date(), last_moment.astimezone(clock_zone).date())


def _dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def availability_days_get(
    company, event_type_id: int, zone: str, days: list[date]
) -> tuple[dict[date, dict], dict[date, str]]:
    """The cached days among `days` ({day: {"slots": [...], "cached_until": iso}}), counted as a
    hit only when every day asked for is there; and each day's key, to store a fetch under."""
    keys = _day_keys(company.pk, event_type_id, zone, days, company.timezone)
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


def availability_invalidate(company, event_type_id: int, *moments: datetime) -> None:
    """Forget what is cached of the event type: only the days `moments` touched (a booking's
    start, a move's old and new start), so the next caller's question about another day is still
    a hit; every day when no moment is given."""
    _forget(company, {event_type_id}, moments)


def branch_availability_invalidate(company, branch, event_type_id: int | None, *moments: datetime) -> None:
    """Forget the days around `moments` in every event type of the branch (its own and its
    services', which share hosts), and in `event_type_id` (the one booked) if it is another."""
    from companies.services_offered import event_type_ids_of

    event_types = event_type_ids_of(branch) | ({event_type_id} if event_type_id else set())
    _forget(company, event_types, moments)


def _forget(company, event_type_ids: set[int], moments) -> None:
    """The days `moments` touched of each event type; all its days without moments."""
    if not moments:
        for each in event_type_ids:
            _bump(_version_key(company.pk, each))
        return
    _renew_days(company, event_type_ids, moments)


def _renew_days(company, event_type_ids, moments) -> None:
    """Give each touched date (on the company's clock) of each event type a new version in one
    round trip. A new random token is as good as a count: a reader only needs it to differ. It
    outlives every entry stored under the old one (those expire after AVAILABILITY_TTL), so it
    may expire itself."""
    clock_zone = ZoneInfo(company.timezone)
    days = {
        day
        for moment in moments
        for day in _dates_between(
            (moment - TOUCH_MARGIN).astimezone(clock_zone).date(),
            (moment + TOUCH_MARGIN).astimezone(clock_zone).date(),
        )
    }
    cache.set_many(
        {
            _day_version_key(company.pk, event_type_id, day): secrets.token_hex(6)
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
