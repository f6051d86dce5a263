"""What the sandbox's booking webhooks say: one Cal.com payload per booking change.

Each function returns `(triggerEvent, payload)` for `sandbox.webhooks` to wrap in
`{"triggerEvent", "createdAt", "payload"}`, sign and send. The shapes are Cal.com's, read at the
contract's [CAL] commit (calcom/cal.com 4d51873, through the albin-baby-2002/cal.com fork):

- packages/features/bookings/lib/handleNewBooking.ts (CalendarEventBuilder ~l.1241,
  `webhookData` ~l.2068, triggers ~l.2285): a booking or reschedule sends the CalendarEvent
  (type = event type slug, title, times as dayjs `.utc().format()`, organizer, attendees with
  firstName/lastName, responses) plus eventTypeInfo, bookingId, eventTypeId, status and
  `metadata = {...videoCallUrl, ...request metadata}`; a reschedule adds rescheduleId/Uid/
  StartTime/EndTime (the old booking) and rescheduledBy. Not confirmed by default means
  BOOKING_REQUESTED with status PENDING, for a reschedule too.
- packages/features/bookings/lib/handleCancelBooking.ts: BOOKING_CANCELLED with cancelledBy and
  cancellationReason, and no request metadata.
- packages/trpc/server/routers/viewer/bookings/confirm.handler.ts and
  packages/features/bookings/lib/handleConfirmation.ts: confirming sends BOOKING_CREATED
  (status ACCEPTED), declining BOOKING_REJECTED with rejectionReason; both rebuild the event
  from the stored booking (times `toISOString()`, team members `[]`, no request metadata).
- packages/features/handleMarkNoShow.ts: BOOKING_NO_SHOW_UPDATED is only
  `{message, attendees: [{email, noShow}], bookingUid, bookingId}`; the English messages are the
  ones Cal.com's own handleMarkNoShow.test.ts expects.
- packages/features/webhooks/lib/sendPayload.ts: `utcOffset` (minutes, at the start time) on
  the organizer and every attendee; `description` falls back to `additionalNotes`.

Cal.com's JSON.stringify drops undefined values, so a field it leaves unset is absent here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sandbox.schedule import Host, booking_fields, format_utc

if TYPE_CHECKING:
    from sandbox.booking_record import Booking

BOOKING_CREATED = "BOOKING_CREATED"
BOOKING_REQUESTED = "BOOKING_REQUESTED"
BOOKING_RESCHEDULED = "BOOKING_RESCHEDULED"
BOOKING_CANCELLED = "BOOKING_CANCELLED"
BOOKING_REJECTED = "BOOKING_REJECTED"
BOOKING_NO_SHOW_UPDATED = "BOOKING_NO_SHOW_UPDATED"
BOOKING_TRIGGERS = (
    BOOKING_CREATED,
    BOOKING_REQUESTED,
    BOOKING_RESCHEDULED,
    BOOKING_CANCELLED,
    BOOKING_REJECTED,
    BOOKING_NO_SHOW_UPDATED,
)
# Cal.com's TimeFormat for a host on a 24-hour clock (packages/lib/timeFormat.ts), as in Germany.
HOST_TIME_FORMAT = "HH:mm"
HOST_LOCALE = "en"  # Cal.com's default when a user has no locale

Formatter = Callable[[datetime], str]


def dayjs_utc(moment: datetime) -> str:
    """`dayjs(x).utc().format()`: `2026-12-01T09:00:00Z`, no milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def created(booking: Booking) -> tuple[str, dict]:
    """A new booking: BOOKING_CREATED, or BOOKING_REQUESTED when the host must confirm it."""
    trigger, status = _created_or_requested(booking)
    return trigger, {
        **_calendar_event(booking, dayjs_utc, booker_names=True),
        "bookingId": booking.id,
        "metadata": dict(booking.metadata),
        "eventTypeId": booking.event_type.id,
        "status": status,
    }


def rescheduled(new: Booking, old: Booking, rescheduled_by: str | None) -> tuple[str, dict]:
    """`uid`/`bookingId` are the new booking; the reschedule* fields describe the old one."""
    trigger, status = _created_or_requested(new)
    if trigger == BOOKING_CREATED:
        trigger = BOOKING_RESCHEDULED
    payload = {
        **_calendar_event(new, dayjs_utc, booker_names=True),
        "bookingId": new.id,
        "rescheduleId": old.id,
        "rescheduleUid": old.uid,
        "rescheduleStartTime": dayjs_utc(old.start),
        "rescheduleEndTime": dayjs_utc(old.end),
        "metadata": dict(new.metadata),
        "eventTypeId": new.event_type.id,
        "status": status,
    }
    return trigger, _present(payload, rescheduledBy=rescheduled_by)


def cancelled(booking: Booking, *, cancelled_by: str | None, reason: str | None) -> tuple[str, dict]:
    payload = {
        **_calendar_event(booking, dayjs_utc),
        "bookingId": booking.id,
        "eventTypeId": booking.event_type.id,
        "status": "CANCELLED",
    }
    return BOOKING_CANCELLED, _present(payload, cancellationReason=reason, cancelledBy=cancelled_by)


