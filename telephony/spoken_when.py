"""Dates and times as callers say them, German and English, read into `date` and `time`.

The agent passes on what it heard: "2026-12-01", "01.12.2026", "morgen", "nächsten Dienstag",
"am 3. Dezember", "next Tuesday"; "11:00", "11 Uhr 30", "halb drei", "Viertel nach zehn",
"3pm", "half past two". One rule each:

- "today" is the branch's: the caller (LiveContext) hands in its date.
- A weekday ("Dienstag", "am Freitag", "nächsten Dienstag", "next Tuesday", "on Friday") is the
  first such day after today, never today itself: said on a Tuesday, "Dienstag" and "nächsten
  Dienstag" both mean the Tuesday a week later. "übernächsten Dienstag" is a week after that.
- A day and month without a year ("3. Dezember", "December 3") is the next such date from today.
- A clock-face hour said without am/pm ("halb drei", "Viertel nach zwei", "drei Uhr", "half past
  two") between 1 and 6 is the afternoon: no practice is open at 02:30, so the night reading
  could never be booked. Digits with a colon ("2:30", "14:30") are 24-hour times, read as written.
"""

import re
from datetime import date, time, timedelta

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(?:uhr)?(?:\s+(\d{2}))?$")
_AM_PM = re.compile(r"^(\w+)(?:\s*[:.]\s*(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)$")
_WORD_HOUR = re.compile(r"^(\w+)\s+(?:uhr|o'clock)$")
_QUARTERS = (  # (pattern, minutes, hours to add to the named hour)
    (re.compile(r"^halb\s+(\w+)$"), 30, -1),
    (re.compile(r"^viertel\s+nach\s+(\w+)$"), 15, 0),
    (re.compile(r"^viertel\s+vor\s+(\w+)$"), 45, -1),
    (re.compile(r"^dreiviertel\s+(\w+)$"), 45, -1),
    (re.compile(r"^half\s+past\s+(\w+)$"), 30, 0),
    (re.compile(r"^(?:a\s+)?quarter\s+past\s+(\w+)$"), 15, 0),
    (re.compile(r"^(?:a\s+)?quarter\s+to\s+(\w+)$"), 45, -1),
)
_DAY_MONTH = re.compile(r"^(\d{1,2})\.?\s+([a-zäöü]+)\.?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")

