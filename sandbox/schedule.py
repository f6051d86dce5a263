"""The calendar of the local Cal.com sandbox: event types, working hours, bookable start times.

Cal.com is never reachable from our machines, so the demo and the end-to-end tests talk to the
stand-in in `sandbox.server`. This module is its HTTP-free half: which event types
exist, when their hosts work and which start times the booking rules allow. Bookings (who is
busy when) live in `sandbox.bookings`. Stdlib only, no Django.

The rules copy the ones a booking client meets on the real API v2
(https://cal.com/docs/api-reference/v2, see shared/contracts/calcom-api.md):
slots on a fixed grid (interval = event length) inside working hours, a minimum booking notice
and a booking window counted in calendar days of the calendar's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock

BERLIN = "Europe/Berlin"

Clock = Callable[[], datetime]
# Weekday (Monday = 0) -> (first start, end of the working day), local wall time.
WorkingHours = dict[int, tuple[time, time]]

DEFAULT_WORKING_HOURS: WorkingHours = {
    **{weekday: (time(9), time(17)) for weekday in range(5)},
    5: (time(9), time(13)),
}
DEFAULT_MINIMUM_NOTICE_MINUTES = 60
DEFAULT_BOOKING_WINDOW_DAYS = 60


def utc_now() -> datetime:
    return clock.now()


class SandboxError(Exception):
    """An answer the sandbox gives instead of data; `sandbox.py` renders it like Nest would.

    `bare` selects Nest's bare `{"statusCode", "message"}` body, which some real errors use
    (contract §2.7) instead of the main `{"status": "error", ...}` envelope. `code` is for the
    filters that name the error themselves and send no details: the tRPC filter ("TRPCError")
    and the Prisma filter ("CONFLICT").
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        bare: bool = False,
        details: dict | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.bare = bare
        self.details = details
        self.code = code


def bad_request(message: str | list[str]) -> SandboxError:
    """400 like Nest's BadRequestException; a list mimics ValidationPipe's DTO errors."""
    if isinstance(message, list):
        details = {"message": message, "error": "Bad Request", "statusCode": 400}
        return SandboxError(400, ", ".join(message), details=details)
    return SandboxError(400, message)


@dataclass(frozen=True)
class Host:
    id: int
    name: str
    email: str
    username: str
    time_zone: str = BERLIN


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class EventTypeConfig:
    """One bookable service. A team event type has `team` and a `scheduling_type`."""

    id: int
    slug: str
    title: str
    length: int
    hosts: tuple[Host, ...]
    locations: tuple[dict, ...] = ()
    length_options: tuple[int, ...] = ()  # empty: only `length` (no multiple durations)
    requires_confirmation: bool = False  # bookings come back "pending"
    team: Team | None = None
    scheduling_type: str | None = None  # "collective" (all hosts) or "roundRobin" (any host)
    description: str = ""

    @property
    def durations(self) -> tuple[int, ...]:
        return self.length_options or (self.length,)


OWNER_BERLIN = Host(7, "Dr. Anna Berger", "anna.berger@praxis-berger.example", "anna-berger")
OWNER_MUNICH = Host(8, "Marco Lehmann", "marco.lehmann@praxis-berger.example", "marco-lehmann")
TEAM_HOSTS = (
    Host(9, "Ben Krause", "ben.krause@praxis-berger.example", "ben-krause"),
    Host(10, "Clara Nowak", "clara.nowak@praxis-berger.example", "clara-nowak"),
)
TEAM_PRAXIS = Team(39203, "Praxis Berger Team", "praxis-berger")


def _address(address: str) -> dict:
    return {"type": "address", "address": address, "public": True}


# The built-in calendar the demo tenant (companies/demo.py) books in.
BUILTIN_EVENT_TYPES: tuple[EventTypeConfig, ...] = (
    EventTypeConfig(
        1001,
        "beratung",
        "Beratung",
        30,
        (OWNER_BERLIN,),
        locations=({"type": "attendeePhone"}, _address("Friedrichstraße 100, 10117 Berlin")),
        length_options=(30, 60),
    ),
    EventTypeConfig(
        1002,
        "haarschnitt",
        "Haarschnitt",
        45,
        (OWNER_MUNICH,),
        locations=(_address("Leopoldstraße 50, 80802 München"),),
    ),
    EventTypeConfig(
        2001,
        "behandlung-team",
        "Behandlung Team",
        60,
        TEAM_HOSTS,
        locations=(_address("Friedrichstraße 100, 10117 Berlin"),),
        requires_confirmation=True,
        team=TEAM_PRAXIS,
        scheduling_type="collective",
    ),
)


