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
  POST) the booking is looked up by our key in its metadata before anything is sent again (a
  cancelled or rejected one is not ours any more); a move or cancellation whose answer was lost
  is read back (`status`, `rescheduledToUid`) before it is sent again, and "already cancelled"
  is what a cancellation asked for;
- a move names the host (`rescheduledBy`) when the booking is confirmed, so an event type that
  requires confirmation keeps it confirmed (https://cal.com/docs/api-reference/v2/bookings);
- event types: personal ones and those of the given teams, as summaries;
- webhooks: the subscription (one per URL; repaired in place) and what a delivery says
  (`notice_from_body`; the payloads: https://cal.com/docs/developing/guides/automation/webhooks).

A CalcomCalendar serves one operation: one client, its key decrypted once, its host's breaker.
"""

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.calendar.port import Attendee, CalendarBooking, CalendarMessage, EventType, NewBooking
from booking.results import Slot
from booking.times import local_day_bounds_utc, parse_datetime
from integrations.calcom.client import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    BookingConflict,
    BookingGone,
)
from integrations.deadline import too_late_for
from integrations.errors import CircuitOpen, IntegrationError, RateLimited, TransientError
from integrations.resilience import Gateway

logger = logging.getLogger(__name__)
# Our keys win over the wish's own when Cal.com's 50-key limit bites.
OUR_METADATA_KEYS = ("idempotencyKey", "callId", "source", "company")
# Where a booking made with our key can be, around the start we asked for.
LOOKUP_BEFORE, LOOKUP_AFTER = timedelta(minutes=1), timedelta(days=1)
# POSTs of one booking while Cal.com fails in a passing way (the old system's 3); each re-send
# after a request that may have arrived is preceded by a lookup of our key.
BOOK_ATTEMPTS = 3
# Every status GET /v2/bookings filters by (contract §2.4): reconciliation wants them all.
EVERY_STATUS = ["upcoming", "unconfirmed", "past", "cancelled"]
# The booking webhooks we act on; the status each implies (contract §5).
TRIGGERS = {
    "BOOKING_CREATED": "accepted",
    "BOOKING_REQUESTED": "pending",
    "BOOKING_RESCHEDULED": "",  # the new booking's own status
    "BOOKING_CANCELLED": "cancelled",
    "BOOKING_REJECTED": "rejected",
    "BOOKING_NO_SHOW_UPDATED": "",
}
MOVES_FOLLOWED = 5  # a booking moved again and again is read along at most this many moves
# Cal.com stores a phone-only attendee as <digits>@sms.cal.com (contract §2.3).
_SMS_EMAIL = re.compile(r"^(\d{6,15})@sms\.cal\.com$")


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
        """POST the booking, up to BOOK_ATTEMPTS times while Cal.com fails in a way that may be
        passing (5xx, a reset, a timeout), and never twice: before each re-send after a request
        that may have arrived, look it up by our key. Inside a deadline (a live call) the
        attempts stop when the time does (integrations/deadline.py)."""
        request = self._create_request(new)
        maybe_sent = False
        for attempt in range(1, BOOK_ATTEMPTS + 1):
            try:
                return _booking(self._gateway.write("create_booking", **request))
            except (TransientError, BookingConflict) as exc:
                if isinstance(exc, BookingConflict) or exc.request_sent:
                    maybe_sent = True
                    found = self._find_after_ambiguous(new)
                    if found:
                        logger.info("calcom: found our booking after an ambiguous %s", type(exc).__name__)
                        return found
                if isinstance(exc, BookingConflict):
                    raise  # someone else's booking holds the slot
                if attempt == BOOK_ATTEMPTS or too_late_for(0):
                    raise _as_possibly_sent(exc, maybe_sent) from exc
            except (RateLimited, CircuitOpen) as exc:
                # Not sent now; but an earlier attempt may have arrived: the retry must look first.
                raise _as_possibly_sent(exc, maybe_sent) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _find_after_ambiguous(self, new: NewBooking) -> CalendarBooking | None:
        """Our booking, if an ambiguous attempt made it. A lookup that fails (throttled, Cal.com
        down) must not hide that the attempt may have arrived: the retry then looks again."""
        try:
            return self.find_by_key(event_type_id=new.event_type_id, start=new.start, key=new.key)
        except IntegrationError as exc:
            if exc.permanent:
                raise
            raise _as_possibly_sent(exc, maybe_sent=True) from exc

    def find_by_key(self, *, event_type_id: int, start: datetime, key: str) -> CalendarBooking | None:
        bookings = self._gateway.read(
            "list_bookings",
            event_type_id=event_type_id,
            after_start=start - LOOKUP_BEFORE,
            before_end=start + LOOKUP_AFTER,
        )
        found = (_booking(b) for b in bookings)
        return next((b for b in found if b.key == key and not b.ended), None)

    def get(self, uid: str) -> CalendarBooking:
        return _booking(self._gateway.read("get_booking", uid))

    def bookings(
        self, *, event_type_ids: list[int], after: datetime, before: datetime
    ) -> list[CalendarBooking]:
        listed = self._gateway.read(
            "list_bookings",
            event_type_ids=event_type_ids,
            after_start=after,
            before_end=before,
            status=EVERY_STATUS,
            max_pages=10,
        )
        return [_booking(b) for b in listed]

    def reschedule(self, uid: str, *, start: datetime, reason: str, host_email: str = "") -> CalendarBooking:
        def send() -> CalendarBooking:
            moved = self._gateway.write(
                "reschedule_booking", uid, start=start, reason=reason, rescheduled_by=host_email or None
            )
            return _booking(moved)

        try:
            return send()
        except (TransientError, BookingGone) as exc:
            if isinstance(exc, TransientError) and not exc.request_sent:
                raise
            standing = self._standing(uid)
            if standing.uid != uid or standing.ended:
                return standing  # moved (by us, whose answer was lost, or by someone), or cancelled
            if isinstance(exc, BookingGone):
                raise
            return send()  # it did not move: the one send that may follow a lost answer

    def cancel(self, uid: str, *, reason: str) -> CalendarBooking:
        standing_uid = uid
        try:
            return _booking(self._gateway.write("cancel_booking", uid, reason=reason))
        except (TransientError, BookingGone) as exc:
            if isinstance(exc, TransientError) and not exc.request_sent:
                raise
            standing = self._standing(uid)
            if standing.ended:
                return standing  # cancelled already: what was asked
            standing_uid = standing.uid  # it was moved meanwhile: cancel what it became
        return _booking(self._gateway.write("cancel_booking", standing_uid, reason=reason))

    def _standing(self, uid: str) -> CalendarBooking:
        """The booking `uid` is now: itself, or where its moves led."""
        booking = self.get(uid)
        for _ in range(MOVES_FOLLOWED):
            if not booking.rescheduled_to_uid:
                break
            booking = self.get(booking.rescheduled_to_uid)
        return booking

    def subscribe(self, *, url: str, secret: str) -> str:
        """One subscription for our endpoint: a new one, or the one there is (at this URL, or at
        this endpoint with an older webhook key) given the URL, the secret and the triggers we
        act on, and switched on."""
        wanted = {"triggers": list(TRIGGERS), "secret": secret, "active": True}
        listed = self._gateway.read("list_webhooks")
        endpoint = url.rsplit("/", 1)[0]
        existing = next((w for w in listed if w.get("subscriberUrl") == url), None) or next(
            (w for w in listed if str(w.get("subscriberUrl") or "").rsplit("/", 1)[0] == endpoint), None
        )
        if existing is None:
            self._gateway.write("create_webhook", subscriber_url=url, **wanted)
            return "created"
        self._gateway.write("update_webhook", existing["id"], subscriber_url=url, **wanted)
        return "repaired"

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
    """A BookingOutput_2024_08_13 (contract §2.3)."""
    attendees = data.get("attendees") or [{}]
    hosts = data.get("hosts") or [{}]
    return CalendarBooking(
        uid=data.get("uid") or "",
        id=data.get("id"),
        start=_moment(data, "start"),
        end=_moment(data, "end"),
        status=str(data.get("status") or "").lower(),
        event_type_id=data.get("eventTypeId"),
        attendee=_attendee_of(attendees[0], language=_locale(attendees[0])),
        host_email=str(hosts[0].get("email") or ""),
        key=str((data.get("metadata") or {}).get("idempotencyKey") or ""),
        rescheduled_to_uid=str(data.get("rescheduledToUid") or ""),
        rescheduled_from_uid=str(data.get("rescheduledFromUid") or ""),
        changed_at=_moment(data, "updatedAt"),
    )


def _attendee_of(attendee: dict, *, language, phone: str = "") -> Attendee:
    email = str(attendee.get("email") or "")
    sms = _SMS_EMAIL.match(email)
    return Attendee(
        name=str(attendee.get("name") or ""),
        time_zone=str(attendee.get("timeZone") or ""),
        language=str(language or ""),
        email="" if sms else email,
        phone=str(attendee.get("phoneNumber") or phone or (f"+{sms.group(1)}" if sms else "")),
    )


def notice_from(envelope: dict) -> CalendarMessage | None:
    """What a webhook delivery (its parsed JSON body) says, or None for a trigger we do not act
    on. Raises ValueError for a body that is not a booking webhook at all."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        raise ValueError("not a Cal.com webhook: no payload object")
    trigger = str(envelope.get("triggerEvent") or "")
    if trigger not in TRIGGERS:
        return None
    payload, sent_at = envelope["payload"], _moment(envelope, "createdAt")
    if sent_at is None:
        raise ValueError("not a Cal.com webhook: no createdAt")
    if trigger == "BOOKING_NO_SHOW_UPDATED":
        marked = [bool(a.get("noShow")) for a in payload.get("attendees") or [] if isinstance(a, dict)]
        uid = str(payload.get("bookingUid") or "")
        return CalendarMessage(trigger, sent_at, uid, no_show=any(marked))
    booking = _notified_booking(payload, TRIGGERS[trigger], sent_at)
    # A move arrives as RESCHEDULED, or as REQUESTED when the host must confirm the new time;
    # the booking it replaced gets no notice of its own.
    replaced = _replaced_booking(payload, booking)
    return CalendarMessage(trigger, sent_at, booking.uid, booking=booking, replaced=replaced)


def _notified_booking(payload: dict, implied_status: str, sent_at: datetime) -> CalendarBooking:
    """The CalendarEvent payload of a booking webhook (contract §5)."""
    attendees = [a for a in payload.get("attendees") or [] if isinstance(a, dict)] or [{}]
    responses = payload.get("responses") if isinstance(payload.get("responses"), dict) else {}
    phone = _response_value(responses, "attendeePhoneNumber") or payload.get("smsReminderNumber") or ""
    return CalendarBooking(
        uid=str(payload.get("uid") or ""),
        id=payload.get("bookingId"),
        start=_moment(payload, "startTime"),
        end=_moment(payload, "endTime"),
        status=implied_status or str(payload.get("status") or "accepted").lower(),
        event_type_id=payload.get("eventTypeId"),
        attendee=_attendee_of(attendees[0], language=_locale(attendees[0]), phone=str(phone)),
        host_email=str((payload.get("organizer") or {}).get("email") or ""),
        key=str((payload.get("metadata") or {}).get("idempotencyKey") or ""),
        rescheduled_from_uid=str(payload.get("rescheduleUid") or ""),
        changed_at=sent_at,
    )


def _locale(attendee: dict) -> str:
    """`language` is {"locale": "de"} in webhooks, a plain code in BookingOutput."""
    language = attendee.get("language")
    return str(language.get("locale") or "") if isinstance(language, dict) else str(language or "")


def _response_value(responses: dict, name: str) -> str:
    """A booking-form answer: {"label": ..., "value": ...} in webhooks."""
    answer = responses.get(name)
    return str(answer.get("value") or "") if isinstance(answer, dict) else str(answer or "")


def _replaced_booking(payload: dict, new: CalendarBooking) -> CalendarBooking | None:
    """The booking a move cancelled, as the BOOKING_RESCHEDULED payload describes it."""
    if not new.rescheduled_from_uid:
        return None
    return CalendarBooking(
        uid=new.rescheduled_from_uid,
        id=payload.get("rescheduleId"),
        start=_moment(payload, "rescheduleStartTime"),
        end=_moment(payload, "rescheduleEndTime"),
        status="cancelled",
        event_type_id=new.event_type_id,
        attendee=new.attendee,
        host_email=new.host_email,
        key=new.key,
        rescheduled_to_uid=new.uid,
        changed_at=new.changed_at,
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
        **_booking_form(event_type.get("bookingFields")),
    )


def _as_possibly_sent(exc: IntegrationError, maybe_sent: bool) -> IntegrationError:
    """The last failure, but saying an earlier attempt may have arrived when one may have: whoever
    tries again later must look the booking up first."""
    if not maybe_sent or getattr(exc, "request_sent", False):
        return exc
    return TransientError(exc.message, service=exc.service, status=exc.status, request_sent=True)


def _booking_form(fields) -> dict:
    """What the event type's booking form asks for. Cal.com's default form requires an email: an
    email field not listed is the default one, required."""
    if not isinstance(fields, list):
        return {}
    visible = [f for f in fields if isinstance(f, dict) and not f.get("hidden")]
    email = next((f for f in fields if isinstance(f, dict) and f.get("slug") == "email"), None)
    return {
        "collects_phone": any(f.get("type") == "phone" for f in visible),
        "email_required": True if email is None else bool(email.get("required")) and not email.get("hidden"),
    }
