"""Dates and times as callers say them (telephony.spoken_when), counted from a given today."""

from datetime import time, timedelta

import pytest

from telephony.spoken_when import WishError, parse_spoken_date, parse_time
from tests import timeline

TUESDAY = 1


def _from_tuesday(text):
    """Read `text` on timeline.booking_day(), a Tuesday; the answer in days from it."""
    today = timeline.booking_day()
    return (parse_spoken_date(text, today=today) - today).days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("heute", 0),
        ("Morgen", 1),
        ("übermorgen", 2),
        ("tomorrow", 1),
        ("am Freitag", 3),
        ("Freitag", 3),
        ("on Friday", 3),
        ("Montag", 6),
        ("nächsten Dienstag", 7),  # never today: said on a Tuesday, it is next week's
        ("next Tuesday", 7),
        ("Dienstag", 7),
        ("nächsten Mittwoch", 1),
        ("übernächsten Mittwoch", 8),
        ("am Sonntag.", 5),
    ],
)
def test_relative_days(text, days):
    assert _from_tuesday(text) == days


def test_a_day_and_month_without_a_year_is_the_next_such_date():
    today = timeline.booking_day()
    later = today + timedelta(days=10)
    said = f"{later.day}. {timeline.GERMAN_MONTHS[later.month - 1]}"
    assert parse_spoken_date(said, today=today) == later
    assert parse_spoken_date(f"am {said}", today=today) == later
    assert parse_spoken_date(timeline.english_date(later), today=today) == later
    earlier = today - timedelta(days=10)
    passed = timeline.english_date(earlier)
    assert parse_spoken_date(passed, today=today) == earlier.replace(year=earlier.year + 1)


@pytest.mark.parametrize("text", ["irgendwann", "nächste Woche", "am Blumentag", "31. Februar 2030"])
def test_unreadable_days(text):
    with pytest.raises(WishError) as error:
        parse_spoken_date(text, today=timeline.booking_day())
    assert error.value.field == "date"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("halb drei", time(14, 30)),  # 02:30 is never open: the afternoon
        ("um halb 3", time(14, 30)),
        ("halb zehn", time(9, 30)),
        ("halb eins", time(12, 30)),
        ("Viertel nach zehn", time(10, 15)),
        ("viertel vor elf", time(10, 45)),
        ("Viertel nach zwei", time(14, 15)),
        ("dreiviertel zwölf", time(11, 45)),
        ("10 Uhr 30", time(10, 30)),
        ("elf Uhr", time(11, 0)),
        ("drei Uhr", time(15, 0)),
        ("3pm", time(15, 0)),
        ("3 pm", time(15, 0)),
        ("3:30 p.m.", time(15, 30)),
        ("10am", time(10, 0)),
        ("12pm", time(12, 0)),
        ("half past two", time(14, 30)),
        ("a quarter to nine", time(8, 45)),
        ("at ten o'clock", time(10, 0)),
        ("2:30", time(2, 30)),  # written digits are 24-hour, as written
        ("14:30", time(14, 30)),
    ],
)
def test_spoken_times(text, expected):
    assert parse_time(text) == expected
