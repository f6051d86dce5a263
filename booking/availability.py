"""Free slots of a branch and alternatives near a wish, cached per company and event type."""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking import cache
from booking.calendar import calendar_for
from booking.errors import BookingError, ErrorType, calendar_failures
from booking.horizon import bookable_days
from booking.results import Alternative, Alternatives, Availability, Slot
from booking.scope import bookable_event_type
from booking.times import parse_date, parse_datetime, zone
from companies.models import Branch, Company
from core import clock

logger = logging.getLogger(__name__)
DEFAULT_DAYS = 7
MAX_DAYS = 62  # Cal.com's booking windows are rarely longer; keeps one request cheap
OFFERED_WHEN_TAKEN = 5  # alternatives kept for a wish whose slot was taken


def availability_get(
    *,
    company: Company,
    branch: Branch,
    date_from=None,
    date_to=None,
    timezone: str | None = None,
    service: str | None = None,
) -> Availability:
    """Free slots of the event type of the branch (or of its `service` the caller named) between
    two local dates (inclusive); by default from the first bookable day a week on. Dates are
    `date`s or ISO strings."""
    event_type_id = bookable_event_type(company=company, branch=branch, service=service)
    tz_name = timezone or branch.effective_timezone
    tz = zone(tz_name)  # an unknown zone is a validation error before anything is asked
    days = bookable_days(branch=branch, event_type_id=event_type_id)
    first = parse_date(date_from, field="date_from") if date_from else days.first
    last = parse_date(date_to, field="date_to") if date_to else first + timedelta(days=DEFAULT_DAYS)
    _check_range(first, last)
    days.check(first, field="date_from")
    last = min(last, days.last)  # a range reaching past the window ends with it
    slots, cached_until = free_slots(
        company=company, event_type_id=event_type_id, first=first, last=last, tz=tz
    )
    return Availability(slots, first, last, event_type_id, tz_name, cached_until)


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise BookingError(ErrorType.VALIDATION, "date_to is before date_from.", fields=("date_to",))
    if (last - first).days > MAX_DAYS:
        raise BookingError(
            ErrorType.VALIDATION, f"At most {MAX_DAYS} days can be searched at once.", fields=("date_to",)
        )


def free_slots(
    *, company: Company, event_type_id: int, first: date, last: date, tz: ZoneInfo
) -> tuple[list[Slot], datetime]:
    """The free slots of the local days `first`..`last`, from the cache where every day is there
    (any earlier question may have fetched them), else the days missing in one request to the
    calendar; and when the oldest cached day expires."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    known, keys = cache.availability_days_get(company, event_type_id, tz.key, days)
    missing = [day for day in days if day not in known]
    if missing:
        known.update(_fetch_days(company, event_type_id, missing[0], missing[-1], tz, keys))
    slots = [Slot.from_dict(s) for day in days for s in known[day]["slots"]]
    cached_until = min(datetime.fromisoformat(known[day]["cached_until"]) for day in days)
    return slots, cached_until


def _fetch_days(
    company: Company, event_type_id: int, first: date, last: date, tz: ZoneInfo, keys: dict[date, str]
) -> dict:
    with calendar_failures(ErrorType.SERVICE_UNAVAILABLE):
        slots = calendar_for(company).free_slots(event_type_id=event_type_id, first=first, last=last, zone=tz)
    by_day: dict[date, list] = {first + timedelta(days=n): [] for n in range((last - first).days + 1)}
    for slot in slots:
        day = slot.start.astimezone(tz).date()
        if day in by_day:  # a day outside the question is not known whole: not kept
            by_day[day].append(slot.as_dict())
    until = cache.availability_days_set(keys, by_day).isoformat()
    return {day: {"slots": day_slots, "cached_until": until} for day, day_slots in by_day.items()}


def availability_prefetch(*, company: Company, branch: Branch) -> None:
    """Fetch the branch's free slots for the next days into the cache, so a caller's first
    question is answered from it (a task, started when the call comes in)."""
    availability_get(company=company, branch=branch)


def alternatives_find(
    *,
    company: Company,
    branch: Branch,
    wish,
    search_days: int = 7,
    max_alternatives: int = 5,
    timezone: str | None = None,
    service: str | None = None,
) -> Alternatives:
    """Free slots nearest a wish (a datetime, or an ISO string; naive means the branch's wall
    clock): the same day first, nearest time first, then the following days."""
    event_type_id = bookable_event_type(company=company, branch=branch, service=service)
    tz_name = timezone or branch.effective_timezone
    tz = zone(tz_name)
    wished = parse_datetime(wish, tz, field="preferred_start").astimezone(tz)
    _check_limits(search_days, max_alternatives)
    days = bookable_days(branch=branch, event_type_id=event_type_id)
    days.check(wished.date(), field="preferred_start")
    first, last = wished.date(), min(wished.date() + timedelta(days=search_days), days.last)
    slots, _ = free_slots(company=company, event_type_id=event_type_id, first=first, last=last, tz=tz)
    ranked = rank_alternatives(slots, wished)
    return Alternatives(
        alternatives=ranked[:max_alternatives],
        preferred_available=any(slot.start == wished for slot in slots),
        first=first,
        last=last,
        total_available=len(ranked),
        event_type_id=event_type_id,
        timezone=tz_name,
    )


def alternatives_when_taken(
    *, company: Company, branch: Branch, wish: datetime, service: str | None = None
) -> list[Alternative] | None:
    """What to offer instead of a wish whose slot was taken (in the same service's calendar);
    None when we could not look (the taken slot is the answer either way, so this never fails
    the caller's request)."""
    try:
        found = alternatives_find(
            company=company, branch=branch, wish=wish, max_alternatives=OFFERED_WHEN_TAKEN, service=service
        )
    except BookingError as exc:
        logger.info("no alternatives for a taken slot (company %s): %s", company.pk, exc.error_type)
        return None
    return found.alternatives


def _check_limits(search_days: int, max_alternatives: int) -> None:
    if not 0 <= search_days <= MAX_DAYS:
        raise BookingError(
            ErrorType.VALIDATION, f"search_days must be between 0 and {MAX_DAYS}.", fields=("search_days",)
        )
    if not 1 <= max_alternatives <= 50:
        raise BookingError(
            ErrorType.VALIDATION, "max_alternatives must be between 1 and 50.", fields=("max_alternatives",)
        )


def rank_alternatives(slots: list[Slot], wish: datetime) -> list[Alternative]:
    """Every free slot except the wish itself, closest first: by day, then by time of day."""
    wish_minutes = wish.hour * 60 + wish.minute
    current = clock.now()
    ranked = []
    for slot in slots:
        start = slot.start
        if start == wish or start <= current or start.date() < wish.date():
            continue
        days = (start.date() - wish.date()).days
        distance = abs(start.hour * 60 + start.minute - wish_minutes)
        ranked.append(((days, distance, start), Alternative(slot.start, slot.end, days_from_preferred=days)))
    return [alternative for _, alternative in sorted(ranked, key=lambda pair: pair[0])]