@dataclass
class SandboxCalendar:
    """Event types plus the rules that decide which start times are bookable at all."""

    event_types: tuple[EventTypeConfig, ...] = BUILTIN_EVENT_TYPES
    time_zone: str = BERLIN
    working_hours: WorkingHours = field(default_factory=lambda: dict(DEFAULT_WORKING_HOURS))
    minimum_notice_minutes: int = DEFAULT_MINIMUM_NOTICE_MINUTES
    booking_window_days: int = DEFAULT_BOOKING_WINDOW_DAYS
    clock: Clock = utc_now

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def teams(self) -> list[Team]:
        found = {et.team.id: et.team for et in self.event_types if et.team}
        return [found[team_id] for team_id in sorted(found)]

    def personal_event_types(self) -> list[EventTypeConfig]:
        return [et for et in self.event_types if et.team is None]

    def team_event_types(self, team_id: int) -> list[EventTypeConfig]:
        return [et for et in self.event_types if et.team and et.team.id == team_id]

    def event_type(self, event_type_id: int) -> EventTypeConfig:
        for event_type in self.event_types:
            if event_type.id == event_type_id:
                return event_type
        raise SandboxError(404, f"Event type with id {event_type_id} not found.")

    def event_type_by_slug(self, slug: str) -> EventTypeConfig:
        for event_type in self.event_types:
            if event_type.slug == slug:
                return event_type
        raise SandboxError(404, f"Event type with slug {slug} not found.")

    # -- booking rules -----------------------------------------------------------------------

    def earliest_start(self) -> datetime:
        return self.now() + timedelta(minutes=self.minimum_notice_minutes)

    def last_bookable_day(self) -> date:
        """The window counts calendar days in the calendar's zone, like Cal.com's periodDays."""
        return self.now().astimezone(self.zone).date() + timedelta(days=self.booking_window_days)

    def within_bounds(self, start: datetime) -> bool:
        """False when `start` is past, too soon (minimum notice) or beyond the booking window."""
        local_day = start.astimezone(self.zone).date()
        return start >= self.earliest_start() and local_day <= self.last_bookable_day()

    def grid_starts(
        self, *, event_type: EventTypeConfig, start: datetime, end: datetime, length: int
    ) -> Iterator[datetime]:
        """Working-hours slot starts (UTC) in [start, end] that fit `length` and the bounds."""
        first_day = max(start.astimezone(self.zone).date(), self.now().astimezone(self.zone).date())
        last_day = min(end.astimezone(self.zone).date(), self.last_bookable_day())
        day = first_day
        while day <= last_day:
            for slot in self._day_grid(day, event_type.length, length):
                if start <= slot <= end and self.within_bounds(slot):
                    yield slot
            day += timedelta(days=1)

    def is_grid_start(self, *, event_type: EventTypeConfig, start: datetime, length: int) -> bool:
        day = start.astimezone(self.zone).date()
        return start in self._day_grid(day, event_type.length, length)

    def _day_grid(self, day: date, interval: int, length: int) -> list[datetime]:
        """Starts every `interval` minutes from opening while `length` still ends by closing.

        Local wall times become UTC through zoneinfo, so the offset of each day is right across
        the DST switches (last Sunday of March and October in Europe/Berlin).
        """
        hours = self.working_hours.get(day.weekday())
        if hours is None:
            return []
        opening = datetime.combine(day, hours[0], tzinfo=self.zone)
        closing = datetime.combine(day, hours[1], tzinfo=self.zone)
        starts, slot = [], opening
        while slot + timedelta(minutes=length) <= closing:
            starts.append(slot.astimezone(UTC))
            slot += timedelta(minutes=interval)
        return starts


# -- formatting and parsing ----------------------------------------------------------------------


