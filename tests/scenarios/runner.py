"""Play one caller scenario (a JSON file in tests/scenarios/calls) and grade it.

A scenario is what Retell would send during one call: signed custom-function requests to the
real endpoint, /api/retell/functions/<webhook key>, for a branch that books in the in-process
Cal.com sandbox. It is graded on what the caller hears (phrases in each answer's `message`) and
on what ends up booked in the calendar (or that nothing is: "must not book").

Dates in a scenario are relative, never calendar dates. The clock is moved to the scenario's
`now` (default: the first Monday after the suite's pinned moment, 08:00 Berlin), and days are
written from there: "today", "+1" (tomorrow), "booking_day" (timeline.booking_day()). Inside
strings, `{+1:de}` is that day as the agent says it in German ("3. Dezember"), `{+1:en}` in
English, `{+1:iso}` YYYY-MM-DD, `{+1:dmy}` DD.MM.YYYY, `{+1:weekday}` its German weekday.

    {
      "title": "...", "language": "de",
      "now": {"weekday": "monday", "time": "08:00"} | {"before_offset_change": "forward",
             "days": 3, "time": "10:00"},
      "calendar": {"taken": [{"day": "+1", "time": "10:00"}], "error_rate": 1.0,
                   "latency_ms": 0, "deadline_seconds": 1.0},
      "steps": [{"function": "book_appointment", "args": {...}, "remember": "first",
                 "expect": {"success": true, "error": "...", "says": [...], "says_not": [...]}}],
      "bookings": [{"day": "+1", "time": "14:30"}],
      "kept_wishes": 0
    }

A step's args may name what an earlier step remembered ("$first": its appointment_ref).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from booking.models import BookingRequest, BookingRequestStatus
from sandbox.server import start_sandbox
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory
from tests.retell_fakes import (
    API_KEY,
    CALLER_NUMBER,
    CLINIC_NUMBER,
    as_body,
    function_call_payload,
    signed_headers,
)

CALLS = Path(__file__).parent / "calls"
EVENT_TYPE_ID = 1001  # the sandbox's "Beratung", 30 minutes, Mon-Fri 9-17, Sat 9-13
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACTIVE = {"accepted", "pending"}
_TOKEN = re.compile(r"\{([^{}:]+):(\w+)\}")


def scenario_files() -> list[Path]:
    return sorted(CALLS.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Playback:
    """One scenario being played: its clock's today, the answers, what it remembered."""

    today: date
    client: object
    company: object
    remembered: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def day(self, expression: str) -> date:
        """'today', '+2', '-1', 'booking_day', 'booking_day+1'."""
        base, _, offset = expression.replace("booking_day", "booking_day ").partition(" ")
        if base == "booking_day":
            return timeline.booking_day() + timedelta(days=int(offset or 0))
        if expression == "today":
            return self.today
        return self.today + timedelta(days=int(expression))

    def text(self, value):
        """`value` with {day:form} tokens and $remembered names filled in."""
        if isinstance(value, dict):
            return {key: self.text(item) for key, item in value.items()}
        if not isinstance(value, str):
            return value
        if value.startswith("$"):
            return self.remembered[value[1:]]
        return _TOKEN.sub(lambda match: _day_form(self.day(match[1]), match[2]), value)


def _day_form(day: date, form: str) -> str:
    return {
        "de": timeline.german_date,
        "en": timeline.english_date,
        "iso": date.isoformat,
        "dmy": lambda d: f"{d:%d.%m.%Y}",
        "weekday": timeline.german_weekday,
    }[form](day)


def scenario_now(spec: dict | None) -> datetime:
    """Where the scenario's clock stands, relative to the suite's pinned moment."""
    spec = spec or {}
    hhmm = spec.get("time", "08:00")
    if direction := spec.get("before_offset_change"):
        change = timeline.next_offset_change(timeline.now(), forward=direction == "forward")
        day = change.astimezone(timeline.BERLIN).date() - timedelta(days=spec.get("days", 3))
        return timeline.at(day, hhmm)
    weekday = WEEKDAYS.index(spec.get("weekday", "monday"))
    return timeline.at(timeline.weekday_ahead(1, weekday=weekday), hhmm)


