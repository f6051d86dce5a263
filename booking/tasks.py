"""Background work for bookings (django-q2). Tasks take ids and call one service."""

import logging

from askpro.correlation import bound
from booking.create import booking_request_retry
from booking.requests import booking_requests_due

logger = logging.getLogger(__name__)


def retry_due_booking_requests() -> int:
    """Every minute: retry bookings whose backoff has passed and claims whose worker died."""
    done = 0
    for request_id in booking_requests_due():
        with bound(f"booking-request-{request_id}"):
            result = booking_request_retry(request_id=request_id)
            logger.info("retried booking request %s: success=%s", request_id, result.get("success"))
            done += 1
    return done
