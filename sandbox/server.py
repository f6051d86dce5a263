"""A local stand-in for Cal.com API v2, for the demo and end-to-end tests.

Cal.com is never reachable from our machines. This server speaks the slice of API v2 that
AskPro uses (event types, slots, bookings; https://cal.com/docs/api-reference/v2) with the
real envelopes, status codes, version routing and error messages from
shared/contracts/calcom-api.md, plus knobs that make it fail the ways the real one can
(500s, latency, a create that succeeds but never answers, 429s).

    with start_sandbox(clock=lambda: fixed_now) as sandbox:
        requests.get(f"{sandbox.base_url}/slots", ...)

Every booking change is also sent as a signed Cal.com webhook to the subscriptions made with
`POST /v2/webhooks` (or `sandbox.webhooks.subscribe(url, secret=...)`); tests wait for them
with `sandbox.webhooks.wait_idle()` and read `sandbox.webhooks.deliveries()`.

`manage.py calcom_sandbox` runs it in the foreground. Stdlib only: http.server, json, zoneinfo,
urllib (and core.clock, so the suite's pinned time reaches it). Modules: sandbox.schedule (event
types, working hours, bounds), sandbox.bodies (request bodies), sandbox.bookings (the in-memory
bookings) and sandbox.booking_output (how they are shown), sandbox.api and sandbox.queries
(routes, versions, query strings, response bodies), sandbox.webhooks and
sandbox.webhook_payloads (subscriptions, deliveries, payloads), sandbox.limits (rate limit,
fault knobs) and this one (socket, auth, errors). It is a development app: no production module
imports it.
"""

from __future__ import annotations

import hmac
import json
import random
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.api import (
    ApiRequest,
    Route,
    SandboxApi,
    check_version,
    match_route,
)
from sandbox.bookings import BookingLedger
from sandbox.limits import (
    DEFAULT_HANG_SECONDS,
    DEFAULT_RATE_LIMIT,
    Faults,
    RateLimiter,
    RateLimitState,
)
from sandbox.schedule import (
    Clock,
    SandboxCalendar,
    SandboxError,
    format_utc,
    utc_now,
)
from sandbox.webhooks import DEFAULT_DELIVERY_TIMEOUT, WebhookDispatcher, WebhookStore

THROTTLED = "CustomThrottlerGuard - Too many requests. Please try again later."
INTERNAL_ERROR = "There was an error, please try again later."
NO_CREDENTIALS = (
    "No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
INVALID_KEY = "Invalid API Key"
ERROR_CODES = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    404: "NotFoundException",
    409: "ConflictException",
    429: "ThrottlerException",
}
ERROR_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
}


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict
    headers: dict[str, str]
    delay_seconds: float = 0.0  # latency knob, plus the hang of a create-then-timeout


class SandboxApp:
    """Socket-free request handling: throttle, faults, route, version, auth, endpoint."""

    def __init__(
        self,
        *,
        calendar: SandboxCalendar,
        ledger: BookingLedger,
        webhooks: WebhookStore,
        api_key: str | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        faults: Faults | None = None,
        seed: int | str | None = None,
    ) -> None:
        self.calendar = calendar
        self.api = SandboxApi(calendar, ledger, webhooks)
        self.api_key = api_key
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.faults = faults or Faults()
        # Not for security: fault draws only need to be repeatable under --seed.
        self._rng = random.Random(None if seed is None else f"{seed}:faults")  # noqa: S311
        self._rng_lock = threading.Lock()

    def handle(self, request: ApiRequest) -> ApiResponse:
        limit = self.limiter.hit(_client_key(request)) if self.limiter else None
        hang = False
        try:
            status, body, hang = self._serve(request, limit)
        except SandboxError as error:
            status, body = error.status, self._error_body(error, request)
        except Exception:  # a sandbox bug: answer like the real catch-all, keep serving
            traceback.print_exc()
            error = SandboxError(500, INTERNAL_ERROR)
            status, body = error.status, self._error_body(error, request)
        headers = {"X-Request-Id": str(uuid.uuid4()), **(limit.headers() if limit else {})}
        delay = self.faults.latency_ms / 1000 + (self.faults.hang_seconds if hang else 0.0)
        return ApiResponse(status, body, headers, delay)

    def _serve(self, request: ApiRequest, limit: RateLimitState | None) -> tuple[int, dict, bool]:
        if limit and limit.exceeded:
            raise SandboxError(429, THROTTLED)
        if self._draw(self.faults.error_rate):
            raise SandboxError(500, INTERNAL_ERROR)
        route, params = match_route(request)
        check_version(route, request)
        request = replace(request, as_host=self._authenticate(route, request))
        status, body = self.api.dispatch(route, request, params)
        hang = (
            route.endpoint == "create_booking"
            and status == 201
            and self._draw(self.faults.create_then_timeout_rate)
        )
        return status, body, hang

    def _authenticate(self, route: Route, request: ApiRequest) -> bool:
        """True for a caller with a valid key (the host); False for an anonymous one.

        Without a configured key any bearer token is valid, for the demo. A wrong key is a
        401 everywhere; no key at all only where the real API uses ApiAuthGuard.
        """
        header = request.headers.get("Authorization") or ""
        if not header:
            if route.auth_required:
                raise SandboxError(401, NO_CREDENTIALS)
            return False
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise SandboxError(401, INVALID_KEY)
        if self.api_key is not None and not hmac.compare_digest(token, self.api_key):
            raise SandboxError(401, INVALID_KEY)
        return True

    def _draw(self, rate: float) -> bool:
        if rate <= 0.0:
            return False
        with self._rng_lock:
            return self._rng.random() < rate

    def _error_body(self, error: SandboxError, request: ApiRequest) -> dict:
        """Nest's HttpExceptionFilter shape, or the bare shape where the real API uses it."""
        if error.bare:
            return {"statusCode": error.status, "message": error.message}
        body = {"status": "error", "timestamp": format_utc(self.calendar.now()), "path": request.target}
        if error.code or error.status >= 500:  # tRPC or Prisma filters: their own code, no details
            body["error"] = {"code": error.code or "INTERNAL_SERVER_ERROR", "message": error.message}
            return body
        details = error.details or {
            "message": error.message,
            "error": ERROR_PHRASES.get(error.status, "Error"),
            "statusCode": error.status,
        }
        body["error"] = {
            "code": ERROR_CODES.get(error.status, "HttpException"),
            "message": error.message,
            "details": details,
        }
        return body