def play(scenario: dict, *, client, clock, monkeypatch) -> list[str]:
    """Play `scenario`; the problems found (empty: it passed)."""
    clock.move_to(scenario_now(scenario.get("now")))
    calendar = scenario.get("calendar", {})
    if "deadline_seconds" in calendar:
        deadline = calendar["deadline_seconds"]
        monkeypatch.setattr("telephony.functions.answer_deadline_seconds", lambda name: deadline)
    faults = {k: calendar[k] for k in ("error_rate", "latency_ms") if k in calendar}
    with start_sandbox(seed=13, **faults) as sandbox:
        company = _practice(sandbox, scenario.get("language", "de"))
        playback = Playback(today=timeline.today(), client=client, company=company)
        seeded = {_seed(sandbox, playback, taken) for taken in calendar.get("taken", [])}
        for number, step in enumerate(scenario["steps"], 1):
            _step(playback, number, step)
        _grade_bookings(playback, scenario, sandbox, seeded)
    return playback.problems


def _practice(sandbox, language: str):
    company = CompanyFactory(
        slug="scenario", retell_api_key=API_KEY, calcom_base_url=sandbox.base_url, language=language
    )
    branch = BranchFactory(
        company=company, name="Praxis Mitte", calcom_event_type_id=EVENT_TYPE_ID, language=language
    )
    PhoneNumberFactory(company=company, branch=branch, number=CLINIC_NUMBER)
    return company


def _seed(sandbox, playback: Playback, taken: dict) -> str:
    """Someone else's booking, made in Cal.com before the call."""
    start = timeline.utc(playback.day(taken["day"]), taken["time"])
    attendee = {"name": "Erika Muster", "email": "erika@example.com", "timeZone": "Europe/Berlin"}
    created = sandbox.bookings.create(
        {"start": timeline.z(start), "eventTypeId": EVENT_TYPE_ID, "attendee": attendee}
    )
    return created["uid"]


def _step(playback: Playback, number: int, step: dict) -> None:
    args = playback.text(step.get("args", {}))
    payload = function_call_payload(step["function"], args, from_number=step.get("caller", CALLER_NUMBER))
    body = as_body(payload)
    url = f"/api/retell/functions/{playback.company.webhook_key}"
    response = playback.client.post(url, body, **signed_headers(body, API_KEY))
    label = f"step {number} ({step['function']})"
    if response.status_code != 200:
        playback.problems.append(f"{label}: HTTP {response.status_code}")
        return
    answer = response.json()
    if remember := step.get("remember"):
        playback.remembered[remember] = answer["data"].get("appointment_ref", "")
    playback.problems += [
        f"{label}: {problem}" for problem in _graded(playback, answer, step.get("expect", {}))
    ]


def _graded(playback: Playback, answer: dict, expect: dict) -> list[str]:
    problems = []
    message = answer.get("message", "")
    if "success" in expect and answer["success"] is not expect["success"]:
        problems.append(f"success is {answer['success']}, expected {expect['success']} ({message!r})")
    if "error" in expect and answer["data"].get("error") != expect["error"]:
        problems.append(f"error is {answer['data'].get('error')!r}, expected {expect['error']!r}")
    for phrase in map(playback.text, expect.get("says", [])):
        if phrase not in message:
            problems.append(f"did not say {phrase!r}: {message!r}")
    for phrase in map(playback.text, expect.get("says_not", [])):
        if phrase in message:
            problems.append(f"said {phrase!r}: {message!r}")
    return problems


def _grade_bookings(playback: Playback, scenario: dict, sandbox, seeded: set[str]) -> None:
    made = sorted(
        _wall_clock(booking["start"])
        for booking in sandbox.bookings.all()
        if booking["status"] in ACTIVE and booking["uid"] not in seeded
    )
    wanted = sorted(
        (playback.day(b["day"]).isoformat(), time.fromisoformat(b["time"]).strftime("%H:%M"))
        for b in scenario.get("bookings", [])
    )
    if made != wanted:
        playback.problems.append(f"booked {made}, expected {wanted}")
    if "kept_wishes" in scenario:
        kept = BookingRequest.objects.filter(status=BookingRequestStatus.RETRYING).count()
        if kept != scenario["kept_wishes"]:
            playback.problems.append(f"{kept} wishes kept for a retry, expected {scenario['kept_wishes']}")


def _wall_clock(start: str) -> tuple[str, str]:
    local = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(timeline.BERLIN)
    return local.date().isoformat(), f"{local:%H:%M}"
