"""What the booking services return when they did what was asked: plain typed values.

Adapters read the fields they need and say them their own way (spoken in the live call, a form
message in admin, structured content over MCP). A booking's result is also stored on its
BookingRequest, so a repeat of the same request gets the same answer: `Booked.as_envelope()`
is that record, in the envelope every stored result shares (askpro.api.success_body).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from askpro.api import success_body
from booking.models import Appointment, AppointmentStatus, BookingRequest


@dataclass(frozen=True)
class Slot:
    """A free time, its moments aware and in the zone that was asked for."""

    start: datetime
    end: datetime | None = None

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def hhmm(self) -> str:
        return f"{self.start:%H:%M}"

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "date": self.day.isoformat(),
            "time": self.hhmm,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Slot:
        end = data.get("end")
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(end) if end else None)


@dataclass(frozen=True)
class Alternative(Slot):
    """A free time offered instead of a wish: `days_from_preferred` after the wished day."""

    days_from_preferred: int = 0

    @property
    def day_of_week(self) -> str:
        return f"{self.start:%A}"

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "day_of_week": self.day_of_week,
            "days_from_preferred": self.days_from_preferred,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Alternative:
        slot = Slot.from_dict(data)
        return cls(slot.start, slot.end, days_from_preferred=int(data.get("days_from_preferred", 0)))


@dataclass(frozen=True)
class Availability:
    """The free slots of a branch's event type on the local days `first` to `last`."""

    slots: list[Slot]
    first: date
    last: date
    event_type_id: int
    timezone: str
    cached_until: datetime


@dataclass(frozen=True)
class Alternatives:
    """Free slots nearest a wish: the wished day first, nearest time first, then later days."""

    alternatives: list[Alternative]
    preferred_available: bool
    first: date
    last: date
    total_available: int
    event_type_id: int
    timezone: str

    @property
    def message(self) -> str:
        count = len(self.alternatives)
        if count == 0:
            return "No free slots were found in the search period."
        return f"Found {count} alternative slot{'s' if count != 1 else ''}."


@dataclass(frozen=True)
class Booked:
    """The appointment a booking made (or, `replayed`, that an identical earlier request made)."""

    appointment: Appointment
    booking_request: BookingRequest
    replayed: bool = False

    @property
    def pending(self) -> bool:
        """Cal.com holds it until the host confirms (an event type that requires confirmation)."""
        return self.appointment.status == AppointmentStatus.PENDING

    @property
    def message(self) -> str:
        return "Booking requested; the host must confirm it." if self.pending else "Booking confirmed."

    def as_envelope(self) -> dict:
        appointment = self.appointment
        body = success_body(
            self.message,
            booking={
                "id": appointment.calcom_booking_id,
                "uid": appointment.calcom_booking_uid,
                "start": appointment.start.isoformat(),
                "end": appointment.end.isoformat() if appointment.end else None,
                "status": str(appointment.status),
                "event_type_id": appointment.event_type_id,
            },
            appointment_id=appointment.pk,
            attempts=self.booking_request.attempts,
        )
        return {**body, "idempotent_replay": True} if self.replayed else body


@dataclass(frozen=True)
class Rescheduled:
    """The new appointment (Cal.com gives a moved booking a new uid) and the one it replaced."""

    appointment: Appointment
    previous: Appointment
    message = "Booking moved."


@dataclass(frozen=True)
class Cancelled:
    appointment: Appointment
    message = "Booking cancelled."


@dataclass(frozen=True)
class Annotated:
    """Title or description kept on our record (Cal.com v2 cannot edit them)."""

    appointment: Appointment
    updated_fields: list[str]
    message = "Noted on our record (Cal.com does not edit booking titles)."
