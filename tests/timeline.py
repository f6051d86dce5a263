"""Dates for tests, always relative to the pinned now.

tests/conftest.py pins the clock of the whole process for every test at TEST_NOW: the moment in
ASKPRO_TEST_NOW (an ISO 8601 instant, e.g. `2027-03-28T00:30:00Z`), else the real time when the
session started. A test never names a calendar date: it asks this module for "today", "the
first weekday at least two days ahead", "that day at 11:00 in Berlin", so the suite means the
same thing on any day it runs, a year from now and on the night the clocks change. CI runs it
at such moments (.ci/run).

Fixture files use the same vocabulary through {{tokens}} (see `fixture_tokens`), so vendor
payloads keep their documented shape while their dates move with the clock.
"""

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import clock

BERLIN = ZoneInfo("Europe/Berlin")
ENV = "ASKPRO_TEST_NOW"
GERMAN_MONTHS = [
    *("Januar", "Februar", "März", "April", "Mai", "Juni"),
    *("Juli", "August", "September", "Oktober", "November", "Dezember"),
]
GERMAN_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
ENGLISH_MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]
TUESDAY = 1


def pinned_at() -> datetime:
    """The instant the suite pins: ASKPRO_TEST_NOW, else the real now, to the second."""
    given = os.environ.get(ENV, "").strip()
    if not given:
        return datetime.now(UTC).replace(microsecond=0)
    moment = datetime.fromisoformat(given.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{ENV} needs an offset or Z, e.g. 2027-03-28T00:30:00Z")
    return moment.astimezone(UTC)


def now() -> datetime:
    return clock.now()


def today(zone: ZoneInfo = BERLIN) -> date:
    return clock.today_in(zone)


def days_ahead(days: int, zone: ZoneInfo = BERLIN) -> date:
    return today(zone) + timedelta(days=days)


def weekday_ahead(min_days: int = 2, *, weekday: int | None = None, zone: ZoneInfo = BERLIN) -> date:
    """The first Monday-to-Friday (or the given weekday, 0 = Monday) at least `min_days` ahead.

    Two days ahead keeps every time of that day in the future, whatever the hour now is.
    """
    day = days_ahead(min_days, zone)
    while (day.weekday() != weekday) if weekday is not None else (day.weekday() > 4):
        day += timedelta(days=1)
    return day


def booking_day() -> date:
    """The day the fixtures' caller books: the first Tuesday at least two days ahead."""
    return weekday_ahead(2, weekday=TUESDAY)


def at(day: date, hhmm: str, zone: ZoneInfo = BERLIN) -> datetime:
    """`day` at the wall-clock time `hhmm` in `zone`, as an aware datetime."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone)


def utc(day: date, hhmm: str, zone: ZoneInfo = BERLIN) -> datetime:
    """`day` at `hhmm` wall-clock in `zone`, converted to UTC."""
    return at(day, hhmm, zone).astimezone(UTC)


def cal_local(moment: datetime, zone: ZoneInfo = BERLIN) -> str:
    """Cal.com's /v2/slots style: '2026-12-01T09:00:00.000+01:00'."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%dT%H:%M:%S}.000{offset[:3]}:{offset[3:]}"


def z(moment: datetime, *, millis: bool = False) -> str:
    """UTC with a Z: '2026-12-01T09:00:00Z' (or '.000Z')."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.000Z" if millis else f"{text}Z"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def german_date(day: date) -> str:
    """'1. Dezember', as the agent says it."""
    return f"{day.day}. {GERMAN_MONTHS[day.month - 1]}"


def german_weekday(day: date) -> str:
    """'Dienstag', for a day whose weekday the test cannot know in advance (today)."""
    return GERMAN_WEEKDAYS[day.weekday()]


def english_date(day: date) -> str:
    """'1 December', as the agent says it in English."""
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]}"


def next_offset_change(after: datetime, zone: ZoneInfo = BERLIN, *, forward: bool) -> datetime:
    """The first instant after `after` when `zone` springs forward (or falls back), in UTC."""
    step = timedelta(hours=1)
    moment = after.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 400):
        before, later = moment.astimezone(zone).utcoffset(), (moment + step).astimezone(zone).utcoffset()
        if before != later and (later > before) == forward:
            return moment + step
        moment += step
    raise AssertionError(f"{zone} changes no offset within 400 days")


# -- fixture files -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{\{([^{}]+)\}\}")
# {{booking_day+1 14:00 Z}} / {{booking_day 10:00 Berlin}} / {{today+3}}
_MOMENT = re.compile(r"^(today|booking_day)([+-]\d+)?(?: (\d\d:\d\d) (Z|Berlin))?$")


def fixture_tokens() -> dict[str, object]:
    """The named values fixture files may use, for the pinned now."""
    day = booking_day()
    call_start = now() - timedelta(minutes=10)
    return {
        "call_start_ms": ms(call_start),
        "call_end_ms": ms(call_start) + 38_260,
        # Retell's agent and number modification times: last week, an edit an hour later, ...
        "agent_modified_ms": ms(now() - timedelta(days=7)),
        "agent_modified_earlier_ms": ms(now() - timedelta(days=7, hours=1)),
        "agent_modified_earliest_ms": ms(now() - timedelta(days=8)),
        "agent_updated_ms": ms(now() - timedelta(days=7) + timedelta(hours=1)),
        "number_modified_ms": ms(now() - timedelta(days=14)),
        "created": z(now() - timedelta(days=1)),
        "updated": z(now() - timedelta(hours=2)),
        "now_ms_z": z(now(), millis=True),
        "booking_date_de": german_date(day),
        "booking_dom": str(day.day),
        "booking_month_de": GERMAN_MONTHS[day.month - 1],
        "booking_year": str(day.year),
    }


def render(value, tokens: dict | None = None):
    """`value` (loaded JSON) with every {{token}} replaced; a string that is one whole token of an
    int value becomes that int (Retell's millisecond timestamps)."""
    tokens = fixture_tokens() if tokens is None else tokens
    if isinstance(value, dict):
        return {render(key, tokens): render(item, tokens) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, tokens) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _TOKEN.fullmatch(value)
    if whole and isinstance(tokens.get(whole[1]), int):
        return tokens[whole[1]]
    return _TOKEN.sub(lambda match: str(_token_value(match[1], tokens)), value)


def _token_value(name: str, tokens: dict):
    if name in tokens:
        return tokens[name]
    moment = _MOMENT.fullmatch(name)
    if moment is None:
        raise KeyError(f"unknown fixture token {{{{{name}}}}}")
    base, offset, hhmm, form = moment.groups()
    day = (today() if base == "today" else booking_day()) + timedelta(days=int(offset or 0))
    if hhmm is None:
        return day.isoformat()
    local = at(day, hhmm)
    return z(local) if form == "Z" else cal_local(local)
