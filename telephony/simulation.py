"""A scripted demo call: the three webhooks Retell would send, signed with the company's key.

Payload shapes follow shared/contracts/retell-api.md §1.2-§1.4 (call_ended carries no
call_analysis; call_analyzed carries everything).
"""

import json
import secrets
from datetime import date

import requests

from core import clock
from integrations.retell.signature import SIGNATURE_HEADER, sign

CALLER = "+4915112345678"


def demo_call_events(*, to_number: str, day: date, at: str, name: str, email: str) -> list[dict]:
    call_id = f"call_sim_{secrets.token_hex(8)}"
    started = clock.now_ms() - 120_000
    wish = {
        "booking_confirmed": "true",
        "datum": day.strftime("%d.%m.%Y"),
        "uhrzeit": at,
        "name": name,
        "email": email,
        "dienstleistung": "Beratung",
    }
    base = {
        "call_id": call_id,
        "call_type": "phone_call",
        "agent_id": "agent_simulated",
        "agent_version": 1,
        "direction": "inbound",
        "from_number": CALLER,
        "to_number": to_number,
        "call_status": "ongoing",
        "start_timestamp": started,
        "retell_llm_dynamic_variables": {"sprache": "de"},
    }
    transcript = (
        f"Agent: Guten Tag, Sie sprechen mit der Praxis.\nUser: Grüß Gott, ich möchte einen Termin "
        f"am {day:%d.%m.} um {at}. Mein Name ist {name}."
    )
    ended = {
        **base,
        "call_status": "ended",
        "end_timestamp": started + 95_000,
        "duration_ms": 95_000,
        "disconnection_reason": "user_hangup",
        "transcript": transcript,
        "collected_dynamic_variables": wish,
    }
    analyzed = {
        **ended,
        "call_analysis": {
            "call_summary": f"{name} möchte am {day:%d.%m.%Y} um {at} einen Beratungstermin.",
            "user_sentiment": "Positive",
            "call_successful": True,
            "in_voicemail": False,
            "custom_analysis_data": wish,
        },
    }
    return [
        {"event": "call_started", "call": base},
        {"event": "call_ended", "call": ended},
        {"event": "call_analyzed", "call": analyzed},
    ]


def post_signed(url: str, payload: dict, api_key: str, *, timeout: float = 10.0) -> requests.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    header = sign(body, api_key, clock.now_ms())
    return requests.post(
        url,
        data=body,
        timeout=timeout,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
    )


def live_call_script(
    *, base_url: str, webhook_key: str, api_key: str, to_number: str, day: date, say=print
) -> list[dict]:
    """Drive one live call through our endpoints as a Retell agent would; returns each answer.

    The caller may have other appointments (simulate_call books one for the same number), so the
    script moves and cancels only the one it booked, named by its reference, and a run leaves
    nothing booked behind. A refused step stops the script (RuntimeError with what was said)."""
    call = {
        "call_id": f"call_live_{secrets.token_hex(8)}",
        "call_type": "phone_call",
        "direction": "inbound",
        "from_number": CALLER,
        "to_number": to_number,
        "agent_id": "agent_simulated",
        "call_status": "ongoing",
    }
    inbound = post_signed(
        f"{base_url}/api/retell/inbound/{webhook_key}",
        {"event": "call_inbound", "call_inbound": {"from_number": CALLER, "to_number": to_number}},
        api_key,
    )
    inbound.raise_for_status()
    say(f"inbound variables: {inbound.json()['call_inbound']['dynamic_variables']}")
    answers = []

    def function(name: str, args: dict) -> dict:
        response = post_signed(
            f"{base_url}/api/retell/functions/{webhook_key}",
            {"name": name, "args": args, "call": call},
            api_key,
        )
        response.raise_for_status()
        answers.append(response.json())
        say(f"{name}: {answers[-1]['message']}")
        if not answers[-1]["success"]:
            raise RuntimeError(f"{name} was refused: {answers[-1]['message']}")
        return answers[-1]

    free = function("check_availability", {"date": day.isoformat()})["data"]["slots"]
    if len(free) < 2:
        raise RuntimeError(f"Not enough free slots on {day} to run the script.")
    booked = function(
        "book_appointment", {"date": day.isoformat(), "time": free[0]["time"], "name": "Jana Caller"}
    )
    function("find_my_appointments", {})
    moved = function(
        "reschedule_appointment",
        {
            "appointment_ref": booked["data"]["appointment_ref"],
            "new_date": day.isoformat(),
            "new_time": free[1]["time"],
        },
    )
    function(
        "cancel_appointment",
        {"appointment_ref": moved["data"]["appointment_ref"], "reason": "Simulated call"},
    )
    return answers
