"""The booking services every entry point calls (live call, post-call webhook, admin, API).

Each returns `{"success": true, ...}` or `{"success": false, "error": <type>, "message": ...}`.
"""

from booking.availability import check_availability, find_alternative_slots
from booking.changes import cancel_booking, update_booking
from booking.create import booking_request_retry, create_booking

__all__ = [
    "booking_request_retry",
    "cancel_booking",
    "check_availability",
    "create_booking",
    "find_alternative_slots",
    "update_booking",
]
