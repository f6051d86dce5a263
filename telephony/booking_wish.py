"""Read a booking wish from what the agent collected, as tolerantly as callers speak.

Sources, later ones winning: `retell_llm_dynamic_variables`, `collected_dynamic_variables`,
`call_analysis.custom_analysis_data`. Variable names are the old system's (German) ones, with
English aliases. Values arrive as strings ("true", "01.12.2026", "11 Uhr").
"""

from dataclasses import dataclass
from datetime import date, time

from booking.booking_input import checked_email, normalized_name
from booking.errors import BookingError
from telephony.spoken_when import WishError, parse_date, parse_time

__all__ = ["WishError", "parse_date", "parse_time"]  # read here by post-call, live calls and tests

TRUTHY = {"true", "1", "yes", "ja", "y", "j"}
ALIASES = {
    "confirmed": ("booking_confirmed", "termin_bestaetigt", "confirmed"),
    "date": ("datum", "date", "appointment_date"),
    "time": ("uhrzeit", "time", "appointment_time"),
    "name": ("name", "kunde_name", "customer_name", "caller_name"),
    "email": ("email", "e_mail", "mail"),
    "service": ("dienstleistung", "service"),
    "notes": ("notizen", "notes", "anmerkungen"),
}


@dataclass(frozen=True)
class BookingWish:
    day: date
    at: time
    name: str
    email: str
    service: str
    notes: str


def merged_variables(call: dict) -> dict[str, str]:
    analysis = (call.get("call_analysis") or {}).get("custom_analysis_data") or {}
    merged: dict[str, str] = {}
    for source in (
        call.get("retell_llm_dynamic_variables"),
        call.get("collected_dynamic_variables"),
        analysis,
    ):
        if isinstance(source, dict):
            merged.update({str(k).lower(): v for k, v in source.items() if v not in (None, "")})
    return merged


def _pick(variables: dict, field: str, suffix: str = ""):
    return next((variables[k + suffix] for k in ALIASES[field] if k + suffix in variables), None)


def caller_told(call: dict) -> tuple[str, str]:
    """(name, email) the caller gave, as the first wish reads them: the customer is written
    with what the booking will write, so booking it does not write the customer again."""
    variables = merged_variables(call)
    try:
        email = checked_email(_pick(variables, "email"))
    except BookingError:
        email = ""  # not an address: the booking refuses it with its reason
    return normalized_name(_pick(variables, "name")), email


def is_confirmed(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUTHY if value is not None else False


def booking_wish_from_call(call: dict) -> BookingWish | None:
    """The first confirmed wish, None when the caller did not confirm one; WishError if unreadable."""
    return _wish(merged_variables(call), "")


# A call may end with several wishes: the first under the plain names (datum, uhrzeit,
# booking_confirmed), the others numbered from 2 (datum_2, uhrzeit_2, booking_confirmed_2, ...).
MAX_WISHES = 9
WISH_SUFFIXES = ("", *(f"_{number}" for number in range(2, MAX_WISHES + 1)))


@dataclass(frozen=True)
class CallWishes:
    wishes: list[BookingWish]  # confirmed and readable, each day and time once, in order
    unreadable: list[WishError]  # confirmed but unreadable (for staff)


def booking_wishes_from_call(call: dict) -> CallWishes:
    """Every confirmed wish of the call. A numbered wish without its own name, email, service or
    notes has the first wish's: one caller, several appointments."""
    variables = merged_variables(call)
    wishes: dict[tuple[date, time], BookingWish] = {}
    unreadable: list[WishError] = []
    for suffix in WISH_SUFFIXES:
        try:
            wish = _wish(variables, suffix)
        except WishError as exc:
            unreadable.append(exc)
            continue
        if wish is not None:
            wishes.setdefault((wish.day, wish.at), wish)
    return CallWishes(wishes=list(wishes.values()), unreadable=unreadable)


def _wish(variables: dict, suffix: str) -> BookingWish | None:
    def pick(field: str):
        found = _pick(variables, field, suffix)
        return found if found is not None or not suffix else _pick(variables, field)

    if not is_confirmed(_pick(variables, "confirmed", suffix)):
        return None
    return BookingWish(
        day=parse_date(_pick(variables, "date", suffix)),
        at=parse_time(_pick(variables, "time", suffix)),
        name=str(pick("name") or "").strip(),
        email=str(pick("email") or "").strip(),
        service=str(pick("service") or "").strip(),
        notes=str(pick("notes") or "").strip(),
    )
