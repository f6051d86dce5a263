"""The endpoints of the local Cal.com sandbox: routes, versions, query parsing, output bodies.

Paths, `cal-api-version` values and bodies follow Cal.com API v2
(https://cal.com/docs/api-reference/v2; shared/contracts/calcom-api.md §1-2 and the saved
OpenAPI in shared/contracts/calcom-v2-openapi.json). Transport concerns (auth, throttling,
faults, the socket) are in `sandbox.py`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.bookings import Booking, BookingLedger
from sandbox.schedule import (
    EventTypeConfig,
    SandboxCalendar,
    SandboxError,
    bad_request,
    event_type_output,
    format_in_zone,
    parse_utc,
    zone_or_none,
)

VERSION_BOOKINGS = "2024-08-13"
VERSION_SLOTS = "2024-09-04"
VERSION_EVENT_TYPES = "2024-06-14"
# Every value the real API routes on ([CAL] packages/platform/constants/api.ts).
KNOWN_VERSIONS = ("2024-04-15", "2024-06-11", "2024-06-14", "2024-08-13", "2024-09-04")
# The real API routes a missing or unknown version to the legacy 2024-04-15 controllers without
# a word (different body, the attendeeEmail filter ignored; contract §1). A demo that "works"
# against that fallback would break in production, so the sandbox fails loudly instead.
VERSION_REFUSED = (
    "cal-api-version header is missing or unknown ({got}). The real Cal.com API would silently "
    "fall back to the legacy 2024-04-15 version here; the sandbox refuses that fallback. Send "
    "cal-api-version: {wanted} for {path}."
)
BOOKING_STATUS_FILTERS = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")
MAX_TAKE = 250


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # without the query string
    target: str  # path and query, what Nest reports as `path` in errors
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive (http.server's message object)
    body: bytes = b""
    client: str = ""
    as_host: bool = False  # set after auth: a caller with a valid key acts as the host

    def json(self) -> object:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise bad_request(f"Invalid JSON body: {exc}") from exc


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    version: str | None  # None: the controller declares every version (teams)
    auth_required: bool  # False: OptionalApiAuthGuard, anonymous callers get in too
    endpoint: str  # a SandboxApi method


def _route(method: str, path: str, version: str | None, auth: bool, endpoint: str) -> Route:
    return Route(method, re.compile(f"^{path}$"), version, auth, endpoint)


ROUTES = (
    _route("GET", r"/v2/event-types", VERSION_EVENT_TYPES, True, "list_event_types"),
    _route("GET", r"/v2/event-types/(?P<event_type_id>\d+)", VERSION_EVENT_TYPES, True, "get_event_type"),
    _route("GET", r"/v2/teams", None, True, "list_teams"),
    _route("GET", r"/v2/teams/(?P<team_id>\d+)/event-types", None, True, "list_team_event_types"),
    _route("GET", r"/v2/slots", VERSION_SLOTS, False, "get_slots"),
    _route("GET", r"/v2/bookings", VERSION_BOOKINGS, True, "list_bookings"),
    _route("POST", r"/v2/bookings", VERSION_BOOKINGS, False, "create_booking"),
    _route("GET", r"/v2/bookings/(?P<uid>[^/]+)", VERSION_BOOKINGS, False, "get_booking"),
    _route("POST", r"/v2/bookings/(?P<uid>[^/]+)/reschedule", VERSION_BOOKINGS, False, "reschedule_booking"),
    _route("POST", r"/v2/bookings/(?P<uid>[^/]+)/cancel", VERSION_BOOKINGS, False, "cancel_booking"),
)


def match_route(request: ApiRequest) -> tuple[Route, dict[str, str]]:
    """The route for the request, or the 404 Nest's router gives for anything else."""
    path = request.path.rstrip("/") or "/"
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == request.method:
            return route, found.groupdict()
    raise SandboxError(404, f"Cannot {request.method} {request.path}")


