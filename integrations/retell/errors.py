"""Retell API failures -> our typed integration errors (integrations/errors.py).

Retell answers errors as `{"status": "error", "message": ...}` (shared/contracts/retell-api.md
§6.1, from the OpenAPI `components.responses`). The SDK maps 400 BadRequest, 401 Authentication,
403 PermissionDenied, 404 NotFound, 409 Conflict, 422 UnprocessableEntity, 429 RateLimit, >= 500
InternalServer; we fold those into our types. Reference: https://docs.retellai.com/api-references
"""

import requests
from urllib3.exceptions import NewConnectionError

# Generic (RFC 9110 Retry-After, seconds or HTTP-date); reused rather than copied.
from integrations.calcom.errors import retry_after_seconds
from integrations.errors import (
    AuthError,
    BadRequest,
    IntegrationError,
    NotFound,
    RateLimited,
    TransientError,
)

SERVICE = "retell"
MAX_RAW_MESSAGE = 300

# 422 is what get-agent / get-call answer for an id this key cannot see: "Cannot find requested
# asset under given api key." (contract §6.1). Any other 422 is a request we got wrong.
_NOT_FOUND_422_PHRASES = ("cannot find", "not found")
_INVALID_REQUEST = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)


def error_from_response(response: requests.Response) -> IntegrationError:
    """The typed error for a Retell response with status >= 400."""
    status = response.status_code
    message = error_message(response)
    context = {"service": SERVICE, "status": status}
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(response.headers), **context)
    if status >= 500:
        return TransientError(message, request_sent=True, **context)
    if status in (401, 403):
        return AuthError(message, **context)
    if status == 404 or (status == 422 and any(p in message.lower() for p in _NOT_FOUND_422_PHRASES)):
        return NotFound(message, **context)
    return BadRequest(message, **context)


def error_message(response: requests.Response) -> str:
    """Retell's `message`, else the start of the raw body (a proxy's page), else the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        message = response.text.strip()[:MAX_RAW_MESSAGE]
    return message.strip() or f"HTTP {response.status_code}"


def transport_error(exc: requests.RequestException, *, method: str, path: str) -> IntegrationError:
    """The typed error for a request that got no HTTP answer.

    Like integrations/calcom/errors.transport_error, but labelled "retell" (that one hard-codes
    its service). The message names the exception type and the path template only.
    """
    message = f"{type(exc).__name__} on {method} {path}"
    if isinstance(exc, _INVALID_REQUEST):
        return BadRequest(message, service=SERVICE)
    return TransientError(message, service=SERVICE, request_sent=_may_have_been_sent(exc))


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when no connection was ever made; when unsure, True (the safe answer)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return True
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the real cause
    return not isinstance(cause, NewConnectionError)
