"""What the MCP tools return: typed shapes (their JSON Schema is each tool's output schema) and
the functions that fill them from booking results.

Every moment goes out as UTC, the local wall clock with its offset, and the IANA zone, so no
agent does time-zone arithmetic. Text that people typed (a caller's name, a branch's opening
hours) is only ever a capped field of its own, never part of a sentence we write: whatever it
says, an agent reads it as data.
"""

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from booking.calendar import EventType
from booking.horizon import BookableDays
from booking.models import Appointment
from booking.references import appointment_handle, appointment_reference
from booking.results import Alternative, Slot
from booking.times import zone
from companies.models import Branch

NAME_CHARACTERS = 100
TEXT_CHARACTERS = 300


class Moment(TypedDict):
    utc: Annotated[str, Field(description="In UTC, e.g. 2026-12-08T09:00:00Z.")]
    local: Annotated[str, Field(description="The wall clock of `timezone` with its offset; say this one.")]
    timezone: Annotated[str, Field(description="IANA time zone, e.g. Europe/Berlin.")]


class FreeSlot(TypedDict):
    start: Moment
    end: Moment | None


class NearbySlot(TypedDict):
    start: Moment
    end: Moment | None
    days_from_preferred: int


class Service(TypedDict):
    title: str
    duration_minutes: int | None


class BranchInfo(TypedDict):
    branch_id: int
    name: str
    address: str
    timezone: str
    language: str
    opening_hours: Annotated[str, Field(description="As the practice wrote them; empty if not given.")]
    service: Annotated[Service | None, Field(description="Null when the calendar cannot be asked just now.")]
    bookable_from: Annotated[str | None, Field(description="First local day that can be booked.")]
    bookable_until: Annotated[str | None, Field(description="Last local day that can be booked.")]


class AppointmentInfo(TypedDict):
    appointment_id: Annotated[str, Field(description="Opaque id for the tools that change it.")]
    reference: Annotated[str, Field(description="Six characters a caller can quote on the phone.")]
    status: Annotated[
        str, Field(description="booked; pending (the practice must confirm); cancelled; rescheduled; ...")
    ]
    branch_id: int
    branch_name: str
    start: Moment
    end: Moment | None
    customer_name: str


# -- what each tool returns ------------------------------------------------------------------


class Branches(TypedDict):
    company: str
    branches: list[BranchInfo]


class FreeTimes(TypedDict):
    branch_id: int
    timezone: str
    date_from: str
    date_to: str
    slots: list[FreeSlot]
    total: Annotated[int, Field(description="Free slots in the range; `slots` holds at most 100.")]
    truncated: Annotated[bool, Field(description="True: more are free than listed; narrow the days.")]


class NearbyTimes(TypedDict):
    branch_id: int
    timezone: str
    preferred_available: bool
    alternatives: list[NearbySlot]


class BookingMade(TypedDict):
    appointment: AppointmentInfo
    confirmed: Annotated[bool, Field(description="False: the practice must confirm it first.")]
    replayed: Annotated[bool, Field(description="True: this key was used before; this is its first result.")]


class Appointments(TypedDict):
    appointments: list[AppointmentInfo]
    count: int


class AppointmentMoved(TypedDict):
    appointment: Annotated[AppointmentInfo, Field(description="The moved appointment, with a new id.")]
    previous_appointment_id: str


class AppointmentCancelled(TypedDict):
    appointment: AppointmentInfo


def moment(value: datetime, timezone: str) -> Moment:
    return Moment(
        utc=value.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        local=value.astimezone(zone(timezone)).isoformat(),
        timezone=timezone,
    )


def maybe_moment(value: datetime | None, timezone: str) -> Moment | None:
    return moment(value, timezone) if value is not None else None


def free_slot(slot: Slot, timezone: str) -> FreeSlot:
    return FreeSlot(start=moment(slot.start, timezone), end=maybe_moment(slot.end, timezone))


def nearby_slot(slot: Alternative, timezone: str) -> NearbySlot:
    return NearbySlot(
        start=moment(slot.start, timezone),
        end=maybe_moment(slot.end, timezone),
        days_from_preferred=slot.days_from_preferred,
    )


def branch_info(branch: Branch, event_type: EventType | None, days: BookableDays | None) -> BranchInfo:
    service = None
    if event_type is not None:
        service = Service(
            title=plain_text(event_type.title, NAME_CHARACTERS), duration_minutes=event_type.length
        )
    return BranchInfo(
        branch_id=branch.pk,
        name=plain_text(branch.name, NAME_CHARACTERS),
        address=plain_text(branch.address, TEXT_CHARACTERS),
        timezone=branch.effective_timezone,
        language=branch.effective_language,
        opening_hours=plain_text(branch.opening_hours, TEXT_CHARACTERS),
        service=service,
        bookable_from=days.first.isoformat() if days else None,
        bookable_until=days.last.isoformat() if days else None,
    )


def appointment_info(appointment: Appointment) -> AppointmentInfo:
    timezone = appointment.branch.effective_timezone
    name = appointment.attendee_name or (appointment.customer.name if appointment.customer_id else "")
    return AppointmentInfo(
        appointment_id=appointment_handle(appointment),
        reference=appointment_reference(appointment),
        status=str(appointment.status),
        branch_id=appointment.branch_id,
        branch_name=plain_text(appointment.branch.name, NAME_CHARACTERS),
        start=moment(appointment.start, timezone),
        end=maybe_moment(appointment.end, timezone),
        customer_name=plain_text(name, NAME_CHARACTERS),
    )


def plain_text(value: str, limit: int) -> str:
    """One line of at most `limit` characters, without control or formatting characters (no
    hidden text, no line breaks that could pose as our own output)."""
    kept = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in value or "")
    text = " ".join(kept.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
