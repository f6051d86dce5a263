"""Request bodies of the local Cal.com sandbox: create, reschedule, decline, mark absent.

Checks and messages follow Cal.com API v2 `2024-08-13` (shared/contracts/calcom-api.md §2.3,
the saved OpenAPI's CreateBookingInput_2024_08_13, and Cal.com's
InputBookingsService_2024_08_13 for the lengthInMinutes and location messages;
DeclineBookingInput_2024_08_13 and MarkAbsentBookingInput_2024_08_13, which Cal.com's
transformInputMarkAbsentBooking turns into `{noShowHost, attendees: [{email, noShow}]}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sandbox.schedule import (
    EventTypeConfig,
    SandboxCalendar,
    bad_request,
    parse_utc,
    zone_or_none,
)

CONTACT_MISSING = "Both Phone and Email are missing"
METADATA_LIMITS = (
    "Metadata must have at most 50 keys, each key up to 40 characters, and string values up to "
    "500 characters."
)
EVENT_TYPE_MISSING = (
    "Either eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be provided"
)
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()/-]{6,20}$")


@dataclass(frozen=True)
class CreateRequest:
    """A CreateBookingInput_2024_08_13 body that passed validation."""

    event_type: EventTypeConfig
    start: datetime
    length: int
    attendee: dict
    metadata: dict
    responses: dict
    guests: list[str]
    location: str


def parse_create_request(payload: object, calendar: SandboxCalendar) -> CreateRequest:
    """Validate like Cal.com: DTO first, then event type, length, contact and location."""
    if not isinstance(payload, dict):
        raise bad_request(["body must be a JSON object"])
    errors = _dto_errors(payload)
    if errors:
        raise bad_request(errors)
    event_type = _event_type_of(payload, calendar)
    length = _length_of(payload, event_type)
    attendee = _attendee_of(payload["attendee"])
    return CreateRequest(
        event_type=event_type,
        start=parse_utc(payload["start"]),
        length=length,
        attendee=attendee,
        metadata=dict(payload.get("metadata") or {}),
        responses=dict(payload.get("bookingFieldsResponses") or {}),
        guests=list(payload.get("guests") or []),
        location=_location_of(payload.get("location"), event_type, attendee),
    )


def _dto_errors(payload: dict) -> list[str]:
    errors = []
    if _parse_instant(payload.get("start")) is None:
        errors.append("start must be a valid ISO 8601 date string")
    errors += _attendee_errors(payload.get("attendee"))
    if "eventTypeId" in payload and not _is_int(payload["eventTypeId"]):
        errors.append("eventTypeId must be a number")
    if payload.get("eventTypeId") is None and not payload.get("eventTypeSlug"):
        errors.append(EVENT_TYPE_MISSING)
    if "lengthInMinutes" in payload and not _is_int(payload["lengthInMinutes"]):
        errors.append("lengthInMinutes must be a number")
    for name in ("metadata", "bookingFieldsResponses"):
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            errors.append(f"{name} must be an object")
    if isinstance(payload.get("metadata"), dict) and not _metadata_ok(payload["metadata"]):
        errors.append(METADATA_LIMITS)
    guests = payload.get("guests")
    if guests is not None and not (isinstance(guests, list) and all(map(_is_email, guests))):
        errors.append("each value in guests must be an email")
    return errors


def _attendee_errors(attendee: object) -> list[str]:
    if not isinstance(attendee, dict):
        return ["attendee must be an object"]
    errors = []
    if not isinstance(attendee.get("name"), str) or not attendee["name"].strip():
        errors.append("attendee.name must be a string")
    if zone_or_none(attendee.get("timeZone")) is None:
        errors.append("attendee.timeZone must be a valid IANA time zone")
    if attendee.get("email") is not None and not _is_email(attendee["email"]):
        errors.append("attendee.email must be an email")
    phone = attendee.get("phoneNumber")
    if phone is not None and not (isinstance(phone, str) and PHONE_PATTERN.match(phone)):
        errors.append("attendee.phoneNumber must be a valid phone number")
    return errors


def _metadata_ok(metadata: dict) -> bool:
    """At most 50 keys, keys up to 40 characters, string values up to 500 ([SPEC])."""
    return len(metadata) <= 50 and all(
        len(key) <= 40 and (not isinstance(value, str) or len(value) <= 500)
        for key, value in metadata.items()
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_email(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None


def _event_type_of(payload: dict, calendar: SandboxCalendar) -> EventTypeConfig:
    if payload.get("eventTypeId") is not None:
        return calendar.event_type(payload["eventTypeId"])
    return calendar.event_type_by_slug(str(payload["eventTypeSlug"]))


def _length_of(payload: dict, event_type: EventTypeConfig) -> int:
    """Messages from Cal.com's InputBookingsService_2024_08_13.validateBookingLengthInMinutes."""
    length = payload.get("lengthInMinutes")
    if length is None:
        return event_type.length
    if not event_type.length_options:
        raise bad_request(
            "Can't specify 'lengthInMinutes' because event type does not have multiple possible "
            "lengths. Please, remove the 'lengthInMinutes' field from the request."
        )
    if length not in event_type.length_options:
        options = ", ".join(map(str, event_type.length_options))
        raise bad_request(
            "Provided 'lengthInMinutes' is not one of the possible lengths for the event type. "
            f"The possible lengths are: {options}"
        )
    return length


