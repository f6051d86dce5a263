"""After the call: book every wish the caller confirmed, unless the live call already did.

The old system booked only here and lost failures; now the live call books first and this is the
safety net: for each confirmed wish (telephony.booking_wish: the plain variables, then those
numbered _2, _3, ...) it links the booking this call already holds at that time, completes one
that could not reach Cal.com, or books the wish once. Once: a wish's idempotency key is the call
and its wall-clock start, so call_ended and call_analyzed, a replay, or the same wish listed
twice in another order book it a single time. One wish that cannot be booked does not stop the
others; the event then fails (or is retried) with every reason, and a retry books nothing twice.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from askpro.work import PermanentFailure, RetryLater
from booking.models import Appointment, AppointmentSource, BookingRequest, BookingRequestStatus
from booking.selectors import booking_requests_holding
from booking.services import BookingError, ErrorType, booking_create, booking_request_retry
from telephony.booking_wish import BookingWish, booking_wishes_from_call
from telephony.calls import call_appointments_add
from telephony.events import caller_number

# A request of this call in one of these states holds its start: the wish is not booked again.
HOLDING = (BookingRequestStatus.SUCCEEDED, BookingRequestStatus.RETRYING, BookingRequestStatus.PROCESSING)


class CannotBook(PermanentFailure):
    """A permanent reason staff must read (slot taken, unreadable date, no branch)."""


@dataclass
class BookingOutcome:
    appointment: Appointment | None = None  # the first of `appointments`
    created: bool = False  # a new booking was made by this event
    outcome: str = "no_booking"  # booked | no_booking | failed
    appointments: list[Appointment] = field(default_factory=list)


def post_call_booking(*, company, branch, call, data: dict, customer=None) -> BookingOutcome:
    """`customer`: the caller's row as processing just wrote it (booking does not write it again)."""
    found = booking_wishes_from_call(data)
    held = _held_requests(company, call.retell_call_id)
    if found.wishes and (branch is None or not branch.calcom_event_type_id):
        raise CannotBook("The dialed number has no branch with a Cal.com event type.")
    settled, failures = [], [str(problem) for problem in found.unreadable]
    retry = False
    for wish in found.wishes:
        try:
            settled.append(_settled(company, branch, call, customer, data, wish, held))
        except RetryLater as exc:
            retry, failures = True, [*failures, str(exc)]
        except CannotBook as exc:
            failures.append(str(exc))
    if not found.wishes and held:  # a live booking, with no wish left in the variables
        settled.append(_completed(held[0]))
    outcome = _outcome(call, settled)
    if failures:
        raise (RetryLater if retry else CannotBook)(" ".join(failures))
    return outcome


def _held_requests(company, call_id: str) -> list[BookingRequest]:
    """The call's bookings that hold their time (live ones first, as the caller heard of them).
    Asked for every call, and most calls hold none: their appointments are read only when
    there are some (a join here cost twice the query, #15)."""
    requests = booking_requests_holding(company=company, call_id=call_id, statuses=HOLDING)
    return sorted(requests, key=lambda request: request.source != AppointmentSource.LIVE_CALL)


def _settled(company, branch, call, customer, data, wish: BookingWish, held) -> tuple[Appointment, bool]:
    start = _start_utc(wish, branch)
    holding = next((request for request in held if request.appointment.start == start), None)
    if holding is not None:
        return _completed(holding)
    return _book_wish(company, branch, call, customer, data, wish)


def _completed(request: BookingRequest) -> tuple[Appointment, bool]:
    """A booking this call holds: linked if done, carried out now if it is still waiting."""
    if request.status == BookingRequestStatus.SUCCEEDED:
        return request.appointment, False
    with _booking_outcome():  # the caller was promised a confirmation
        booked = booking_request_retry(booking_request=request)
    return booked.appointment, True


def _start_utc(wish: BookingWish, branch) -> datetime:
    local = datetime.combine(wish.day, wish.at, tzinfo=ZoneInfo(branch.effective_timezone))
    return local.astimezone(UTC)


def _outcome(call, settled: list[tuple[Appointment, bool]]) -> BookingOutcome:
    if not settled:
        return BookingOutcome()
    appointments = [appointment for appointment, _ in settled]
    call_appointments_add(call, appointments)
    return BookingOutcome(
        appointment=appointments[0],
        created=any(created for _, created in settled),
        outcome="booked",
        appointments=appointments,
    )


def _book_wish(company, branch, call, customer, data, wish: BookingWish) -> tuple[Appointment, bool]:
    notes = "; ".join(part for part in (wish.service, wish.notes) if part)
    wall_clock = datetime.combine(wish.day, wish.at)  # in the branch's time zone
    with _booking_outcome():
        booked = booking_create(
            company=company,
            branch=branch,
            start=wall_clock,
            name=wish.name or _known_name(call, customer) or "Anrufer",
            email=wish.email or None,
            phone=caller_number(data) or None,
            notes=notes or None,
            call_id=call.retell_call_id,
            source=AppointmentSource.POST_CALL,
            idempotency_key=f"post_call:{call.retell_call_id}:{wall_clock:%Y-%m-%dT%H:%M}",
            metadata={"service": wish.service} if wish.service else None,
            service=wish.service or None,
            customer=customer,
        )
    return booked.appointment, not booked.replayed


def _known_name(call, customer) -> str:
    """The name we hold for the caller (read only when the wish names nobody)."""
    known = customer or (call.customer if call.customer_id else None)
    return known.name if known else ""


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