def _client_key(request: ApiRequest) -> str:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"key:{token.strip()}"
    return f"ip:{request.client}"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a hanging create must not keep stop() waiting

    def __init__(
        self,
        address: tuple[str, int],
        app: SandboxApp,
        stopping: threading.Event,
        log: Callable[[str], None] | None,
    ) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.stopping = stopping
        self.log = log


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give up their thread eventually
    server: _HttpServer

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        target = urlsplit(self.path)
        request = ApiRequest(
            method=self.command,
            path=unquote(target.path),
            target=self.path,
            query=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
            client=self.client_address[0],
        )
        response = self.server.app.handle(request)
        if response.delay_seconds:
            self.server.stopping.wait(response.delay_seconds)  # stop() cuts a hang short
        self._write(response)
        if self.server.log:
            self.server.log(
                f"{self.command} {self.path} -> {response.status} [{response.headers['X-Request-Id']}]"
            )

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _write(self, response: ApiResponse) -> None:
        payload = json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (read timeout); the booking stays

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged in do_GET; http.server's own lines are noise here."""


class SandboxServer:
    """The sandbox on a socket. `port=0` picks a free port; see `base_url`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        calendar: SandboxCalendar | None = None,
        clock: Clock | None = None,
        api_key: str | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        error_rate: float = 0.0,
        latency_ms: int = 0,
        create_then_timeout_rate: float = 0.0,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
        seed: int | str | None = None,
        log: Callable[[str], None] | None = None,
        webhook_timeout: float = DEFAULT_DELIVERY_TIMEOUT,
    ) -> None:
        if calendar is not None and clock is not None:
            raise TypeError("pass the clock to the SandboxCalendar you pass in")
        self.calendar = calendar or SandboxCalendar(clock=clock or utc_now)
        # One account, the API key's owner, holds every event type and every subscription.
        owner = next((et.hosts[0].id for et in self.calendar.event_types), 1)
        store = WebhookStore(user_id=owner, seed=seed)
        self.webhooks = WebhookDispatcher(store, self.calendar.now, log=log, timeout=webhook_timeout)
        self.bookings = BookingLedger(self.calendar, seed=seed, on_change=self.webhooks.publish)
        faults = Faults(
            error_rate=error_rate,
            latency_ms=latency_ms,
            create_then_timeout_rate=create_then_timeout_rate,
            hang_seconds=hang_seconds,
        )
        self.app = SandboxApp(
            calendar=self.calendar,
            ledger=self.bookings,
            webhooks=store,
            api_key=api_key,
            rate_limit=rate_limit,
            faults=faults,
            seed=seed,
        )
        self._stopping = threading.Event()
        self._httpd = _HttpServer((host, port), self.app, self._stopping, log)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v2"

    def start(self) -> SandboxServer:
        """Serve in a background thread (tests, in-process demos)."""
        if self._thread is None:
            # A short poll interval keeps stop(), and so every test, fast.
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="calcom-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the management command)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self.webhooks.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(host: str = "127.0.0.1", port: int = 0, **options) -> SandboxServer:
    """A running sandbox; use it as a context manager or call `.stop()`."""
    return SandboxServer(host=host, port=port, **options).start()