def confirmed(booking: Booking) -> tuple[str, dict]:
    """The host confirmed: Cal.com announces it as BOOKING_CREATED, the booking now accepted."""
    return BOOKING_CREATED, {
        **_stored_event(booking),
        "bookingId": booking.id,
        "eventTypeId": booking.event_type.id,
        "status": "ACCEPTED",
    }


def rejected(booking: Booking, reason: str | None) -> tuple[str, dict]:
    payload = {
        **_stored_event(booking),
        "bookingId": booking.id,
        "eventTypeId": booking.event_type.id,
        "status": "REJECTED",
    }
    return BOOKING_REJECTED, _present(payload, rejectionReason=reason)


def no_show_updated(booking: Booking, attendees: list[dict]) -> tuple[str, dict]:
    """`attendees` as [{email, noShow}], the ones the request named, in its order."""
    if len(attendees) == 1:
        verb = "marked" if attendees[0]["noShow"] else "unmarked"
        message = f"{attendees[0]['email']} {verb} as no-show"
    else:
        message = "No-show status updated"
    return BOOKING_NO_SHOW_UPDATED, {
        "message": message,
        "attendees": attendees,
        "bookingUid": booking.uid,
        "bookingId": booking.id,
    }


# -- the CalendarEvent and its parts ---------------------------------------------------------


def _created_or_requested(booking: Booking) -> tuple[str, str]:
    if booking.status == "pending":
        return BOOKING_REQUESTED, "PENDING"
    return BOOKING_CREATED, "ACCEPTED"


def _stored_event(booking: Booking) -> dict:
    """The event confirm.handler rebuilds from the database: fewer fields, no booker names."""
    event = _calendar_event(booking, format_utc, with_team_members=False)
    del event["additionalNotes"]
    return event


def _calendar_event(
    booking: Booking, times: Formatter, *, booker_names: bool = False, with_team_members: bool = True
) -> dict:
    event_type = booking.event_type
    notes = str(booking.responses.get("notes") or "")
    event = {
        "type": event_type.slug,
        "title": booking.title,
        "description": event_type.description or notes,
        "additionalNotes": notes,
        "customInputs": {},
        "startTime": times(booking.start),
        "endTime": times(booking.end),
        "organizer": _organizer(booking.hosts[0], booking.start),
        "responses": _responses(booking),
        "userFieldsResponses": {},  # every field of the sandbox's form is a system field
        "attendees": _attendees(booking, booker_names=booker_names),
        "location": booking.location,
        "uid": booking.uid,
        "eventTitle": event_type.title,
        "eventDescription": event_type.description,
        "requiresConfirmation": event_type.requires_confirmation,
        "price": 0,
        "currency": "eur",
        "length": int((booking.end - booking.start).total_seconds() // 60),
    }
    if event_type.team is not None:
        others = booking.hosts[1:] if with_team_members else ()
        members = [_person(host, booking.start, id=host.id) for host in others]
        event["team"] = {"name": event_type.team.name, "members": members, "id": event_type.team.id}
    return event


def _organizer(host: Host, start: datetime) -> dict:
    return {
        **_person(host, start, id=host.id, username=host.username),
        "timeFormat": HOST_TIME_FORMAT,
    }


def _person(host: Host, start: datetime, **extra: object) -> dict:
    return {
        **extra,
        "name": host.name,
        "email": host.email,
        "timeZone": host.time_zone,
        "language": {"locale": HOST_LOCALE},
        "utcOffset": utc_offset_minutes(host.time_zone, start),
    }


def _attendees(booking: Booking, *, booker_names: bool) -> list[dict]:
    """The booker first, then each guest (Cal.com stores guests as attendees too)."""
    booker = booking.attendee
    names = {"firstName": "", "lastName": ""} if booker_names else {}
    people = [
        _present(
            {"email": booker["email"], "name": booker["name"], **names},
            phoneNumber=booker.get("phoneNumber"),
        )
    ]
    people += [{"email": guest, "name": "", **names} for guest in booking.guests]
    locale, zone = booker.get("language") or "en", booker["timeZone"]
    offset = utc_offset_minutes(zone, booking.start)
    return [
        {**person, "timeZone": zone, "language": {"locale": locale}, "utcOffset": offset} for person in people
    ]


def _responses(booking: Booking) -> dict:
    """One entry per booking field, Cal.com's getCalEventResponses; `value` only when answered."""
    answers = {
        "name": booking.attendee["name"],
        "email": booking.attendee["email"],  # `<digits>@sms.cal.com` for a phone-only booker
        "attendeePhoneNumber": booking.attendee.get("phoneNumber"),
        "notes": booking.responses.get("notes"),
    }
    responses = {}
    for field in booking_fields():
        entry = {"label": field["label"], "isHidden": bool(field.get("hidden"))}
        responses[field["slug"]] = _present(entry, value=answers.get(field["slug"]))
    return responses


def utc_offset_minutes(time_zone: str, moment: datetime) -> int:
    """dayjs's `utcOffset()`: minutes east of UTC in `time_zone` at `moment` (60 or 120 in Berlin)."""
    offset = moment.astimezone(ZoneInfo(time_zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _present(payload: dict, **optional: object) -> dict:
    """`payload` plus the optional fields that have a value, like JSON.stringify of undefined."""
    return {**payload, **{key: value for key, value in optional.items() if value not in (None, "")}}
