"""After the call: book what the caller confirmed, unless the live call already did.

The old system booked only here and lost failures; now the live call books first and this is the
safety net: it links a live booking, completes one that could not reach Cal.com, or books the
confirmed wish once (one idempotency key per call, whichever event gets here first).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from askpro.work import PermanentFailure, RetryLater
from booking.models import Appointment, AppointmentSource, BookingRequestStatus
from booking.selectors import booking_requests_of_call
from booking.services import BookingError, ErrorType, booking_create, booking_request_retry
from telephony.booking_wish import WishError, booking_wish_from_call
from telephony.events import caller_number


class CannotBook(PermanentFailure):
    """A permanent reason staff must read (slot taken, unreadable date, no branch)."""


@dataclass
class BookingOutcome:
    appointment: Appointment | None = None
    created: bool = False  # a new booking was made by this event
    outcome: str = "no_booking"  # booked | no_booking | failed


def post_call_booking(*, company, branch, call, data: dict) -> BookingOutcome:
    live = _live_booking(company, call.retell_call_id)
    if live is not None:
        return live
    try:
        wish = booking_wish_from_call(data)
    except WishError as exc:
        raise CannotBook(str(exc)) from exc
    if wish is None:
        return BookingOutcome()
    if branch is None or not branch.calcom_event_type_id:
        raise CannotBook("The dialed number has no branch with a Cal.com event type.")
    return _book_wish(company, branch, call, data, wish)


def _live_booking(company, call_id: str) -> BookingOutcome | None:
    requests = booking_requests_of_call(company=company, call_id=call_id, source=AppointmentSource.LIVE_CALL)
    done = requests.filter(status=BookingRequestStatus.SUCCEEDED).select_related("appointment").first()
    if done:
        return BookingOutcome(appointment=done.appointment, outcome="booked")
    waiting = requests.filter(
        status__in=[BookingRequestStatus.RETRYING, BookingRequestStatus.PROCESSING]
    ).first()
    if waiting is None:
        return None
    with _booking_outcome():  # the caller was promised a confirmation
        booked = booking_request_retry(booking_request=waiting)
    return BookingOutcome(appointment=booked.appointment, created=True, outcome="booked")


def _book_wish(company, branch, call, data, wish) -> BookingOutcome:
    notes = "; ".join(part for part in (wish.service, wish.notes) if part)
    with _booking_outcome():
        booked = booking_create(
            company=company,
            branch=branch,
            start=datetime.combine(wish.day, wish.at),  # wall-clock in the branch's time zone
            name=wish.name or (call.customer.name if call.customer else "") or "Anrufer",
            email=wish.email or None,
            phone=caller_number(data) or None,
            notes=notes or None,
            call_id=call.retell_call_id,
            source=AppointmentSource.POST_CALL,
            idempotency_key=f"post_call:{call.retell_call_id}",
            metadata={"service": wish.service} if wish.service else None,
        )
    return BookingOutcome(appointment=booked.appointment, created=not booked.replayed, outcome="booked")


@contextmanager
def _booking_outcome():
    """A booking that may still work (the calendar did not answer, or it is being worked on)
    is processed again later; any other refusal is final and shown to staff with its reason
    (and, for a taken slot, the alternatives the service kept on the appointment)."""
    try:
        yield
    except BookingError as exc:
        if exc.error_type is ErrorType.SERVICE_UNAVAILABLE and (exc.queued or exc.in_progress):
            raise RetryLater(exc.message) from exc
        raise CannotBook(exc.message) from exc
