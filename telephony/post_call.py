"""After the call: book what the caller confirmed, unless the live call already did.

The old system booked only here and lost failures; now the live call books first and this is the
safety net: it links a live booking, completes one that could not reach Cal.com, or books the
confirmed wish once (one idempotency key per call, whichever event gets here first).
"""

from dataclasses import dataclass
from datetime import datetime

from booking.models import Appointment, BookingRequest, BookingRequestStatus
from booking.services import booking_request_retry, create_booking, find_alternative_slots
from telephony.booking_wish import WishError, booking_wish_from_call
from telephony.events import caller_number


class RetryLater(Exception):
    """Cal.com is unreachable or busy: process the event again later."""

    retry_later = True


class CannotBook(Exception):
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
    requests = BookingRequest.objects.filter(company=company, call_id=call_id, source="live_call")
    done = requests.filter(status=BookingRequestStatus.SUCCEEDED).select_related("appointment").first()
    if done:
        return BookingOutcome(appointment=done.appointment, outcome="booked")
    waiting = requests.filter(
        status__in=[BookingRequestStatus.RETRYING, BookingRequestStatus.PROCESSING]
    ).first()
    if waiting is None:
        return None
    result = booking_request_retry(request_id=waiting.pk)  # the caller was promised a confirmation
    waiting.refresh_from_db()
    if waiting.status == BookingRequestStatus.SUCCEEDED:
        return BookingOutcome(appointment=waiting.appointment, created=True, outcome="booked")
    if waiting.status == BookingRequestStatus.FAILED:
        raise CannotBook(result.get("message", "The live booking failed."))
    raise RetryLater(result.get("message", "The live booking is still pending."))


def _book_wish(company, branch, call, data, wish) -> BookingOutcome:
    start = datetime.combine(wish.day, wish.at)  # wall-clock in the branch's time zone
    notes = "; ".join(part for part in (wish.service, wish.notes) if part)
    result = create_booking(
        company_id=company.pk,
        event_type_id=branch.calcom_event_type_id,
        branch_id=branch.pk,
        start=start,
        name=wish.name or (call.customer.name if call.customer else "") or "Anrufer",
        email=wish.email or None,
        phone=caller_number(data) or None,
        notes=notes or None,
        timezone=branch.effective_timezone,
        call_id=call.retell_call_id,
        source="post_call",
        idempotency_key=f"post_call:{call.retell_call_id}",
        metadata={"service": wish.service} if wish.service else None,
    )
    if result.get("success"):
        appointment = Appointment.objects.get(pk=result["appointment_id"])
        return BookingOutcome(
            appointment=appointment, created=not result.get("idempotent_replay"), outcome="booked"
        )
    if result["error"] == "service_unavailable":
        raise RetryLater(result["message"])
    if result["error"] == "slot_unavailable" and result.get("appointment_id"):
        _store_alternatives(company, branch, start, result["appointment_id"])
    raise CannotBook(result["message"])


def _store_alternatives(company, branch, start: datetime, appointment_id: int) -> None:
    """Slots staff can offer when they call back; best effort, the failure stands either way."""
    found = find_alternative_slots(
        company_id=company.pk,
        event_type_id=branch.calcom_event_type_id,
        preferred_start=start,
        branch_id=branch.pk,
    )
    if found.get("success"):
        Appointment.objects.filter(pk=appointment_id, company=company).update(
            alternatives=found["alternatives"]
        )
