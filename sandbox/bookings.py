"""The bookings of the local Cal.com sandbox: create, reschedule, cancel, confirm, decline,
mark absent, find; in memory.

Validation and error messages copy Cal.com API v2 `2024-08-13` as far as the contract knows
them (shared/contracts/calcom-api.md §2.3-2.8), so a client that handles the sandbox handles
the real thing. Confirm, decline and mark-absent follow [CAL] (calcom/cal.com 4d51873)
apps/api/v2/src/ee/bookings/2024-08-13/services/bookings.service.ts (confirmBooking,
declineBooking, markAbsent), packages/trpc/server/routers/viewer/bookings/confirm.handler.ts and
packages/features/handleMarkNoShow.ts. Every change is told to `on_change` as the Cal.com webhook
it causes (sandbox.webhook_payloads). One difference on purpose: the availability check and the
insert share a lock, so the sandbox never double-books (the real API has an open race, contract
§3).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sandbox import webhook_payloads as payloads
from sandbox.bodies import (
    CreateRequest,
    parse_create_request,
    parse_decline,
    parse_mark_absent,
    parse_reschedule,
)
from sandbox.booking_output import booking_output
from sandbox.booking_record import Booking
from sandbox.schedule import (
    EventTypeConfig,
    Host,
    SandboxCalendar,
    SandboxError,
    bad_request,
    format_utc,
)

USER_UNAVAILABLE = "User either already has booking at this time or is not available"
HOSTS_UNAVAILABLE = "One of the hosts either already has booking at this time or is not available"
OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's "
    "too soon (violating the minimum booking notice) or too far in the future (outside the "
    "event's period restrictions). Try fetching available slots first using the GET /v2/slots "
    'endpoint and then make a booking with "start" time set to one of the returned slots.'
)
REASON_REQUIRED = "Cancellation reason is required when you are the host"
ALREADY_CANCELLED = "This booking has already been cancelled."
ALREADY_ENDED = "Cannot cancel a booking that has already ended"
CANCELLED_NOT_RESCHEDULABLE = "cancelled_bookings_cannot_be_rescheduled"
# confirm.handler.ts refuses an accepted booking with a tRPC BAD_REQUEST, and the v2 tRPC
# exception filter (apps/api/v2/src/filters/trpc-exception.filter.ts) replaces its message
# ("Booking already confirmed") by the generic one for the code, without details.
NOT_PENDING = "Bad request: Please check your request data and try again"
NO_SHOW_TOO_EARLY = (
    "Bookings can only be marked as absent after their scheduled start time. Current time in "
    "UTC+0: {now}, Booking start time in UTC+0: {start}"
)
# handleMarkNoShow turns any failure, an email that is not on the booking included, into an
# HttpError that no v2 exception filter knows, so Nest answers its bare 500.
NO_SHOW_FAILED = "Internal server error"
UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# Told of every change, under the ledger's lock so that events keep the ledger's order:
# (triggerEvent, payload), e.g. sandbox.webhooks.WebhookDispatcher.publish. Must not block.
BookingListener = Callable[[str, dict], None]


class BookingLedger:
    """All bookings of one sandbox. Every method takes the lock and returns plain dicts."""

    def __init__(
        self,
        calendar: SandboxCalendar,
        *,
        seed: int | str | None = None,
        on_change: BookingListener | None = None,
    ) -> None:
        self.calendar = calendar
        self.on_change = on_change
        self._lock = threading.RLock()
        self._bookings: list[Booking] = []
        # Each host's bookings: a create checks only its hosts' (thousands of bookings in
        # bench/worker_throughput.py made every create scan them all).
        self._by_host: dict[int, list[Booking]] = {}
        self._next_id = 1
        # Not for security: uids only need to be unique, and repeatable under --seed.
        self._rng = random.Random(None if seed is None else f"{seed}:uids")  # noqa: S311

    # -- reads ---------------------------------------------------------------------------------

    def get(self, uid: str) -> dict:
        with self._lock:
            return booking_output(self._find(uid))

    def all(self) -> list[dict]:
        with self._lock:
            return [booking_output(booking) for booking in self._bookings]

    def select(self, predicate, *, sort_key, reverse: bool = False) -> list[dict]:
        with self._lock:
            chosen = sorted(filter(predicate, self._bookings), key=sort_key, reverse=reverse)
            return [booking_output(booking) for booking in chosen]

    def free_starts(
        self,
        *,
        event_type: EventTypeConfig,
        start: datetime,
        end: datetime,
        length: int,
        ignore_uid: str | None = None,
    ) -> list[datetime]:
        """Bookable starts in [start, end]: on the grid, in bounds, with the hosts free."""
        with self._lock:
            return [
                slot
                for slot in self.calendar.grid_starts(
                    event_type=event_type, start=start, end=end, length=length
                )
                if self._free_hosts(event_type, slot, length, ignore_uid) is not None
            ]

    # -- writes --------------------------------------------------------------------------------

    def create(self, payload: object) -> dict:
        request = parse_create_request(payload, self.calendar)
        with self._lock:
            hosts = self._hosts_for_start(request.event_type, request.start, request.length)
            status = "pending" if request.event_type.requires_confirmation else "accepted"
            booking = self._insert(request, hosts=hosts, status=status)
            self._announce(payloads.created(booking))
            return booking_output(booking)

    def reschedule(self, uid: str, payload: object) -> dict:
        start, reason, rescheduled_by = parse_reschedule(payload)
        with self._lock:
            old = self._find(uid)
            if old.status in ("cancelled", "rejected"):
                raise bad_request(CANCELLED_NOT_RESCHEDULABLE)
            length = int((old.end - old.start).total_seconds() // 60)
            hosts = self._hosts_for_start(old.event_type, start, length, ignore_uid=old.uid)
            new = self._insert(
                _copy_request(old, start, length),
                hosts=hosts,
                status=_rescheduled_status(old, rescheduled_by),
            )
            new.changes.update(
                _present(
                    rescheduledFromUid=old.uid, reschedulingReason=reason, rescheduledByEmail=rescheduled_by
                )
            )
            old.status, old.updated_at = "cancelled", self.calendar.now()
            old.changes.update(
                _present(
                    rescheduledToUid=new.uid, reschedulingReason=reason, rescheduledByEmail=rescheduled_by
                )
            )
            self._announce(payloads.rescheduled(new, old, rescheduled_by))
            return booking_output(new)

    def cancel(self, uid: str, payload: object, *, as_host: bool) -> dict:
        """Cancel `uid`. A host (any authenticated caller) must give a reason (contract §2.6)."""
        reason = payload.get("cancellationReason") if isinstance(payload, dict) else None
        reason = reason.strip() if isinstance(reason, str) else ""
        with self._lock:
            booking = self._find(uid)
            if as_host and not reason:
                raise SandboxError(400, REASON_REQUIRED, bare=True)
            if booking.status == "cancelled":
                raise bad_request(ALREADY_CANCELLED)
            if booking.end <= self.calendar.now():
                raise bad_request(ALREADY_ENDED)
            canceller = booking.hosts[0].email if as_host else booking.attendee["email"]
            booking.status, booking.updated_at = "cancelled", self.calendar.now()
            booking.changes.update(_present(cancellationReason=reason or None, cancelledByEmail=canceller))
            self._announce(payloads.cancelled(booking, cancelled_by=canceller, reason=reason or None))
            return booking_output(booking)

    def confirm(self, uid: str) -> dict:
        """The host accepts a pending booking (an event type that requires confirmation)."""
        with self._lock:
            booking = self._pending(uid)
            booking.status, booking.updated_at = "accepted", self.calendar.now()
            self._announce(payloads.confirmed(booking))
            return booking_output(booking)

    def decline(self, uid: str, payload: object) -> dict:
        reason = parse_decline(payload)
        with self._lock:
            booking = self._pending(uid)
            booking.status, booking.updated_at = "rejected", self.calendar.now()
            self._announce(payloads.rejected(booking, reason))
            return booking_output(booking)

    def mark_absent(self, uid: str, payload: object) -> dict:
        """Record who did not come; only once the booking has started, like Cal.com."""
        absences, host_absent = parse_mark_absent(payload)
        with self._lock:
            booking = next((b for b in self._bookings if b.uid == uid), None)
            if booking is None:
                raise SandboxError(404, f"Booking with uid={uid} not found.")
            _check_absences(booking, absences, now=self.calendar.now())
            for absence in absences:
                if absence["email"] == booking.attendee["email"]:
                    booking.attendee["absent"] = absence["noShow"]
            booking.absent_host = booking.absent_host or host_absent  # `host: false` unmarks nothing
            booking.updated_at = self.calendar.now()
            if absences:  # Cal.com sends the webhook only when attendees were named
                self._announce(payloads.no_show_updated(booking, absences))
            return booking_output(booking)

    # -- internals (call with the lock held) ---------------------------------------------------

    def _announce(self, event: tuple[str, dict]) -> None:
        if self.on_change is not None:
            self.on_change(*event)

    def _find(self, uid: str) -> Booking:
        for booking in self._bookings:
            if booking.uid == uid:
                return booking
        raise SandboxError(404, f"Booking with uid={uid} was not found in the database")

    def _pending(self, uid: str) -> Booking:
        """The booking to confirm or decline. Cal.com itself only refuses an accepted one; the
        sandbox refuses cancelled and rejected ones the same way rather than revive them."""
        booking = self._find(uid)
        if booking.status != "pending":
            raise SandboxError(400, NOT_PENDING, code="TRPCError")
        return booking

    def _hosts_for_start(
        self, event_type: EventTypeConfig, start: datetime, length: int, ignore_uid: str | None = None
    ) -> tuple[Host, ...]:
        """The hosts who take a booking at `start`, or the 400 the real API gives."""
        if not self.calendar.within_bounds(start):
            raise bad_request(OUT_OF_BOUNDS)
        hosts = None
        if self.calendar.is_grid_start(event_type=event_type, start=start, length=length):
            hosts = self._free_hosts(event_type, start, length, ignore_uid)
        if hosts is None:
            raise bad_request(HOSTS_UNAVAILABLE if event_type.team else USER_UNAVAILABLE)
        return hosts

    def _free_hosts(
        self, event_type: EventTypeConfig, start: datetime, length: int, ignore_uid: str | None
    ) -> tuple[Host, ...] | None:
        """Collective (and personal) event types need every host free, round robin any one."""
        end = start + timedelta(minutes=length)
        theirs = {id(b): b for host in event_type.hosts for b in self._by_host.get(host.id, ())}
        busy = {
            host.id
            for booking in theirs.values()
            if booking.blocks_time and booking.uid != ignore_uid and booking.overlaps(start, end)
            for host in booking.hosts
        }
        free = tuple(host for host in event_type.hosts if host.id not in busy)
        if event_type.scheduling_type == "roundRobin":
            return free[:1] or None
        return free if len(free) == len(event_type.hosts) else None

    def _insert(self, request: CreateRequest, *, hosts: tuple[Host, ...], status: str) -> Booking:
        now = self.calendar.now()
        booking = Booking(
            id=self._next_id,
            uid=self._new_uid(),
            event_type=request.event_type,
            start=request.start,
            end=request.start + timedelta(minutes=request.length),
            status=status,
            hosts=hosts,
            attendee=request.attendee,
            metadata=request.metadata,
            responses=request.responses,
            guests=request.guests,
            location=request.location,
            created_at=now,
            updated_at=now,
        )
        self._next_id += 1
        self._bookings.append(booking)
        for host in hosts:
            self._by_host.setdefault(host.id, []).append(booking)
        return booking

    def _new_uid(self) -> str:
        return "".join(self._rng.choice(UID_ALPHABET) for _ in range(22))


def _check_absences(booking: Booking, absences: list[dict], *, now: datetime) -> None:
    """Cal.com's markAbsent checks the start time first (a 400), then handleMarkNoShow fails
    on an email that is not the booker's or a guest's (a bare 500, nothing changed here)."""
    if now < booking.start:
        raise bad_request(NO_SHOW_TOO_EARLY.format(now=format_utc(now), start=format_utc(booking.start)))
    known = {booking.attendee["email"], *booking.guests}
    if any(absence["email"] not in known for absence in absences):
        raise SandboxError(500, NO_SHOW_FAILED, bare=True)


def _rescheduled_status(old: Booking, rescheduled_by: str | None) -> str:
    """The host rescheduling auto-confirms; anyone else leaves it to the host (contract §2.5)."""
    if not old.event_type.requires_confirmation:
        return "accepted"
    host_emails = {host.email.lower() for host in old.event_type.hosts}
    return "accepted" if (rescheduled_by or "").lower() in host_emails else "pending"


def _copy_request(old: Booking, start: datetime, length: int) -> CreateRequest:
    return CreateRequest(
        event_type=old.event_type,
        start=start,
        length=length,
        attendee=dict(old.attendee),
        metadata=dict(old.metadata),
        responses=dict(old.responses),
        guests=list(old.guests),
        location=old.location,
    )


def _present(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}
