"""What an agent is told when a tool did not do what it asked: short, actionable, and nothing
internal (no exception text, no Cal.com message, no other person's data).

The text is for a model to act on, so each one says what to do next: which input to fix,
which tool to call, when to try again. The live call says the same failures aloud
(telephony.functions.spoken); staff read `BookingError.message` in admin.
"""

import math

from booking.errors import BookingError, ErrorType

_SHOWN_ALTERNATIVES = 3

_FIXED = {
    ErrorType.CONFIGURATION: (
        "This branch cannot take bookings through this service right now (its calendar is not set "
        "up). Tell the practice; other branches may work (list_branches)."
    ),
    ErrorType.NOT_FOUND: (
        "No such appointment for this company. Use find_appointments to get appointment ids."
    ),
    ErrorType.BOOKING_FAILED: "The calendar refused the booking. Try another time (find_alternatives).",
    ErrorType.UPDATE_FAILED: "The calendar refused the move. Try another time (find_alternatives).",
    ErrorType.CANCELLATION_FAILED: "The calendar refused the cancellation; the appointment is unchanged.",
    ErrorType.EXCEPTION: "The request failed on our side and was logged. Try again later.",
}


def failure_text(error: BookingError) -> str:
    """The one message an agent gets for `error`."""
    kind = error.error_type
    if kind is ErrorType.VALIDATION:
        return f"Invalid input: {error.message}"
    if kind is ErrorType.SLOT_UNAVAILABLE:
        return _slot_taken(error)
    if kind is ErrorType.SERVICE_UNAVAILABLE:
        return _calendar_away(error)
    if kind is ErrorType.AMBIGUOUS:
        return "Several appointments match; use find_appointments and pass one appointment_id."
    return _FIXED.get(kind, _FIXED[ErrorType.EXCEPTION])


def _slot_taken(error: BookingError) -> str:
    text = "That time is not free."
    if error.alternatives:
        # Offered in the branch's zone: each start is its local wall clock with the offset.
        shown = [a.start.isoformat() for a in error.alternatives[:_SHOWN_ALTERNATIVES]]
        text += " Free nearby (local time): " + ", ".join(shown) + "."
    elif error.alternatives is not None:
        text += " Nothing is free in the following week."
    return text + " Pick a free time (find_alternatives) and call again with a new idempotency_key."


def _calendar_away(error: BookingError) -> str:
    if error.queued:
        return (
            "The calendar did not answer. The request is recorded and will be retried automatically; "
            "call again with the same idempotency_key later to learn the outcome."
        )
    if error.in_progress:
        return (
            "The same request is being worked on right now; call again with the same idempotency_key shortly."
        )
    if error.breaker_open and error.retry_after:
        return (
            f"The calendar is not answering right now. Try again in {math.ceil(error.retry_after)} seconds."
        )
    return "The calendar did not answer in time. Try again in a minute."


def busy_text(retry_after: float) -> str:
    return f"Too many requests with this token. Try again in {math.ceil(retry_after)} seconds."


READ_ONLY = "This token may only look, not book, move or cancel. Ask the practice for a read-write token."
UNEXPECTED = _FIXED[ErrorType.EXCEPTION]
