"""The transport every vendor client shares: one request, timed, logged without secrets, and
turned into a typed error when no usable answer came back.

Vendor clients (integrations/calcom, integrations/retell) add their paths, headers and how to
read their answers; the rules here (timeouts, what a log line may contain, when a failed request
may still have reached the vendor) live in this one place.
"""

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

from core import clock
from integrations.deadline import TOO_LITTLE_TIME, seconds_left
from integrations.errors import BadRequest, DeadlinePassed, IntegrationError, RateLimited, TransientError
from integrations.holds import hold_key, vendor_hold, vendor_hold_left
from integrations.metrics import api_duration_seconds

# requests raises these for a request we could not even build (bad base URL or header): our
# configuration, never worth retrying.
INVALID_REQUEST = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)


class JsonHttpClient:
    """Base of a vendor client: one account (API key) at one base URL."""

    service = ""
    request_id_header = ""  # the vendor's request id, logged to match their support tickets
    logger = logging.getLogger("integrations")

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: tuple[float, float] | None = None,
        session: requests.Session | None = None,
    ):
        if not api_key or api_key != api_key.strip():
            raise ValueError("api_key must be a non-empty string without surrounding whitespace")
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout or (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"  # never the key

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json", **extra}

    def _exchange(
        self,
        name: str,
        method: str,
        path: str,
        template: str,
        *,
        read: Callable,
        headers: dict,
        params: dict | None = None,
        body: dict | None = None,
        form: dict | None = None,
    ):
        """Send one request and return `read(response)`; raise a typed error otherwise. While the
        vendor holds this account (a Retry-After, integrations/holds.py) nothing is sent. `body`
        goes out as JSON, `form` form-encoded (for APIs that take no JSON, such as Twilio's)."""
        started = time.monotonic()
        response = None
        try:
            self._respect_hold(method, template)
            response = self._send(
                method, path, template, headers=headers, params=params, body=body, form=form
            )
            answer = read(response)
        except IntegrationError as error:
            if isinstance(error, RateLimited) and response is not None and error.retry_after:
                vendor_hold(self._hold_key, error.retry_after)
            self._log(name, method, template, response, started, error=error)
            raise
        finally:
            api_duration_seconds.labels(self.service, name).observe(time.monotonic() - started)
        self._log(name, method, template, response, started)
        return answer

    def _send(self, method, path, template, *, headers, params, body, form=None) -> requests.Response:
        timeout = self._timeout_now(method, template)
        cut_short = timeout != self._timeout
        try:
            return self._session.request(
                method,
                self._base_url + path,
                headers=headers,
                params=params or None,
                json=body,
                data=form,
                timeout=timeout,
            )
        except requests.Timeout as exc:
            if cut_short:  # the deadline's shortened timeout, not the service's slowness
                message = f"{type(exc).__name__} on {method} {template} (deadline)"
                raise DeadlinePassed(
                    message, service=self.service, request_sent=may_have_been_sent(exc)
                ) from None
            raise transport_error(exc, service=self.service, method=method, path=template) from None
        except requests.RequestException as exc:
            # `from None`: the original's text holds the full URL and query (an attendee's email).
            raise transport_error(exc, service=self.service, method=method, path=template) from None

    @property
    def _hold_key(self) -> str:
        return hold_key(self.service, self._api_key)

    def _respect_hold(self, method: str, template: str) -> None:
        left = vendor_hold_left(self._hold_key)
        if left is not None:
            message = f"{self.service} asked this account to wait before {method} {template}"
            raise RateLimited(message, service=self.service, status=429, retry_after=left)

    def _timeout_now(self, method: str, template: str) -> tuple[float, float]:
        """The configured timeouts, cut to what the deadline leaves (integrations/deadline.py);
        with no time left the request is not sent: the vendor never saw it."""
        left = seconds_left()
        if left is None:
            return self._timeout
        if left < TOO_LITTLE_TIME:
            message = f"no time left for {method} {template}"
            raise DeadlinePassed(message, service=self.service, request_sent=False)
        connect, read = self._timeout
        return (min(connect, left), min(read, left))

    def _log(self, name, method, template, response, started, *, error=None) -> None:
        """Method, path template, status, time and the vendor's request id: never bodies or keys."""
        elapsed_ms = (time.monotonic() - started) * 1000
        status = response.status_code if response is not None else None
        request_id = (
            response.headers.get(self.request_id_header, "")
            if response is not None and self.request_id_header
            else ""
        )
        if error is None:
            self.logger.info(
                "%s %s %s %s -> %s in %.0f ms (x-request-id=%s)",
                self.service,
                name,
                method,
                template,
                status,
                elapsed_ms,
                request_id,
            )
            return
        # The error's type, not its text: vendors' messages can echo what we sent.
        self.logger.warning(
            "%s %s %s %s failed: %s status=%s in %.0f ms (x-request-id=%s)",
            self.service,
            name,
            method,
            template,
            type(error).__name__,
            status,
            elapsed_ms,
            request_id,
        )


def transport_error(
    exc: requests.RequestException, *, service: str, method: str, path: str
) -> IntegrationError:
    """The typed error for a request that got no HTTP answer.

    The message names only the exception type and the path template: str(exc) carries the full
    URL, query string included.
    """
    message = f"{type(exc).__name__} on {method} {path}"
    if isinstance(exc, INVALID_REQUEST):
        return BadRequest(message, service=service)
    return TransientError(message, service=service, request_sent=may_have_been_sent(exc))


def may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when we know the request never left: no connection was ever made.

    A ConnectionError can also mean "reset while reading the answer", after the vendor may have
    acted; only urllib3's NewConnectionError (NameResolutionError is one) proves it did not.
    When unsure, say True: the caller then looks a booking up instead of sending it twice.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return True
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the real cause
    return not isinstance(cause, NewConnectionError)


def retry_after_header_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: a number of seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = headers.get("Retry-After")
    if not value:
        return None
    now = clock.now().timestamp() if now is None else now
    seconds = float_or_none(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC per RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
