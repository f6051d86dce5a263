"""The endpoints of the local Cal.com sandbox: routes, versions, output bodies.

Paths, `cal-api-version` values and bodies follow Cal.com API v2
(https://cal.com/docs/api-reference/v2; shared/contracts/calcom-api.md §1-2 and the saved
OpenAPI in shared/contracts/calcom-v2-openapi.json). Confirm, decline and mark-absent answer 200
and need the host's key, like [CAL] apps/api/v2/src/ee/bookings/2024-08-13/controllers/
bookings.controller.ts; /v2/webhooks is sandbox.webhooks. Query strings are parsed in
`sandbox.queries`; transport concerns (auth, throttling, faults, the socket) are in
`sandbox.server`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.bookings import BookingLedger
from sandbox.queries import as_int, booking_filter, booking_sort, query_instant, query_int
from sandbox.schedule import (
    EventTypeConfig,
    SandboxCalendar,
    SandboxError,
    bad_request,
    event_type_output,
    format_in_zone,
    zone_or_none,
)
from sandbox.webhooks import WebhookStore

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
    # The host's own actions: ApiAuthGuard, "the authorization header refers to the owner".
    _route("POST", r"/v2/bookings/(?P<uid>[^/]+)/confirm", VERSION_BOOKINGS, True, "confirm_booking"),
    _route("POST", r"/v2/bookings/(?P<uid>[^/]+)/decline", VERSION_BOOKINGS, True, "decline_booking"),
    _route("POST", r"/v2/bookings/(?P<uid>[^/]+)/mark-absent", VERSION_BOOKINGS, True, "mark_absent"),
    _route("POST", r"/v2/webhooks", None, True, "create_webhook"),
    _route("GET", r"/v2/webhooks", None, True, "list_webhooks"),
    _route("GET", r"/v2/webhooks/(?P<webhook_id>[^/]+)", None, True, "get_webhook"),
    _route("PATCH", r"/v2/webhooks/(?P<webhook_id>[^/]+)", None, True, "update_webhook"),
    _route("DELETE", r"/v2/webhooks/(?P<webhook_id>[^/]+)", None, True, "delete_webhook"),
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

    def __init__(self, calendar: SandboxCalendar, ledger: BookingLedger, webhooks: WebhookStore) -> None:
        self.calendar = calendar
        self.ledger = ledger
        self.webhooks = webhooks

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
        start = query_instant(query, "start")
        end = query_instant(query, "end", end_of_day=True)
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
            return self.calendar.event_type(query_int(query, "eventTypeId"))
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
        take = query_int(query, "take", default=100, low=1, high=MAX_TAKE)
        skip = query_int(query, "skip", default=0, low=0)
        sort_key, reverse = booking_sort(query)
        matches = self.ledger.select(
            booking_filter(query, self.calendar.now()), sort_key=sort_key, reverse=reverse
        )
        page = matches[skip : skip + take]
        return 200, success(
            page, pagination=pagination(len(matches), take=take, skip=skip, returned=len(page))
        )

    def confirm_booking(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 200, success(self.ledger.confirm(uid))

    def decline_booking(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 200, success(self.ledger.decline(uid, request.json()))

    def mark_absent(self, request: ApiRequest, uid: str) -> tuple[int, dict]:
        return 200, success(self.ledger.mark_absent(uid, request.json()))

    # -- webhooks (every cal-api-version; the controller declares them all) --------------------

    def create_webhook(self, request: ApiRequest) -> tuple[int, dict]:
        return 201, success(self.webhooks.create(request.json()))

    def list_webhooks(self, request: ApiRequest) -> tuple[int, dict]:
        take = query_int(request.query, "take", default=MAX_TAKE, low=1, high=MAX_TAKE)
        skip = query_int(request.query, "skip", default=0, low=0)
        return 200, success(self.webhooks.list(skip=skip, take=take))

    def get_webhook(self, request: ApiRequest, webhook_id: str) -> tuple[int, dict]:
        return 200, success(self.webhooks.get(webhook_id))

    def update_webhook(self, request: ApiRequest, webhook_id: str) -> tuple[int, dict]:
        return 200, success(self.webhooks.update(webhook_id, request.json()))

    def delete_webhook(self, request: ApiRequest, webhook_id: str) -> tuple[int, dict]:
        return 200, success(self.webhooks.delete(webhook_id))


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


def _slot_length(duration: str | None, event_type: EventTypeConfig) -> int:
    if not duration:
        return event_type.length
    length = as_int(duration, "duration")
    if length not in event_type.durations:
        allowed = ", ".join(map(str, event_type.durations))
        raise bad_request(f"duration must be one of the event type's lengths: {allowed}")
    return length
