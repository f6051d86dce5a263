"""The calendar port on Cal.com API v2: everything Cal.com-specific that booking needs.

- the attendee: name, time zone and language, the email, or without one the phone number (the
  event type must then collect a phone and not require an email; README "Callers without an
  email address");
- metadata: our idempotency key, call id, source and company slug beside the wish's own, within
  Cal.com's limits (string values of at most 500 characters, keys of at most 40, at most 50 keys;
  https://cal.com/docs/api-reference/v2/bookings/create-a-booking);
- slots: /v2/slots answers per local date; they are flattened into the days that were asked for;
- exactly once: Cal.com has no idempotency key, so after an answer lost on the way (a timeout or
  5xx once the request left, or a 409 for the same host and time, which may be our own earlier
  POST) the booking is looked up by our key in its metadata before anything is sent again;
- event types: personal ones and those of the given teams, as summaries.

A CalcomCalendar serves one operation: one client, its key decrypted once, its host's breaker.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.calendar.port import CalendarBooking, EventType, NewBooking
from booking.results import Slot
from booking.times import local_day_bounds_utc, parse_datetime
from integrations.calcom.client import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    BookingConflict,
)
from integrations.errors import TransientError
from integrations.resilience import Gateway

logger = logging.getLogger(__name__)
# Our keys win over the wish's own when Cal.com's 50-key limit bites.
OUR_METADATA_KEYS = ("idempotencyKey", "callId", "source", "company")
# Where a booking made with our key can be, around the start we asked for.
LOOKUP_BEFORE, LOOKUP_AFTER = timedelta(minutes=1), timedelta(days=1)


class CalcomCalendar:
    def __init__(self, gateway: Gateway, *, company_slug: str):
        self._gateway = gateway
        self._company_slug = company_slug

    def free_slots(self, *, event_type_id: int, first: date, last: date, zone: ZoneInfo) -> list[Slot]:
        start, end = local_day_bounds_utc(first, last, zone)
        by_date = self._gateway.read(
            "get_slots", event_type_id=event_type_id, start=start, end=end, time_zone=zone.key
        )
        # Cal.com keys dates in the output zone; keep only the local days that were asked for.
        return [slot for slot in _flatten(by_date, zone) if first <= slot.day <= last]

    def book(self, new: NewBooking) -> CalendarBooking:
        request = self._create_request(new)
        try:
            return _booking(self._gateway.write("create_booking", **request))
        except (TransientError, BookingConflict) as exc:
            if isinstance(exc, TransientError) and not exc.request_sent:
                raise  # it never left: nothing can have been booked
            found = self.find_by_key(event_type_id=new.event_type_id, start=new.start, key=new.key)
            if found:
                logger.info("calcom: found our booking after an ambiguous %s", type(exc).__name__)
                return found
            if isinstance(exc, BookingConflict):
                raise  # someone else's booking holds the slot
            return _booking(self._gateway.write("create_booking", **request))

    def find_by_key(self, *, event_type_id: int, start: datetime, key: str) -> CalendarBooking | None:
        bookings = self._gateway.read(
            "list_bookings",
            event_type_id=event_type_id,
            after_start=start - LOOKUP_BEFORE,
            before_end=start + LOOKUP_AFTER,
        )
        ours = next((b for b in bookings if (b.get("metadata") or {}).get("idempotencyKey") == key), None)
        return _booking(ours) if ours else None

    def get(self, uid: str) -> CalendarBooking:
        return _booking(self._gateway.read("get_booking", uid))

    def reschedule(self, uid: str, *, start: datetime, reason: str) -> CalendarBooking:
        return _booking(self._gateway.write("reschedule_booking", uid, start=start, reason=reason))

    def cancel(self, uid: str, *, reason: str) -> None:
        self._gateway.write("cancel_booking", uid, reason=reason)

    def event_types(self, *, team_ids: Iterable[int]) -> list[EventType]:
        found = [_event_type(e, None) for e in self._gateway.read("list_event_types")]
        for team_id in team_ids:
            found += [_event_type(e, team_id) for e in self._gateway.read("list_team_event_types", team_id)]
        return found

    def _create_request(self, new: NewBooking) -> dict:
        request = {
            "event_type_id": new.event_type_id,
            "start": new.start,
            "attendee": _attendee(new),
            "metadata": self._metadata(new),
        }
        if new.notes:
            request["booking_fields_responses"] = {"notes": new.notes}
        return request

    def _metadata(self, new: NewBooking) -> dict[str, str]:
        ours = {"idempotencyKey": new.key, "source": new.source, "company": self._company_slug}
        if new.call_id:
            ours["callId"] = new.call_id[:METADATA_MAX_VALUE_LENGTH]
        theirs = {
            key[:METADATA_MAX_KEY_LENGTH]: value[:METADATA_MAX_VALUE_LENGTH]
            for key, value in new.tags.items()
        }
        room = METADATA_MAX_KEYS - len(OUR_METADATA_KEYS)
        return {**dict(list(theirs.items())[:room]), **ours}


def _attendee(new: NewBooking) -> dict:
    person = new.attendee
    attendee = {"name": person.name, "timeZone": person.time_zone, "language": person.language}
    if person.email:
        attendee["email"] = person.email
    if person.phone:
        attendee["phoneNumber"] = person.phone
    return attendee


def _flatten(by_date: dict, zone: ZoneInfo) -> list[Slot]:
    slots = []
    for day_slots in by_date.values():
        for slot in day_slots:
            start = parse_datetime(slot["start"], zone).astimezone(zone)
            end = parse_datetime(slot["end"], zone).astimezone(zone) if slot.get("end") else None
            slots.append(Slot(start, end))
    return sorted(slots, key=lambda slot: slot.start)


def _booking(data: dict) -> CalendarBooking:
    return CalendarBooking(
        uid=data.get("uid") or "",
        id=data.get("id"),
        start=_moment(data, "start"),
        end=_moment(data, "end"),
        status=str(data.get("status") or ""),
    )


def _moment(data: dict, name: str) -> datetime | None:
    return parse_datetime(data[name], UTC, field=name) if data.get(name) else None


def _event_type(event_type: dict, team_id: int | None) -> EventType:
    return EventType(
        id=event_type.get("id"),
        title=event_type.get("title", ""),
        slug=event_type.get("slug", ""),
        length=event_type.get("lengthInMinutes"),
        team_id=event_type.get("teamId", team_id),
        hidden=bool(event_type.get("hidden", False)),
        booking_window=event_type.get("bookingWindow") or None,
    )
