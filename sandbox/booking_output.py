"""BookingOutput_2024_08_13: how the sandbox's bookings endpoints show a booking.

Fields as in the saved OpenAPI (shared/contracts/calcom-v2-openapi.json) and contract §2.3;
`changes` carries the optional ones (cancellationReason, rescheduledToUid, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.schedule import Host, format_utc

if TYPE_CHECKING:
    from sandbox.booking_record import Booking


def booking_output(booking: Booking) -> dict:
    event_type = booking.event_type
    return {
        "id": booking.id,
        "uid": booking.uid,
        "title": booking.title,
        "description": str(booking.responses.get("notes") or ""),
        "hosts": [_host_output(host) for host in booking.hosts],
        "status": booking.status,
        "start": format_utc(booking.start),
        "end": format_utc(booking.end),
        "duration": int((booking.end - booking.start).total_seconds() // 60),
        "eventTypeId": event_type.id,
        "eventType": {"id": event_type.id, "slug": event_type.slug},
        "location": booking.location,
        "absentHost": booking.absent_host,
        "createdAt": format_utc(booking.created_at),
        "updatedAt": format_utc(booking.updated_at),
        "metadata": dict(booking.metadata),
        "attendees": [dict(booking.attendee)],
        "guests": list(booking.guests),
        "bookingFieldsResponses": _responses_output(booking),
        **booking.changes,
    }


def _host_output(host: Host) -> dict:
    return {
        "id": host.id,
        "name": host.name,
        "email": host.email,
        "displayEmail": host.email,
        "username": host.username,
        "timeZone": host.time_zone,
    }


def _responses_output(booking: Booking) -> dict:
    responses = {
        **booking.responses,
        "name": booking.attendee["name"],
        "email": booking.attendee["email"],
        "guests": list(booking.guests),
    }
    if "phoneNumber" in booking.attendee:
        responses["attendeePhoneNumber"] = booking.attendee["phoneNumber"]
    return responses
