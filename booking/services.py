"""The booking front door: every entry point (the live call, post-call processing, admin actions,
commands, MCP tools, calendar webhooks) books, moves, cancels and looks up through these.

Each is `<entity>_<verb>(*, company, ...)`, takes model objects, returns a typed result
(booking.results) and raises one error, `BookingError`, whose `ErrorType` says what went wrong
(booking.errors). Reads that answer "which appointment" are in booking.selectors.
"""

from booking.availability import alternatives_find, availability_get
from booking.changes import (
    appointment_annotate,
    appointment_cancel,
    appointment_change_retry,
    appointment_reschedule,
)
from booking.create import booking_create, booking_request_retry
from booking.customers import customer_upsert
from booking.errors import BookingError, ErrorType
from booking.event_types import event_type_check, event_types_list, phone_only_bookable

__all__ = [
    "BookingError",
    "ErrorType",
    "alternatives_find",
    "appointment_annotate",
    "appointment_cancel",
    "appointment_change_retry",
    "appointment_reschedule",
    "availability_get",
    "booking_create",
    "booking_request_retry",
    "customer_upsert",
    "event_type_check",
    "event_types_list",
    "phone_only_bookable",
]
