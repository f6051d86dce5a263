from datetime import date, time

import pytest

from telephony.booking_wish import WishError, booking_wish_from_call, is_confirmed, parse_date, parse_time


@pytest.mark.parametrize("value", [True, "true", "TRUE", "1", 1, "yes", "Yes", "ja", "JA", " ja "])
def test_confirmed_values(value):
    assert is_confirmed(value) is True


@pytest.mark.parametrize("value", [False, "false", "0", 0, "no", "nein", "", None, "vielleicht"])
def test_unconfirmed_values(value):
    assert is_confirmed(value) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("01.12.2026", date(2026, 12, 1)),
        ("1.12.2026", date(2026, 12, 1)),
        ("01.12.26", date(2026, 12, 1)),
        (" 2026-1-5 ", date(2026, 1, 5)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "morgen", "31.02.2026", "2026/12/01", "12-01-2026"])
def test_unreadable_dates(text):
    with pytest.raises(WishError):
        parse_date(text)


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


@pytest.mark.parametrize("text", ["", "mittags", "25:00", "11:75", "elf Uhr"])
def test_unreadable_times(text):
    with pytest.raises(WishError):
        parse_time(text)


def test_later_sources_win_and_german_names_are_read():
    call = {
        "retell_llm_dynamic_variables": {"name": "Unbekannt", "datum": "2026-11-30"},
        "collected_dynamic_variables": {
            "booking_confirmed": "ja",
            "datum": "01.12.2026",
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
    assert (wish.day, wish.at, wish.name) == (date(2026, 12, 1), time(11, 0), "Jana Caller")
    assert (wish.email, wish.service, wish.notes) == ("jana@example.com", "Beratung", "Rückruf erwünscht")


def test_no_confirmation_means_no_wish():
    assert booking_wish_from_call({"collected_dynamic_variables": {"datum": "2026-12-01"}}) is None


def test_confirmed_but_unreadable_is_an_error_staff_can_read():
    with pytest.raises(WishError, match="date"):
        booking_wish_from_call(
            {"collected_dynamic_variables": {"booking_confirmed": "true", "uhrzeit": "11:00"}}
        )
