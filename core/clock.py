"""The one source of "now" for the whole service.

Every module asks `clock.now()` (or `clock.today_in(zone)`, `clock.now_ms()`), never
`timezone.now()`, `datetime.now()`, `time.time()` or `date.today()`: time has one definition,
and the test suite pins it for the whole process in one fixture (tests/conftest.py). Durations and
timeouts are not "now": they use `time.monotonic()`, which no wall-clock change can move.
"""

from datetime import UTC, date, datetime, tzinfo


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_ms() -> int:
    """The current moment as Unix milliseconds (Retell's timestamps)."""
    return int(now().timestamp() * 1000)


def today_in(zone: tzinfo) -> date:
    """Today's date on the wall calendar of `zone` (a branch's, usually)."""
    return now().astimezone(zone).date()
