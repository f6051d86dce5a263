"""Free slots and alternatives near a wish, from Cal.com's /v2/slots, cached per company."""

import logging
from datetime import date, datetime, timedelta

from booking import cache
from booking.calcom import calcom_read
from booking.horizon import bookable_days
from booking.results import ErrorType, ServiceError, failure_from, ok
from booking.selectors import branch_for_event_type, company_get
from booking.times import local_day_bounds_utc, parse_date, parse_datetime, zone
from core import clock
from integrations.errors import IntegrationError

logger = logging.getLogger(__name__)
DEFAULT_DAYS = 7
MAX_DAYS = 62  # Cal.com's booking windows are rarely longer; keeps one request cheap


def check_availability(
    *,
    company_id,
    event_type_id: int,
    date_from=None,
    date_to=None,
    timezone: str | None = None,
    branch_id: int | None = None,
) -> dict:
    """Free slots of the event type between two local dates (inclusive)."""
    try:
        company, branch = _scope(company_id, event_type_id, branch_id)
        tz_name = timezone or branch.effective_timezone
        zone(tz_name)  # an unknown zone is a validation error before anything is asked
        days = bookable_days(branch=branch, event_type_id=event_type_id)
        first = parse_date(date_from, field="date_from") if date_from else days.first
        last = parse_date(date_to, field="date_to") if date_to else first + timedelta(days=DEFAULT_DAYS)
        _check_range(first, last)
        days.check(first, field="date_from")
        last = min(last, days.last)  # a range reaching past the window ends with it
        slots, cached_until = free_slots(
            company=company, event_type_id=event_type_id, first=first, last=last, tz_name=tz_name
        )
    except ServiceError as exc:
        return exc.result
    except IntegrationError as exc:
        return failure_from(exc, otherwise=ErrorType.SERVICE_UNAVAILABLE)
    return ok(
        available_slots=slots,
        date_range={"from": first.isoformat(), "to": last.isoformat()},
        event_type_id=event_type_id,
        timezone=tz_name,
        cached_until=cached_until,
    )


def _scope(company_id, event_type_id: int, branch_id: int | None):
    """The company (active) and its branch that books in the event type."""
    company = company_get(company_id)
    branch = branch_for_event_type(company=company, event_type_id=event_type_id, branch_id=branch_id)
    return company, branch


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise ServiceError(ErrorType.VALIDATION, "date_to is before date_from.")
    if (last - first).days > MAX_DAYS:
        raise ServiceError(ErrorType.VALIDATION, f"At most {MAX_DAYS} days can be searched at once.")


def free_slots(*, company, event_type_id: int, first: date, last: date, tz_name: str) -> tuple[list, str]:
    """[{start, end, date, time}] in local time, and when the cached copy expires."""
    window = f"{first.isoformat()}:{last.isoformat()}:{tz_name}"
    hit = cache.availability_get(company.pk, event_type_id, window)
    if hit is not None:
        return hit["slots"], hit["cached_until"]
    start, end = local_day_bounds_utc(first, last, zone(tz_name))
    by_date = calcom_read(
        company, "get_slots", event_type_id=event_type_id, start=start, end=end, time_zone=tz_name
    )
    # Cal.com keys dates in the output zone; keep only the local days that were asked for.
    wanted = (first.isoformat(), last.isoformat())
    slots = [s for s in _flatten(by_date, zone(tz_name)) if wanted[0] <= s["date"] <= wanted[1]]
    until = cache.availability_set(company.pk, event_type_id, window, slots)
    return slots, until.isoformat()


def _flatten(by_date: dict, tz) -> list[dict]:
    slots = []
    for day_slots in by_date.values():
        for slot in day_slots:
            start = parse_datetime(slot["start"], tz).astimezone(tz)
            end = parse_datetime(slot["end"], tz).astimezone(tz) if slot.get("end") else None
            slots.append(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat() if end else None,
                    "date": start.date().isoformat(),
                    "time": start.strftime("%H:%M"),
                }
            )
    return sorted(slots, key=lambda s: s["start"])


def find_alternative_slots(
    *,
    company_id,
    event_type_id: int,
    preferred_start,
    search_days: int = 7,
    max_alternatives: int = 5,
    timezone: str | None = None,
    branch_id: int | None = None,
) -> dict:
    """Free slots nearest a wish: the same day first (nearest time first), then the next days."""
    try:
        company, branch = _scope(company_id, event_type_id, branch_id)
        tz_name = timezone or branch.effective_timezone
        tz = zone(tz_name)
        wish = parse_datetime(preferred_start, tz, field="preferred_start").astimezone(tz)
        _check_limits(search_days, max_alternatives)
        days = bookable_days(branch=branch, event_type_id=event_type_id)
        days.check(wish.date(), field="preferred_start")
        first, last = wish.date(), min(wish.date() + timedelta(days=search_days), days.last)
        slots, _ = free_slots(
            company=company, event_type_id=event_type_id, first=first, last=last, tz_name=tz_name
        )
    except ServiceError as exc:
        return exc.result
    except IntegrationError as exc:
        return failure_from(exc, otherwise=ErrorType.SERVICE_UNAVAILABLE)
    ranked = rank_alternatives(slots, wish)
    chosen = ranked[:max_alternatives]
    return ok(
        alternatives=chosen,
        preferred_available=any(s["start"] == wish.isoformat() for s in slots),
        search_period={"from": first.isoformat(), "to": last.isoformat()},
        total_available=len(ranked),
        event_type_id=event_type_id,
        timezone=tz_name,
        message=_alternatives_message(len(chosen)),
    )


def _check_limits(search_days: int, max_alternatives: int) -> None:
    if not 0 <= search_days <= MAX_DAYS:
        raise ServiceError(ErrorType.VALIDATION, f"search_days must be between 0 and {MAX_DAYS}.")
    if not 1 <= max_alternatives <= 50:
        raise ServiceError(ErrorType.VALIDATION, "max_alternatives must be between 1 and 50.")


def rank_alternatives(slots: list[dict], wish: datetime) -> list[dict]:
    """Every free slot except the wish itself, closest first: by day, then by time of day."""
    wish_minutes = wish.hour * 60 + wish.minute
    current = clock.now()
    ranked = []
    for slot in slots:
        start = datetime.fromisoformat(slot["start"])
        if start == wish or start <= current or start.date() < wish.date():
            continue
        days = (start.date() - wish.date()).days
        distance = abs(start.hour * 60 + start.minute - wish_minutes)
        ranked.append(
            (
                (days, distance, start),
                {
                    **slot,
                    "day_of_week": start.strftime("%A"),
                    "days_from_preferred": days,
                },
            )
        )
    return [entry for _, entry in sorted(ranked, key=lambda pair: pair[0])]


def _alternatives_message(count: int) -> str:
    if count == 0:
        return "No free slots were found in the search period."
    return f"Found {count} alternative slot{'s' if count != 1 else ''}."