HOUR_WORDS = {
    **dict.fromkeys(("ein", "eins", "one"), 1),
    **dict.fromkeys(("zwei", "two"), 2),
    **dict.fromkeys(("drei", "three"), 3),
    **dict.fromkeys(("vier", "four"), 4),
    **dict.fromkeys(("fünf", "fuenf", "five"), 5),
    **dict.fromkeys(("sechs", "six"), 6),
    **dict.fromkeys(("sieben", "seven"), 7),
    **dict.fromkeys(("acht", "eight"), 8),
    **dict.fromkeys(("neun", "nine"), 9),
    **dict.fromkeys(("zehn", "ten"), 10),
    **dict.fromkeys(("elf", "eleven"), 11),
    **dict.fromkeys(("zwölf", "zwoelf", "twelve"), 12),
}
AFTERNOON_HOURS = range(1, 7)  # a clock-face hour 1..6 without am/pm: 13..18 o'clock
RELATIVE_DAYS = {"heute": 0, "today": 0, "morgen": 1, "tomorrow": 1, "übermorgen": 2, "uebermorgen": 2}
WEEKDAYS = {
    **dict.fromkeys(("montag", "monday"), 0),
    **dict.fromkeys(("dienstag", "tuesday"), 1),
    **dict.fromkeys(("mittwoch", "wednesday"), 2),
    **dict.fromkeys(("donnerstag", "thursday"), 3),
    **dict.fromkeys(("freitag", "friday"), 4),
    **dict.fromkeys(("samstag", "sonnabend", "saturday"), 5),
    **dict.fromkeys(("sonntag", "sunday"), 6),
}
# Words before a weekday that do not change which one it is ("am Freitag", "next Tuesday").
WEEKDAY_FILLERS = ("am", "on", "this", "diesen", "kommenden", "nächsten", "naechsten", "next", "coming")
WEEK_LATER = ("übernächsten", "uebernaechsten")
MONTHS = {
    **dict.fromkeys(("januar", "jänner", "january", "jan"), 1),
    **dict.fromkeys(("februar", "february", "feb"), 2),
    **dict.fromkeys(("märz", "maerz", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("dezember", "december", "dez", "dec"), 12),
}


class WishError(ValueError):
    """What the agent collected cannot be read. The message (English) is for staff; `field`
    ("date" or "time") lets the live call say which in the caller's language."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


# -- dates ---------------------------------------------------------------------------------------


def parse_date(text) -> date:
    """A written date: YYYY-MM-DD or DD.MM.YYYY (what post-call variables hold)."""
    value = str(text or "").strip()
    if match := _ISO_DATE.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _GERMAN_DATE.match(value):
        day, month, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
    else:
        raise WishError(f"Cannot read the date {value!r} (YYYY-MM-DD or DD.MM.YYYY).", field="date")
    return _calendar_date(year, month, day, value)


def parse_spoken_date(text, *, today: date) -> date:
    """A date as said, relative ones counted from `today` (the branch's)."""
    value = " ".join(str(text or "").strip().lower().rstrip(".,").split())
    if value in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[value])
    for reader in (_weekday, _day_and_month):
        if (found := reader(value, today)) is not None:
            return found
    return parse_date(value)


def _weekday(value: str, today: date) -> date | None:
    words = value.split()
    if not words or words[-1] not in WEEKDAYS:
        return None
    extra_weeks = sum(word in WEEK_LATER for word in words[:-1])
    if any(word not in WEEKDAY_FILLERS + WEEK_LATER for word in words[:-1]):
        return None
    ahead = (WEEKDAYS[words[-1]] - today.weekday() - 1) % 7 + 1  # 1..7: never today
    return today + timedelta(days=ahead + 7 * extra_weeks)


def _day_and_month(value: str, today: date) -> date | None:
    value = value.removeprefix("am ").removeprefix("on ").removeprefix("the ")
    if match := _DAY_MONTH.match(value):
        day, month_word, year = match.groups()
    elif match := _MONTH_DAY.match(value):
        month_word, day, year = match.groups()
    else:
        return None
    if month_word not in MONTHS:
        return None
    if year:
        return _calendar_date(int(year), MONTHS[month_word], int(day), value)
    this_year = _calendar_date(today.year, MONTHS[month_word], int(day), value)
    return (
        this_year
        if this_year >= today
        else _calendar_date(today.year + 1, this_year.month, this_year.day, value)
    )


def _calendar_date(year: int, month: int, day: int, said: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise WishError(f"{said!r} is not a calendar date.", field="date") from exc


# -- times ---------------------------------------------------------------------------------------


def parse_time(text) -> time:
    """A time as said: "11:00", "11 Uhr 30", "halb drei", "Viertel vor elf", "3pm", "elf Uhr"."""
    value = " ".join(str(text or "").strip().lower().rstrip(".").split())
    value = value.removeprefix("um ").removeprefix("at ")
    for reader in (_digits, _am_pm, _quarter, _word_hour):
        if (found := reader(value)) is not None:
            return found
    raise WishError(f"Cannot read the time {value!r} (HH:MM, '11 Uhr' or '11.30').", field="time")


def _digits(value: str) -> time | None:
    if not (match := _TIME.match(value)):
        return None
    return _time_of_day(int(match.group(1)), int(match.group(2) or match.group(3) or 0), value)


def _am_pm(value: str) -> time | None:
    if not (match := _AM_PM.match(value)):
        return None
    hour = _hour_said(match.group(1))
    if hour is None or not 1 <= hour <= 12:
        return None
    afternoon = match.group(3).startswith("p")
    return _time_of_day(hour % 12 + (12 if afternoon else 0), int(match.group(2) or 0), value)


def _quarter(value: str) -> time | None:
    for pattern, minutes, shift in _QUARTERS:
        if (match := pattern.match(value)) and (hour := _hour_said(match.group(1))) is not None:
            return time(_clock_face(hour + shift), minutes)
    return None


def _word_hour(value: str) -> time | None:
    """'elf Uhr', 'drei Uhr', 'three o'clock' (digits with 'Uhr' are `_digits`, as written)."""
    if (match := _WORD_HOUR.match(value)) and match.group(1) in HOUR_WORDS:
        return time(_clock_face(HOUR_WORDS[match.group(1)]), 0)
    return None


def _hour_said(word: str) -> int | None:
    return int(word) if word.isdigit() else HOUR_WORDS.get(word)


def _clock_face(hour: int) -> int:
    """A clock-face hour (0..12) as a practice means it: 1..6 in the afternoon, 0 is noon."""
    hour %= 12
    if hour == 0:
        return 12
    return hour + 12 if hour in AFTERNOON_HOURS else hour


def _time_of_day(hour: int, minute: int, said: str) -> time:
    if hour > 23 or minute > 59:
        raise WishError(f"{said!r} is not a time of day.", field="time")
    return time(hour, minute)
