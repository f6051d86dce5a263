"""Query strings of the sandbox's GET endpoints: typed parameters and the bookings filters.

Parameter names, defaults and messages follow Cal.com API v2 (GET /v2/bookings and /v2/slots in
the saved OpenAPI; contract §2.2, §2.4); `sandbox.api` calls these helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sandbox.schedule import bad_request, parse_utc

if TYPE_CHECKING:
    from sandbox.booking_record import Booking

BOOKING_STATUS_FILTERS = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")


def booking_filter(query: Mapping[str, str], now: datetime) -> Callable[[Booking], bool]:
    checks: list[Callable[[Booking], bool]] = []
    ids = {query_int(query, "eventTypeId")} if query.get("eventTypeId") else set()
    ids |= {as_int(part, "eventTypeIds") for part in csv_values(query.get("eventTypeIds"))}
    if ids:
        checks.append(lambda b: b.event_type.id in ids)
    if query.get("teamId"):
        team_id = query_int(query, "teamId")
        checks.append(lambda b: b.event_type.team is not None and b.event_type.team.id == team_id)
    checks += _attendee_checks(query)
    if query.get("afterStart"):
        after = query_instant(query, "afterStart")
        checks.append(lambda b: b.start >= after)
    if query.get("beforeEnd"):
        before = query_instant(query, "beforeEnd")
        checks.append(lambda b: b.end <= before)
    if query.get("status"):
        checks.append(_status_check(csv_values(query["status"]), now))
    return lambda booking: all(check(booking) for check in checks)


def _attendee_checks(query: Mapping[str, str]) -> list[Callable[[Booking], bool]]:
    checks: list[Callable[[Booking], bool]] = []
    if query.get("attendeeEmail"):
        email = query["attendeeEmail"].strip().lower()
        checks.append(lambda b: b.attendee["email"].lower() == email)
    if query.get("attendeeName"):
        name = query["attendeeName"].strip().lower()
        checks.append(lambda b: b.attendee["name"].lower() == name)
    if query.get("bookingUid"):
        uid = query["bookingUid"]
        checks.append(lambda b: b.uid == uid)
    return checks


def _status_check(statuses: list[str], now: datetime) -> Callable[[Booking], bool]:
    """Any of the requested statuses; "recurring" matches nothing (no recurring types here)."""
    unknown = [status for status in statuses if status not in BOOKING_STATUS_FILTERS]
    if unknown:
        raise bad_request([f"status must be one of: {', '.join(BOOKING_STATUS_FILTERS)}"])
    tests = {
        "upcoming": lambda b: b.end >= now and b.status in ("accepted", "pending"),
        "unconfirmed": lambda b: b.end >= now and b.status == "pending",
        "past": lambda b: b.end <= now and b.status not in ("cancelled", "rejected"),
        "cancelled": lambda b: b.status in ("cancelled", "rejected"),
        "recurring": lambda b: False,
    }
    return lambda booking: any(tests[status](booking) for status in statuses)


def booking_sort(query: Mapping[str, str]) -> tuple[Callable[[Booking], tuple], bool]:
    """The first sort parameter given wins; by default the earliest start comes first."""
    fields = {
        "sortStart": "start",
        "sortEnd": "end",
        "sortCreated": "created_at",
        "sortUpdatedAt": "updated_at",
    }
    chosen = next((name for name in fields if query.get(name)), None)
    if chosen is None:
        return (lambda b: (b.start, b.id)), False
    if query[chosen] not in ("asc", "desc"):
        raise bad_request([f"{chosen} must be one of the following values: asc, desc"])
    attribute = fields[chosen]
    return (lambda b: (getattr(b, attribute), b.id)), query[chosen] == "desc"


def query_instant(query: Mapping[str, str], name: str, *, end_of_day: bool = False) -> datetime:
    try:
        return parse_utc(query[name], end_of_day=end_of_day)
    except (KeyError, ValueError) as exc:
        raise bad_request([f"{name} must be a valid ISO 8601 date string"]) from exc


def query_int(
    query: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    value = as_int(query[name], name) if query.get(name) else default
    if value is None:
        raise bad_request([f"{name} must be a number"])
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_request([f"{name} must be between {low} and {high or 'any'}"])
    return value


def as_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise bad_request([f"{name} must be a number"]) from exc


def csv_values(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
