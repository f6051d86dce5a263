"""What booking needs from a calendar service, whoever provides it (Cal.com: calcom.py).

Moments go in and come out aware. Failures are the integration errors every vendor shares
(integrations/errors.py): permanent ones (bad input, slot taken, wrong key, not found) and
transient ones (timeouts, 5xx, rate limits, an open circuit breaker); booking turns them into
its own BookingError (booking.errors.failure_from).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from booking.results import Slot


@dataclass(frozen=True)
class Attendee:
    name: str
    time_zone: str
    language: str
    email: str = ""
    phone: str = ""  # E.164; without an email the calendar reaches the caller by it


@dataclass(frozen=True)
class NewBooking:
    """One booking to make, with our idempotency key so a lost answer can be found again."""

    event_type_id: int
    start: datetime
    attendee: Attendee
    key: str
    source: str
    call_id: str = ""
    notes: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # the wish's own, e.g. the service asked for


@dataclass(frozen=True)
class CalendarBooking:
    """A booking as the calendar keeps it."""

    uid: str
    id: int | None
    start: datetime | None
    end: datetime | None
    status: str  # accepted, pending, cancelled, rejected
    event_type_id: int | None = None
    attendee: Attendee | None = None
    host_email: str = ""
    key: str = ""  # our idempotency key, when we made it
    rescheduled_to_uid: str = ""  # a move cancelled this booking and made that one
    rescheduled_from_uid: str = ""
    changed_at: datetime | None = None  # when the calendar last changed it

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def ended(self) -> bool:
        """Cancelled or rejected: it holds no time any more."""
        return self.status in ("cancelled", "rejected")


@dataclass(frozen=True)
class CalendarMessage:
    """What the calendar told us on its own (a webhook): `booking` as it now stands;
    `replaced` the booking a move cancelled; `no_show` a changed absence."""

    trigger: str
    sent_at: datetime
    booking_uid: str
    booking: CalendarBooking | None = None
    replaced: CalendarBooking | None = None
    no_show: bool | None = None


@dataclass(frozen=True)
class EventType:
    """What staff and the booking window need to know of an event type."""

    id: int
    title: str
    slug: str
    length: int | None
    team_id: int | None
    hidden: bool
    booking_window: dict | None  # Cal.com's bookingWindow (booking.horizon reads it)
    # From its booking form (None: the calendar did not say). A caller who gives only a phone
    # number can be booked only if the form collects a phone and does not require an email.
    collects_phone: bool | None = None
    email_required: bool | None = None

    @property
    def phone_only_bookable(self) -> bool | None:
        if self.collects_phone is None or self.email_required is None:
            return None
        return self.collects_phone and not self.email_required

    @property
    def label(self) -> str:
        return f"{self.title} ({self.length} min)"


class Calendar(Protocol):
    """One company's calendar account, for the span of one operation."""

    def free_slots(self, *, event_type_id: int, first: date, last: date, zone: ZoneInfo) -> list[Slot]:
        """Free slots on the local days `first` to `last` (inclusive), in `zone`."""

    def book(self, new: NewBooking) -> CalendarBooking:
        """Book at most once for `new.key`: an answer lost on the way is looked up by the key
        before anything is sent again."""

    def find_by_key(self, *, event_type_id: int, start: datetime, key: str) -> CalendarBooking | None:
        """The booking of this event type near `start` made with our idempotency key, if any."""

    def get(self, uid: str) -> CalendarBooking: ...

    def bookings(
        self, *, event_type_ids: list[int], after: datetime, before: datetime
    ) -> list[CalendarBooking]:
        """Every booking of these event types in the window, whatever its status."""

    def reschedule(self, uid: str, *, start: datetime, reason: str, host_email: str = "") -> CalendarBooking:
        """Move a booking at most once: the booking that now stands for it (the new one; or,
        if it was cancelled meanwhile, itself, ended). Naming the host keeps it confirmed."""

    def cancel(self, uid: str, *, reason: str) -> CalendarBooking:
        """Cancel the booking that stands for `uid` at most once; cancelled already is done."""

    def subscribe(self, *, url: str, secret: str) -> str:
        """Have booking changes sent to `url`, signed with `secret`: "created" or "repaired"."""

    def event_types(self, *, team_ids: Iterable[int]) -> list[EventType]:
        """The account's own event types and those of the given teams."""
