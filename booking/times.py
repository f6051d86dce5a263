"""Wall-clock and UTC: callers speak local time, Cal.com wants UTC. ("Now" is core.clock.)"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from booking.errors import BookingError, ErrorType


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise BookingError(ErrorType.VALIDATION, f"Unknown time zone: {name}", fields=("timezone",)) from exc


def parse_datetime(value, tz: zoneinfo.ZoneInfo, *, field: str = "start") -> datetime:
    """An aware datetime, an ISO string with offset, or a naive wall-clock time in `tz` -> UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise BookingError(
                ErrorType.VALIDATION, f"{field} is not an ISO date-time: {value!r}", fields=(field,)
            ) from exc
    if not isinstance(value, datetime):
        raise BookingError(ErrorType.VALIDATION, f"{field} must be a date-time.", fields=(field,))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:30 in Berlin has no UTC moment
        raise BookingError(
            ErrorType.VALIDATION, f"{field} is out of range.", fields=(field,), reason="out_of_range"
        ) from None


def parse_date(value, *, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise BookingError(
            ErrorType.VALIDATION, f"{field} is not a date (YYYY-MM-DD): {value!r}", fields=(field,)
        ) from exc


def local_day_bounds_utc(first: date, last: date, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC window covering local days first..last inclusive (DST-correct)."""
    start = datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end
