"""Background work for bookings (django-q2). Tasks take ids and call one service."""

import logging

from askpro.correlation import bound
from booking.models import BookingRequest
from booking.requests import booking_requests_due
from booking.services import BookingError, booking_request_retry

logger = logging.getLogger(__name__)


def retry_due_booking_requests() -> int:
    """Every minute: retry bookings whose backoff has passed and claims whose worker died."""
    done = 0
    for request_id in booking_requests_due():
        with bound(f"booking-request-{request_id}"):
            request = BookingRequest.objects.get(pk=request_id)
            try:
                booking_request_retry(booking_request=request)
                logger.info("retried booking request %s: booked", request_id)
            except BookingError as exc:
                logger.info("retried booking request %s: %s", request_id, exc.error_type)
            done += 1
    return done
