"""Retell API failures -> our typed integration errors (integrations/errors.py).

Retell answers errors as `{"status": "error", "message": ...}` (shared/contracts/retell-api.md
§6.1, from the OpenAPI `components.responses`). The SDK maps 400 BadRequest, 401 Authentication,
403 PermissionDenied, 404 NotFound, 409 Conflict, 422 UnprocessableEntity, 429 RateLimit, >= 500
InternalServer; we fold those into our types. Reference: https://docs.retellai.com/api-references
"""

import requests

from integrations.errors import (
    AuthError,
    BadRequest,
    IntegrationError,
    NotFound,
    RateLimited,
    TransientError,
)

# Generic (RFC 9110 Retry-After, seconds or HTTP-date); reused rather than copied.
from integrations.http import retry_after_header_seconds

SERVICE = "retell"
MAX_RAW_MESSAGE = 300

# 422 is what get-agent / get-call answer for an id this key cannot see: "Cannot find requested
# asset under given api key." (contract §6.1). Any other 422 is a request we got wrong.
_NOT_FOUND_422_PHRASES = ("cannot find", "not found")


def error_from_response(response: requests.Response) -> IntegrationError:
    """The typed error for a Retell response with status >= 400."""
    status = response.status_code
    message = error_message(response)
    context = {"service": SERVICE, "status": status}
    if status == 429:
        return RateLimited(message, retry_after=retry_after_header_seconds(response.headers), **context)
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
