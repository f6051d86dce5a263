"""The one error every booking service raises, and the kinds of failure it names.

Every entry point (the live call, post-call processing, admin, commands, MCP) catches this one
type and decides by `error_type`; the other fields carry what a good answer needs: which input
was wrong, which day cannot be booked, what is free instead, whether the wish is kept and will be
retried. `as_envelope()` is the `{"success": false, "error": ..., "message": ...}` that stored
results and HTTP answers share (askpro.api.error_body).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from askpro.api import error_body
from booking.results import Alternative
from integrations.errors import (
    AuthError,
    CircuitOpen,
    IntegrationError,
    NotFound,
    OutOfBounds,
    RateLimited,
    SlotUnavailable,
    TransientError,
)

if TYPE_CHECKING:
    from booking.models import Appointment, BookingRequest


class ErrorType(StrEnum):
    VALIDATION = "validation_error"  # the input is wrong; asking again with other input may work
    CONFIGURATION = "configuration_error"  # the company, branch or key is not set up to book
    NOT_FOUND = "not_found"  # no such appointment for this company (or this caller)
    AMBIGUOUS = "ambiguous"  # several appointments fit; `candidates` lists them
    SERVICE_UNAVAILABLE = "service_unavailable"  # the calendar did not answer; may work later
    SLOT_UNAVAILABLE = "slot_unavailable"  # taken or outside the calendar's bounds
    BOOKING_FAILED = "booking_failed"
    UPDATE_FAILED = "update_failed"
    CANCELLATION_FAILED = "cancellation_failed"
    EXCEPTION = "exception"  # our own bug; logged


# A 404 while booking means the branch's event type id is wrong (set-up); while moving or
# cancelling, it is that change that failed.
_DOING_WHEN_NOT_FOUND = {ErrorType.BOOKING_FAILED: ErrorType.CONFIGURATION}


@dataclass(eq=False)
class BookingError(Exception):
    """Why a booking service did not do what it was asked. `message` is English, for staff and
    logs; adapters say it their own way from `error_type` and the fields below."""

    error_type: ErrorType
    message: str
    fields: tuple[str, ...] = ()  # the inputs that were wrong
    reason: str = ""  # finer cause of a refused day: past, time_past, too_far, out_of_range
    day: date | None = None
    first_day: date | None = None
    last_day: date | None = None
    breaker_open: bool = False  # the calendar is held closed for a while; nothing was sent
    retry_after: float = 0.0  # when the calendar may answer again, in seconds (breaker open)
    queued: bool = False  # the wish is recorded and a worker will retry it
    in_progress: bool = False  # an identical request is being worked on right now
    alternatives: list[Alternative] | None = None  # free instead (None: could not look)
    appointment: Appointment | None = None
    booking_request: BookingRequest | None = None
    candidates: tuple[Appointment, ...] = ()

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def as_envelope(self) -> dict:
        return error_body(str(self.error_type), self.message, **self._details())

    def _details(self) -> dict:
        """The fields that say something (a False flag, an empty text or no object says nothing)."""
        days = {"day": self.day, "first_day": self.first_day, "last_day": self.last_day}
        details = {
            "fields": list(self.fields),
            "reason": self.reason,
            **{name: value.isoformat() for name, value in days.items() if value},
            "circuit_breaker_open": self.breaker_open,
            "retry_after_seconds": round(self.retry_after),
            "queued": self.queued,
            "in_progress": self.in_progress,
            "appointment_id": self.appointment.pk if self.appointment else None,
            "booking_request_id": self.booking_request.pk if self.booking_request else None,
        }
        kept = {name: value for name, value in details.items() if value}
        if self.alternatives is not None:  # an empty list says "nothing free", so it is kept
            kept["alternatives"] = [a.as_dict() for a in self.alternatives]
        return kept

    @classmethod
    def from_envelope(cls, body: dict, **objects) -> BookingError:
        """A stored failure (`as_envelope()`), raised again for a request that repeats it."""
        listed = body.get("alternatives")
        days = {
            name: date.fromisoformat(body[name])
            for name in ("day", "first_day", "last_day")
            if body.get(name)
        }
        return cls(
            ErrorType(body.get("error", ErrorType.BOOKING_FAILED)),
            body.get("message", ""),
            fields=tuple(body.get("fields", ())),
            reason=body.get("reason", ""),
            breaker_open=bool(body.get("circuit_breaker_open")),
            retry_after=float(body.get("retry_after_seconds") or 0),
            queued=bool(body.get("queued")),
            in_progress=bool(body.get("in_progress")),
            alternatives=[Alternative.from_dict(a) for a in listed] if listed is not None else None,
            **days,
            **objects,
        )


def failure_from(exc: IntegrationError, *, doing: ErrorType) -> BookingError:
    """What a calendar error means for the caller; `doing` names what we were trying to do."""
    if isinstance(exc, CircuitOpen):
        return BookingError(
            ErrorType.SERVICE_UNAVAILABLE,
            "The calendar service is temporarily unavailable.",
            breaker_open=True,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, TransientError | RateLimited):
        return BookingError(ErrorType.SERVICE_UNAVAILABLE, "The calendar service did not answer in time.")
    if isinstance(exc, SlotUnavailable | OutOfBounds):
        return BookingError(ErrorType.SLOT_UNAVAILABLE, exc.message)
    if isinstance(exc, AuthError):
        return BookingError(ErrorType.CONFIGURATION, "The company's Cal.com API key was refused.")
    if isinstance(exc, NotFound):
        return BookingError(_DOING_WHEN_NOT_FOUND.get(doing, doing), exc.message)
    return BookingError(doing, exc.message)


@contextmanager
def calendar_failures(doing: ErrorType) -> Iterator[None]:
    """Inside: a calendar error leaves as the BookingError it means (see failure_from)."""
    try:
        yield
    except IntegrationError as exc:
        raise failure_from(exc, doing=doing) from exc