def check_version(route: Route, request: ApiRequest) -> None:
    """A valid but different version is a 404, as NestJS cannot match the route (contract §1)."""
    if route.version is None:
        return
    version = request.headers.get("cal-api-version")
    if version not in KNOWN_VERSIONS:
        got = f"got {version!r}" if version else "header absent"
        raise bad_request(VERSION_REFUSED.format(got=got, wanted=route.version, path=request.path))
    if version != route.version:
        raise SandboxError(404, f"Cannot {request.method} {request.path}")


def success(data: object, **extra: object) -> dict:
    return {"status": "success", "data": data, **extra}


class SandboxApi:
    """One method per route; each returns (HTTP status, response body)."""

    def __init__(self, calendar: SandboxCalendar, ledger: BookingLedger) -> None:
        self.calendar = calendar
        self.ledger = ledger

    def dispatch(self, route: Route, request: ApiRequest, params: dict[str, str]) -> tuple[int, dict]:
        endpoint: Callable[..., tuple[int, dict]] = getattr(self, route.endpoint)
        return endpoint(request, **params)

    # -- event types and teams -----------------------------------------------------------------

    def list_event_types(self, request: ApiRequest) -> tuple[int, dict]:
        username, slug = request.query.get("username"), request.query.get("eventSlug")
        found = [
            et
            for et in self.calendar.personal_event_types()
            if (not username or username in {host.username for host in et.hosts})
            and (not slug or et.slug == slug)
        ]
        return 200, success([event_type_output(et, self.calendar) for et in found])

    def get_event_type(self, request: ApiRequest, event_type_id: str) -> tuple[int, dict]:
        event_type = self.calendar.event_type(int(event_type_id))
        if event_type.team is not None:  # team event types live under /v2/teams/{id}/...
            raise SandboxError(404, f"Event type with id {event_type_id} not found.")
        return 200, success(event_type_output(event_type, self.calendar))

    def list_teams(self, request: ApiRequest) -> tuple[int, dict]:
        teams = [
            {
                "id": team.id,
                "name": team.name,
                "slug": team.slug,
                "isOrganization": False,
                "timeZone": self.calendar.time_zone,
                "weekStart": "Monday",
            }
            for team in self.calendar.teams()
        ]
        return 200, success(teams)

    def list_team_event_types(self, request: ApiRequest, team_id: str) -> tuple[int, dict]:
        if int(team_id) not in {team.id for team in self.calendar.teams()}:
            raise SandboxError(404, f"Team with id={team_id} not found")
        slug = request.query.get("eventSlug")
        found = [et for et in self.calendar.team_event_types(int(team_id)) if not slug or et.slug == slug]
        return 200, success([event_type_output(et, self.calendar) for et in found])

    # -- slots ---------------------------------------------------------------------------------

    def get_slots(self, request: ApiRequest) -> tuple[int, dict]:
        query = request.query
        event_type = self._slots_event_type(query)
        start = _query_instant(query, "start")
        end = _query_instant(query, "end", end_of_day=True)
        if end < start:
            raise bad_request("end must be after start")
        zone = zone_or_none(query.get("timeZone") or "UTC")
        if zone is None:
            raise bad_request(["timeZone must be a valid IANA time zone"])
        if query.get("format", "time") not in ("time", "range"):
            raise bad_request(["format must be one of the following values: time, range"])
        length = _slot_length(query.get("duration"), event_type)
        starts = self.ledger.free_starts(
            event_type=event_type,
            start=start,
            end=end,
            length=length,
            ignore_uid=query.get("bookingUidToReschedule"),
        )
        return 200, success(slots_by_day(starts, zone, length, ranged=query.get("format") == "range"))

    def _slots_event_type(self, query: Mapping[str, str]) -> EventTypeConfig:
        if query.get("eventTypeId"):
            return self.calendar.event_type(_query_int(query, "eventTypeId"))
        if query.get("eventTypeSlug"):
            return self.calendar.event_type_by_slug(query["eventTypeSlug"])
        raise bad_request("Either eventTypeId or eventTypeSlug (with username or teamSlug) must be provided")

    # -- bookings ------------------------------------------------------------------------------

    def create_booking(self, request: ApiRequest) -> tuple[int, dict]:
        return 201, success(self.ledger.create(request.json()))

    def get_booking(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 200, success(self.ledger.get(uid))

    def reschedule_booking(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 201, success(self.ledger.reschedule(uid, request.json()))

    def cancel_booking(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 200, success(self.ledger.cancel(uid, request.json(), as_host=request.as_host))

    def list_bookings(self, request: ApiRequest) -> tuple[int, dict]:
        query = request.query
        take = _query_int(query, "take", default=100, low=1, high=MAX_TAKE)
        skip = _query_int(query, "skip", default=0, low=0)
        sort_key, reverse = _booking_sort(query)
        matches = self.ledger.select(
            _booking_filter(query, self.calendar.now()), sort_key=sort_key, reverse=reverse
        )
        page = matches[skip : skip + take]
        return 200, success(
            page, pagination=pagination(len(matches), take=take, skip=skip, returned=len(page))
        )


def slots_by_day(starts: list[datetime], zone: ZoneInfo, length: int, *, ranged: bool) -> dict:
    """Date keys in the output zone, like Cal.com's `_mapSlotsToDate`; empty days omitted."""
    days: dict[str, list[dict]] = {}
    for start in starts:
        slot = {"start": format_in_zone(start, zone)}
        if ranged:
            slot["end"] = format_in_zone(start + timedelta(minutes=length), zone)
        days.setdefault(start.astimezone(zone).date().isoformat(), []).append(slot)
    return days


def pagination(total: int, *, take: int, skip: int, returned: int) -> dict:
    """PaginationMetaDto of GetBookingsOutput_2024_08_13."""
    return {
        "totalItems": total,
        "remainingItems": max(total - (skip + take), 0),
        "returnedItems": returned,
        "itemsPerPage": take,
        "currentPage": skip // take + 1,
        "totalPages": math.ceil(total / take),
        "hasNextPage": skip + take < total,
        "hasPreviousPage": skip > 0,
    }


def _booking_filter(query: Mapping[str, str], now: datetime) -> Callable[[Booking], bool]:
    checks: list[Callable[[Booking], bool]] = []
    ids = {_query_int(query, "eventTypeId")} if query.get("eventTypeId") else set()
    ids |= {_as_int(part, "eventTypeIds") for part in _csv(query.get("eventTypeIds"))}
    if ids:
        checks.append(lambda b: b.event_type.id in ids)
    if query.get("teamId"):
        team_id = _query_int(query, "teamId")
        checks.append(lambda b: b.event_type.team is not None and b.event_type.team.id == team_id)
    checks += _attendee_checks(query)
    if query.get("afterStart"):
        after = _query_instant(query, "afterStart")
        checks.append(lambda b: b.start >= after)
    if query.get("beforeEnd"):
        before = _query_instant(query, "beforeEnd")
        checks.append(lambda b: b.end <= before)
    if query.get("status"):
        checks.append(_status_check(_csv(query["status"]), now))
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


def _booking_sort(query: Mapping[str, str]) -> tuple[Callable[[Booking], tuple], bool]:
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


def _slot_length(duration: str | None, event_type: EventTypeConfig) -> int:
    if not duration:
        return event_type.length
    length = _as_int(duration, "duration")
    if length not in event_type.durations:
        allowed = ", ".join(map(str, event_type.durations))
        raise bad_request(f"duration must be one of the event type's lengths: {allowed}")
    return length


def _query_instant(query: Mapping[str, str], name: str, *, end_of_day: bool = False) -> datetime:
    try:
        return parse_utc(query[name], end_of_day=end_of_day)
    except (KeyError, ValueError) as exc:
        raise bad_request([f"{name} must be a valid ISO 8601 date string"]) from exc


def _query_int(
    query: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    value = _as_int(query[name], name) if query.get(name) else default
    if value is None:
        raise bad_request([f"{name} must be a number"])
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_request([f"{name} must be between {low} and {high or 'any'}"])
    return value


def _as_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise bad_request([f"{name} must be a number"]) from exc


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
