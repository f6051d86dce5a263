from datetime import date, time

import pytest

from telephony.booking_wish import WishError, booking_wish_from_call, is_confirmed, parse_date, parse_time
from tests import timeline


@pytest.mark.parametrize("value", [True, "true", "TRUE", "1", 1, "yes", "Yes", "ja", "JA", " ja "])
def test_confirmed_values(value):
    assert is_confirmed(value) is True


@pytest.mark.parametrize("value", [False, "false", "0", 0, "no", "nein", "", None, "vielleicht"])
def test_unconfirmed_values(value):
    assert is_confirmed(value) is False


def _ahead(month: int, day: int) -> date:
    """The next `day`.`month` after today (for one-digit days and months)."""
    today = timeline.today()
    candidate = today.replace(month=month, day=day)
    return candidate if candidate > today else candidate.replace(year=candidate.year + 1)


@pytest.mark.parametrize(
    ("form", "which"),
    [
        ("{d:%Y-%m-%d}", "booking day"),
        ("{d:%d.%m.%Y}", "booking day"),
        ("{d.day}.{d:%m.%Y}", "1st of December"),  # no leading zero on the day, as in '1.12.' and the year
        ("{d:%d.%m.%y}", "booking day"),  # two-digit year
        (" {d.year}-{d.month}-{d.day} ", "5th of January"),  # one-digit month and day, padded with spaces
    ],
)
def test_dates(form, which):
    expected = {
        "booking day": timeline.booking_day(),
        "1st of December": _ahead(12, 1),
        "5th of January": _ahead(1, 5),
    }[which]
    assert parse_date(form.format(d=expected)) == expected


@pytest.mark.parametrize(
    "form",
    [
        "",
        "morgen",
        "31.02.{d.year}",  # no such day
        "{d:%Y/%m/%d}",
        "{d:%m-%d-%Y}",
    ],
)
def test_unreadable_dates(form):
    with pytest.raises(WishError):
        parse_date(form.format(d=timeline.booking_day()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11:00", time(11, 0)),
        ("9:30", time(9, 30)),
        ("11 Uhr", time(11, 0)),
        ("11.30", time(11, 30)),
        ("11:30 Uhr", time(11, 30)),
        ("11 uhr 30", time(11, 30)),
        ("14", time(14, 0)),
        ("8h15", time(8, 15)),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "mittags", "25:00", "11:75", "halb dreizehn", "13pm"])
def test_unreadable_times(text):
    with pytest.raises(WishError):
        parse_time(text)


def test_later_sources_win_and_german_names_are_read():
    day = timeline.booking_day()
    call = {
        "retell_llm_dynamic_variables": {"name": "Unbekannt", "datum": timeline.today().isoformat()},
        "collected_dynamic_variables": {
            "booking_confirmed": "ja",
            "datum": f"{day:%d.%m.%Y}",
            "uhrzeit": "11 Uhr",
            "name": "Jana Caller",
        },
        "call_analysis": {
            "custom_analysis_data": {
                "email": "jana@example.com",
                "dienstleistung": "Beratung",
                "notizen": "Rückruf erwünscht",
            }
        },
    }
    wish = booking_wish_from_call(call)
    assert (wish.day, wish.at, wish.name) == (day, time(11, 0), "Jana Caller")
    assert (wish.email, wish.service, wish.notes) == ("jana@example.com", "Beratung", "Rückruf erwünscht")


def test_no_confirmation_means_no_wish():
    day = timeline.booking_day().isoformat()
    assert booking_wish_from_call({"collected_dynamic_variables": {"datum": day}}) is None


def test_confirmed_but_unreadable_is_an_error_staff_can_read():
    with pytest.raises(WishError, match="date"):
        booking_wish_from_call(
            {"collected_dynamic_variables": {"booking_confirmed": "true", "uhrzeit": "11:00"}}
        )