def _attendee_of(raw: dict) -> dict:
    """BookingAttendee; without an email Cal.com stores `<digits>@sms.cal.com` (contract §2.3)."""
    email, phone = raw.get("email"), raw.get("phoneNumber")
    if not email and not phone:
        raise bad_request(CONTACT_MISSING)
    if not email:
        email = re.sub(r"[^0-9]", "", phone) + "@sms.cal.com"
    attendee = {
        "name": raw["name"].strip(),
        "email": email,
        "displayEmail": email,
        "timeZone": raw["timeZone"],
        "language": raw.get("language") or "en",
        "absent": False,
    }
    if phone:
        attendee["phoneNumber"] = phone
    return attendee


def _location_of(location: object, event_type: EventTypeConfig, attendee: dict) -> str:
    """The booking's location string; an object must match one of the event type's types."""
    if location is None:
        return _default_location(event_type, attendee)
    if isinstance(location, str):
        return location  # Cal.com still lets plain strings through, for backwards compatibility
    if not isinstance(location, dict) or not isinstance(location.get("type"), str):
        raise bad_request(["location must be an object with a type"])
    allowed = [item["type"] for item in event_type.locations]
    if location["type"] not in allowed:
        raise bad_request(
            f"Booking location with type {location['type']} not valid for event type with "
            f"id={event_type.id}. The event type has following location types: "
            f"{', '.join(allowed)}, and only these types are allowed for booking location."
        )
    configured = next(item for item in event_type.locations if item["type"] == location["type"])
    return _render_location(location, configured, attendee)


def _default_location(event_type: EventTypeConfig, attendee: dict) -> str:
    if not event_type.locations:
        return ""
    first = event_type.locations[0]
    return _render_location({"type": first["type"]}, first, attendee)


def _render_location(chosen: dict, configured: dict, attendee: dict) -> str:
    kind = chosen["type"]
    if kind == "attendeePhone":
        return str(chosen.get("phone") or attendee.get("phoneNumber") or "")
    if kind == "attendeeAddress":
        return str(chosen.get("address") or "")
    if kind == "attendeeDefined":
        return str(chosen.get("location") or "")
    if kind == "integration":
        return f"integrations:{chosen.get('integration') or configured.get('integration')}"
    return str(configured.get(kind) or configured.get("address") or kind)


def parse_reschedule(payload: object) -> tuple[datetime, str | None, str | None]:
    body = payload if isinstance(payload, dict) else {}
    start = _parse_instant(body.get("start"))
    if start is None:
        raise bad_request(["start must be a valid ISO 8601 date string"])
    reason, by = body.get("reschedulingReason"), body.get("rescheduledBy")
    return start, reason if isinstance(reason, str) else None, by if isinstance(by, str) else None


def _parse_instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def parse_decline(payload: object) -> str | None:
    """DeclineBookingInput_2024_08_13: an optional `reason`."""
    reason = payload.get("reason") if isinstance(payload, dict) else None
    if reason is not None and not isinstance(reason, str):
        raise bad_request(["reason must be a string"])
    return reason or None


def parse_mark_absent(payload: object) -> tuple[list[dict], bool]:
    """MarkAbsentBookingInput_2024_08_13 as Cal.com hands it on: ([{email, noShow}], host)."""
    body = payload if isinstance(payload, dict) else {}
    attendees, host = body.get("attendees"), body.get("host")
    errors = [] if host is None or isinstance(host, bool) else ["host must be a boolean value"]
    if attendees is not None and not isinstance(attendees, list):
        errors.append("attendees must be an array")
        attendees = []
    for index, attendee in enumerate(attendees or []):
        item = attendee if isinstance(attendee, dict) else {}
        if not isinstance(item.get("email"), str):
            errors.append(f"attendees.{index}.email must be a string")
        if not isinstance(item.get("absent"), bool):
            errors.append(f"attendees.{index}.absent must be a boolean value")
    if errors:
        raise bad_request(errors)
    absences = [{"email": item["email"], "noShow": item["absent"]} for item in attendees or []]
    return absences, bool(host)
