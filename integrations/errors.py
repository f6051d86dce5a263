"""One family of typed errors for every external service.

Callers decide by type and by `permanent`: a permanent error will fail the same way again (bad
input, slot taken, wrong key); a transient one may succeed later (timeouts, 5xx, rate limits,
an open circuit breaker). Only `TransientError` counts against a circuit breaker.
"""


class IntegrationError(Exception):
    """Base: something an external service said or failed to say."""

    permanent = True

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        request_id: str = "",
        permanent: bool | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.request_id = request_id
        if permanent is not None:
            self.permanent = permanent

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.message!r}, service={self.service!r}, status={self.status})"


class BadRequest(IntegrationError):
    """A 4xx we have no finer type for: our request was wrong."""


class SlotUnavailable(IntegrationError):
    """The slot is taken or no host is free: offer alternatives, never retry."""


class OutOfBounds(IntegrationError):
    """The start violates minimum notice or the booking window, or lies in the past."""


class NotFound(IntegrationError):
    """The event type, booking or resource does not exist (for this key)."""


class AuthError(IntegrationError):
    """401/403: the company's API key is wrong or lacks access (a configuration problem)."""


class TransientError(IntegrationError):
    """Timeout, connection failure or 5xx: may work later; counts against the breaker.

    `request_sent` is True when the request may have reached the service (a read timeout or a
    5xx): a booking POST that fails this way is ambiguous and must be looked up, not re-sent.
    """

    permanent = False

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs):
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class DeadlinePassed(TransientError):
    """Our own deadline ran out (integrations/deadline.py): no time was left to ask, or the
    answer took longer than the time that was left. Says nothing about the service's health,
    so the breaker counts it neither way."""


class RateLimited(IntegrationError):
    """429: wait `retry_after` seconds (None when the service did not say)."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class CircuitOpen(IntegrationError):
    """We did not call the service: its circuit breaker is open (fail fast). `retry_after`: the
    seconds until it lets a probe through (a few, when the probes are all out)."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float = 0.0, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
