"""A scripted demo call: the three webhooks Retell would send, signed with the company's key.

Payload shapes follow shared/contracts/retell-api.md §1.2-§1.4 (call_ended carries no
call_analysis; call_analyzed carries everything).
"""

import json
import secrets
import time
from datetime import date, datetime

import requests

from integrations.retell.signature import SIGNATURE_HEADER, sign

CALLER = "+4915112345678"


def demo_call_events(*, to_number: str, day: date, at: str, name: str, email: str) -> list[dict]:
    call_id = f"call_sim_{secrets.token_hex(8)}"
    started = int(time.time() * 1000) - 120_000
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
    header = sign(body, api_key, int(datetime.now().timestamp() * 1000))
    return requests.post(
        url,
        data=body,
        timeout=timeout,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
    )
