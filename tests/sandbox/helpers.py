"""Talking to the in-process Cal.com sandbox in tests: its clock's week, requests, answers.

The sandbox runs on its own clock (see conftest.py), fixed at 09:00 in Berlin on the first Monday
at least a day after the pinned now, so slots and bounds are deterministic; every day a test
names is counted from that Monday (`day(TUE)`). `WebhookReceiver` is a subscriber URL to send the
sandbox's webhooks to.
"""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import requests

from tests import timeline

API_KEY = "cal_test_sandbox_key"
# cal-api-version values (API identifiers, not calendar dates).
BOOKINGS, SLOTS, EVENT_TYPES = "2024-08-13", "2024-09-04", "2024-06-14"
BERLIN, NEW_YORK, AUCKLAND = timeline.BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Auckland")
# Days of the sandbox clock's week, as offsets from its Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def clock_monday() -> date:
    """The Monday the sandbox's clock stands on: the first at least a day after the pinned now."""
    return timeline.weekday_ahead(1, weekday=MON)


def day(offset: int) -> date:
    """The day `offset` days after the clock's Monday."""
    return clock_monday() + timedelta(days=offset)


def iso(offset: int) -> str:
    """day(offset) as /v2/slots takes and keys it: 'YYYY-MM-DD'."""
    return day(offset).isoformat()


def wall(offset: int, hhmm: str, zone: ZoneInfo = BERLIN) -> datetime:
    """`hhmm` on the wall clock of `zone` on day(offset)."""
    return timeline.at(day(offset), hhmm, zone)


def shown(moment: datetime, zone: ZoneInfo = BERLIN) -> str:
    """A slot start as /v2/slots writes it for `timeZone=zone` (Luxon's toISO, UTC with a Z)."""
    return timeline.z(moment, millis=True) if zone is UTC else timeline.cal_local(moment, zone)


def stored(moment: datetime) -> str:
    """A time as the bookings API writes it: UTC with milliseconds and a Z."""
    return timeline.z(moment, millis=True)


def on_the_wire(value):
    """Query and body values: a date as 'YYYY-MM-DD', an instant as UTC with a Z."""
    if isinstance(value, datetime):
        return timeline.z(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def headers(version: str | None, key: str | None = API_KEY) -> dict:
    sent = {}
    if version:
        sent["cal-api-version"] = version
    if key:
        sent["Authorization"] = f"Bearer {key}"
    return sent


def slots(sandbox, **params) -> requests.Response:
    params = {"eventTypeId": 1001, "timeZone": "Europe/Berlin", **params}
    params = {name: on_the_wire(value) for name, value in params.items()}
    return requests.get(f"{sandbox.base_url}/slots", params=params, headers=headers(SLOTS), timeout=5)


def slot_starts(sandbox, **params) -> dict[str, list[str]]:
    response = slots(sandbox, **params)
    assert response.status_code == 200, response.text
    return {day: [slot["start"] for slot in found] for day, found in response.json()["data"].items()}


def book(
    sandbox, start: datetime | str, event_type_id: int = 1001, *, timeout: float = 5, **fields
) -> requests.Response:
    body = {
        "start": on_the_wire(start),
        "eventTypeId": event_type_id,
        "attendee": {
            "name": "Alice Caller",
            "email": "alice@example.com",
            "timeZone": "Europe/Berlin",
            "language": "de",
        },
        "metadata": {"callId": "call-1"},
        **fields,
    }
    return requests.post(
        f"{sandbox.base_url}/bookings", json=body, headers=headers(BOOKINGS), timeout=timeout
    )


def booked(sandbox, start: datetime | str, event_type_id: int = 1001, **fields) -> dict:
    response = book(sandbox, start, event_type_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def list_bookings(sandbox, **params) -> dict:
    params = {name: on_the_wire(value) for name, value in params.items()}
    response = requests.get(
        f"{sandbox.base_url}/bookings", params=params, headers=headers(BOOKINGS), timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def post(sandbox, path: str, body: dict, key: str | None = API_KEY) -> requests.Response:
    body = {name: on_the_wire(value) for name, value in body.items()}
    return requests.post(f"{sandbox.base_url}{path}", json=body, headers=headers(BOOKINGS, key), timeout=5)


def error_message(response: requests.Response) -> str:
    return response.json()["error"]["message"]


class WebhookReceiver:
    """A subscriber URL on a free loopback port that records every POST and answers `status`.

    It records a request before answering it, so once the sandbox's `webhooks.wait_idle()`
    returns, `received` holds everything that was delivered. With `hold`, it answers only once
    that event is set (a slow receiver).
    """

    def __init__(self, status: int = 204, *, hold: threading.Event | None = None) -> None:
        self.status = status
        self.hold = hold
        self.received: list[tuple[Message, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((self.headers, body))  # header names case-insensitive
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read `received`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/calcom/webhook"

    def events(self) -> list[dict]:
        """The delivered bodies, parsed."""
        return [json.loads(body) for _, body in self.received]

    def __enter__(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.hold is not None:
            self.hold.set()  # let a held request finish
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
