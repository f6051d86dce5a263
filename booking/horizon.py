"""Which days can be booked: from today, in the branch's time zone, to the end of the event
type's booking window (Cal.com's `bookingWindow`), and never beyond BOOKING_HORIZON_DAYS.

Every service that takes a day or a start from a caller (availability, alternatives, booking,
rescheduling) asks here first, so a wish in the past or in year 9999 is refused with a reason
staff and callers can understand, before any time arithmetic or Cal.com call.

The window is read from the event types we have cached (listing them, or checking a branch's,
caches them): it is never fetched on the caller's time. Unknown, only the horizon applies, and
Cal.com itself answers no slots outside its window.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.conf import settings

from booking import cache
from booking.errors import BookingError, ErrorType
from booking.times import zone
from core import clock


@dataclass(frozen=True)
class BookableDays:
    first: date
    last: date

    def check(self, day: date, *, field: str = "date") -> None:
        """Raise a validation BookingError (`reason` past or too_far, and `day`) for a day outside."""
        if day < self.first:
            raise BookingError(
                ErrorType.VALIDATION,
                f"The requested day ({field} {day.isoformat()}) is in the past.",
                reason="past",
                day=day,
                first_day=self.first,
            )
        if day > self.last:
            raise BookingError(
                ErrorType.VALIDATION,
                f"The requested day ({field} {day.isoformat()}) is beyond the booking window; "
                f"the last bookable day is {self.last.isoformat()}.",
                reason="too_far",
                day=day,
                last_day=self.last,
            )

    def check_start(self, start: datetime, tz: tzinfo, *, field: str = "start") -> None:
        """A start to book: on a bookable day, and not already begun."""
        day = start.astimezone(tz).date()
        self.check(day, field=field)
        if start <= clock.now():
            raise BookingError(
                ErrorType.VALIDATION,
                f"The requested time ({field} {start.astimezone(tz):%Y-%m-%d %H:%M}) has already passed.",
                reason="time_past",
                day=day,
            )


def bookable_days(*, branch, event_type_id: int) -> BookableDays:
    today = clock.today_in(zone(branch.effective_timezone))
    first, last = today, today + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    window = _cached_window(branch.company_id, event_type_id)
    if window:
        window_first, window_last = _window_days(window, today)
        first, last = max(first, window_first), min(last, window_last)
    return BookableDays(first, last)


def _cached_window(company_id: int, event_type_id: int) -> dict | None:
    listed = cache.event_types_get(company_id) or []
    match = next((e for e in listed if e.get("id") == event_type_id), None)
    window = match.get("booking_window") if match else None
    return window if isinstance(window, dict) else None


def _window_days(window: dict, today: date) -> tuple[date, date]:
    """Cal.com's BusinessDaysWindow, CalendarDaysWindow or RangeWindow (2024-06-14) as days."""
    kind, value = window.get("type"), window.get("value")
    try:
        if kind == "calendarDays":
            return today, today + timedelta(days=int(value))
        if kind == "businessDays":
            return today, _business_days_after(today, int(value))
        if kind == "range":
            return date.fromisoformat(value[0]), date.fromisoformat(value[1])
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    return today, date.max  # a window we cannot read limits nothing


def _business_days_after(today: date, count: int) -> date:
    day, left = today, max(0, count)
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    return day