def format_utc(moment: datetime) -> str:
    """`2026-12-01T15:00:00.000Z`, the way the bookings API writes times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_in_zone(moment: datetime, zone: ZoneInfo) -> str:
    """`2050-09-05T09:00:00.000+02:00` like Luxon's `setZone(tz).toISO()` (UTC gets `Z`)."""
    text = moment.astimezone(zone).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if zone.key == "UTC" else text


def parse_utc(value: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 instant; without an offset it is UTC. A bare date is 00:00:00Z, or 23:59:59Z
    with `end_of_day` (the slots endpoint's adjustStartTime/adjustEndTime, contract §2.2)."""
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0), tzinfo=UTC)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def zone_or_none(name: object) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def event_type_output(event_type: EventTypeConfig, calendar: SandboxCalendar) -> dict:
    """EventTypeOutput_2024_06_14 (or the team variant), the fields a booking client reads."""
    output = {
        "id": event_type.id,
        "lengthInMinutes": event_type.length,
        "title": event_type.title,
        "slug": event_type.slug,
        "description": event_type.description,
        "locations": [dict(location) for location in event_type.locations],
        "bookingFields": booking_fields(),
        "disableGuests": False,
        "slotInterval": event_type.length,
        "minimumBookingNotice": calendar.minimum_notice_minutes,
        "beforeEventBuffer": 0,
        "afterEventBuffer": 0,
        "recurrence": None,
        "metadata": {},
        "price": 0,
        "currency": "eur",
        "lockTimeZoneToggleOnBookingPage": False,
        "seatsPerTimeSlot": None,
        "forwardParamsSuccessRedirect": None,
        "successRedirectUrl": None,
        "isInstantEvent": False,
        "scheduleId": None,
        "hidden": False,
        "bookingRequiresAuthentication": False,
        "bookingWindow": [{"type": "calendarDays", "value": calendar.booking_window_days, "rolling": False}],
        "confirmationPolicy": _confirmation_policy(event_type),
    }
    if event_type.length_options:
        output["lengthInMinutesOptions"] = list(event_type.length_options)
    output.update(_owner_fields(event_type))
    return output


def _owner_fields(event_type: EventTypeConfig) -> dict:
    if event_type.team is None:
        owner = event_type.hosts[0]
        return {
            "ownerId": owner.id,
            "users": [owner.username],
            "bookingUrl": f"https://cal.com/{owner.username}/{event_type.slug}",
        }
    team = event_type.team
    return {
        "ownerId": None,
        "teamId": team.id,
        "parentEventTypeId": None,
        "schedulingType": event_type.scheduling_type,
        "assignAllTeamMembers": False,
        "hosts": [
            {"userId": host.id, "name": host.name, "username": host.username, "avatarUrl": None}
            for host in event_type.hosts
        ],
        "team": {
            "id": team.id,
            "slug": team.slug,
            "name": team.name,
            "bannerUrl": None,
            "logoUrl": None,
            "weekStart": "Monday",
            "brandColor": None,
            "darkBrandColor": None,
            "theme": None,
        },
        "bookingUrl": f"https://cal.com/team/{team.slug}/{event_type.slug}",
    }


def _confirmation_policy(event_type: EventTypeConfig) -> dict:
    if not event_type.requires_confirmation:
        return {"disabled": True}
    return {"type": "always", "blockUnconfirmedBookingsInBooker": True}


def booking_fields() -> list[dict]:
    """The booking form every sandbox event type has; webhook `responses` follow it too."""

    def default(slug: str, label: str, required: bool) -> dict:
        return {
            "type": slug,
            "slug": slug,
            "label": label,
            "placeholder": "",
            "required": required,
            "isDefault": True,
        }

    phone = {
        "type": "phone",
        "slug": "attendeePhoneNumber",
        "label": "Phone number",
        "required": False,
        "placeholder": "",
        "hidden": False,
        "isDefault": False,
    }
    # Email is optional because the sandbox takes phone-only bookings (contract §2.3): real
    # Cal.com allows that only with {required: false, hidden: true} plus attendeePhoneNumber.
    return [
        default("name", "Your name", True),
        default("email", "Email address", False),
        phone,
        default("notes", "Additional notes", False),
    ]
