"""The result envelope every booking service returns, and the error types it may carry.

`{"success": true, ...}` or `{"success": false, "error": <type>, "message": ..., ...}`: the same
shape for the live call, the post-call pipeline, admin and the API, as the old system had.
"""

from enum import StrEnum

from askpro.api import error_body
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


class ErrorType(StrEnum):
    VALIDATION = "validation_error"
    CONFIGURATION = "configuration_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SLOT_UNAVAILABLE = "slot_unavailable"
    BOOKING_FAILED = "booking_failed"
    UPDATE_FAILED = "update_failed"
    CANCELLATION_FAILED = "cancellation_failed"
    EXCEPTION = "exception"


def ok(**data) -> dict:
    return {"success": True, **data}


def fail(error: ErrorType, message: str, **extra) -> dict:
    return error_body(str(error), message, **extra)


class ServiceError(Exception):
    """Raised inside a service to stop with a result; the public function returns `.result`."""

    def __init__(self, error: ErrorType, message: str, **extra):
        super().__init__(message)
        self.result = fail(error, message, **extra)


def failure_from(exc: IntegrationError, *, otherwise: ErrorType) -> dict:
    """Map a Cal.com/Retell error to our envelope; `otherwise` names what we were doing."""
    if isinstance(exc, CircuitOpen):
        return fail(
            ErrorType.SERVICE_UNAVAILABLE,
            "The calendar service is temporarily unavailable.",
            circuit_breaker_open=True,
        )
    if isinstance(exc, TransientError | RateLimited):
        return fail(ErrorType.SERVICE_UNAVAILABLE, "The calendar service did not answer in time.")
    if isinstance(exc, SlotUnavailable | OutOfBounds):
        return fail(ErrorType.SLOT_UNAVAILABLE, exc.message)
    if isinstance(exc, AuthError):
        return fail(ErrorType.CONFIGURATION, "The company's Cal.com API key was refused.")
    if isinstance(exc, NotFound):
        return fail(
            ErrorType.CONFIGURATION if otherwise is ErrorType.BOOKING_FAILED else otherwise, exc.message
        )
    return fail(otherwise, exc.message)
