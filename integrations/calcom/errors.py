"""Cal.com API v2 failures -> our typed integration errors (integrations/errors.py).

Cal.com answers errors in more than one shape (contract shared/contracts/calcom-api.md §2.7):
its HttpExceptionFilter sends `{"status": "error", "error": {"code", "message", "details"}}`, but
some paths leak Nest's bare `{"statusCode", "message"}` (message may be a list of validation
errors), and a proxy in front may send plain text. We read `error.message`, then `message`, then
the raw body, and classify by HTTP status and, for a 4xx, by the booking messages in §2.8.
Reference: https://cal.com/docs/api-reference/v2/introduction
"""

import json
from collections.abc import Mapping

import requests

from core import clock
from integrations.errors import (
    AuthError,
    BadRequest,
    IntegrationError,
    NotFound,
    OutOfBounds,
    RateLimited,
    SlotUnavailable,
    TransientError,
)
from integrations.http import float_or_none, retry_after_header_seconds

SERVICE = "calcom"
MAX_RAW_MESSAGE = 300

# Contract §2.8: Cal.com's v2 texts for `no_available_users_found_error` and
# `hosts_unavailable_for_booking` (personal and team event types).
_SLOT_TAKEN_PHRASES = (
    "already has booking at this time or is not available",
    "one of the hosts",
    "hosts unavailable",
    "hosts_unavailable",
    "no_available_users_found",
)
# Contract §2.8: minimum notice / booking window, and a start in the past.
_OUT_OF_BOUNDS_PHRASES = (
    "can't be booked at the",
    "out of bounds",
    "out_of_bounds",
    "in the past",
)
# Contract §2.5, §2.6: the booking is cancelled already (perhaps by a reschedule): there is
# nothing left to cancel or move under this uid.
_GONE_PHRASES = ("already been cancelled", "cancelled_bookings_cannot_be_rescheduled")
# 498 is Cal.com's "expired access token" (contract §2.7 constants).
_AUTH_STATUSES = (401, 403, 498)


class BookingConflict(SlotUnavailable):
    """409: an accepted booking with the same host, start and end already exists.

    Cal.com's unique `Booking.idempotencyKey` (uuidv5 of start, end and host) turns a second
    accepted booking of the same slot into a 409 (contract §3). That booking may be *ours*: an
    earlier POST whose answer we never saw (read timeout, 5xx) can have succeeded. So it is a
    SlotUnavailable for anyone who just wants a yes/no, but the booking flow should look it up
    (`list_bookings`, matched on our metadata) before telling the caller the slot is taken.
    """


class BookingGone(BadRequest):
    """400: the booking is cancelled already, by its host, its attendee or a reschedule; what it
    became is found by reading it (`rescheduledToUid`, `status`)."""


def error_from_response(response: requests.Response) -> IntegrationError:
    """The typed error for a Cal.com response with status >= 400."""
    status = response.status_code
    message = error_message(response)
    context = {
        "service": SERVICE,
        "status": status,
        "request_id": response.headers.get("X-Request-Id", ""),
    }
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(response.headers), **context)
    if status >= 500:
        return TransientError(message, request_sent=True, **context)
    return _client_error_type(status, message)(message, **context)


def _client_error_type(status: int, message: str) -> type[IntegrationError]:
    if status in _AUTH_STATUSES:
        return AuthError
    if status == 404:
        return NotFound
    if status == 409:
        return BookingConflict
    text = message.lower().replace("\u2019", "'")
    if any(phrase in text for phrase in _GONE_PHRASES) or ("reschedule" in text and "cancelled" in text):
        return BookingGone
    if any(phrase in text for phrase in _SLOT_TAKEN_PHRASES):
        return SlotUnavailable
    if any(phrase in text for phrase in _OUT_OF_BOUNDS_PHRASES):
        return OutOfBounds
    return BadRequest


def error_message(response: requests.Response) -> str:
    """Cal.com's explanation: `error.message`, else bare `message`, else the raw body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = _message_from_body(body) if isinstance(body, dict) else ""
    if not message:
        message = response.text.strip()[:MAX_RAW_MESSAGE]
    return message or f"HTTP {response.status_code}"


def _message_from_body(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        message = _as_text(error.get("message"))
        details = error.get("details")
        if isinstance(details, dict) and isinstance(details.get("errors"), list):
            # DTO validation puts the specifics in details.errors[] (contract §2.7).
            message = "; ".join(filter(None, [message, _as_text(details["errors"])]))
        if message:
            return message
    return _as_text(body.get("message")) or _as_text(error)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "; ".join(item if isinstance(item, str) else json.dumps(item) for item in value)
    return ""


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """How long a 429 asks us to wait, in seconds, or None when it does not say.

    `Retry-After` is seconds or an HTTP-date (RFC 9110 §10.2.3). Cal.com's own throttler sends
    `X-RateLimit-Reset-Default` = seconds remaining (contract §2.9); one third-party page calls it
    an epoch, so a value that can only be an epoch is converted.
    """
    now = clock.now().timestamp() if now is None else now
    seconds = retry_after_header_seconds(headers, now=now)
    if seconds is None:
        seconds = float_or_none(headers.get("X-RateLimit-Reset-Default"))
        if seconds is not None and seconds > 1_000_000_000:
            seconds -= now
    return None if seconds is None else max(0.0, seconds)
