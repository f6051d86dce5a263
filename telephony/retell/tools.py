"""The live-call functions Retell agents call, described once.

`telephony.functions` dispatches on these names; `manage.py retell_tools` prints them as Retell
custom-tool definitions (JSON Schema with a top-level "type": "object", contract §4.1).
"""

DATE_HELP = (
    "Date as YYYY-MM-DD or DD.MM.YYYY, or as the caller said it: 'heute', 'morgen', 'übermorgen', "
    "'am Freitag', 'nächsten Dienstag', 'today', 'next Tuesday'."
)
TIME_HELP = "Local wall-clock time as HH:MM, or as said: '11 Uhr', 'halb drei', 'Viertel nach zehn', '3pm'."
SERVICE_HELP = "The service the caller wants, in their words (one of {{services}}), if they said."
REF_HELP = "The appointment reference from find_my_appointments; omit if the caller has only one."

FUNCTIONS = {
    "check_availability": {
        "description": "Free appointment times for a day or a range of days at this branch.",
        "properties": {
            "date": {"type": "string", "description": DATE_HELP + " Default: today."},
            "date_to": {"type": "string", "description": "Last day of a range (inclusive). " + DATE_HELP},
            "part_of_day": {
                "type": "string",
                "enum": ["morning", "afternoon", "evening", "any"],
                "description": "Only times in this part of the day.",
            },
            "service": {"type": "string", "description": SERVICE_HELP},
        },
        "required": [],
        "timeout_ms": 10000,
    },
    "find_alternatives": {
        "description": "The free times nearest to the time the caller wished (same day first).",
        "properties": {
            "date": {"type": "string", "description": DATE_HELP},
            "time": {"type": "string", "description": TIME_HELP},
            "service": {"type": "string", "description": SERVICE_HELP},
        },
        "required": ["date", "time"],
        "timeout_ms": 10000,
    },
    "book_appointment": {
        "description": "Book the appointment the caller confirmed. Call it once the caller said yes.",
        "properties": {
            "date": {"type": "string", "description": DATE_HELP},
            "time": {"type": "string", "description": TIME_HELP},
            "name": {"type": "string", "description": "The caller's full name."},
            "email": {
                "type": "string",
                "description": "Email for the confirmation, if the caller gives one.",
            },
            "service": {"type": "string", "description": SERVICE_HELP},
            "notes": {"type": "string", "description": "Anything the staff should know."},
        },
        "required": ["date", "time", "name"],
        "timeout_ms": 20000,
    },
    "find_my_appointments": {
        "description": "The caller's upcoming appointments (found by the number they call from).",
        "properties": {},
        "required": [],
        "timeout_ms": 8000,
    },
    "reschedule_appointment": {
        "description": "Move one of the caller's appointments to a new time.",
        "properties": {
            "appointment_ref": {"type": "string", "description": REF_HELP},
            "new_date": {"type": "string", "description": DATE_HELP},
            "new_time": {"type": "string", "description": TIME_HELP},
        },
        "required": ["new_date", "new_time"],
        "timeout_ms": 20000,
    },
    "cancel_appointment": {
        "description": "Cancel one of the caller's appointments after they confirmed.",
        "properties": {
            "appointment_ref": {"type": "string", "description": REF_HELP},
            "reason": {"type": "string", "description": "Why, in the caller's words."},
        },
        "required": [],
        "timeout_ms": 15000,
    },
}


def tool_definition(name: str, url: str) -> dict:
    """One Retell custom tool (`type: "custom"`) for the function `name` at `url`."""
    spec = FUNCTIONS[name]
    return {
        "type": "custom",
        "name": name,
        "description": spec["description"],
        "url": url,
        "method": "POST",
        "timeout_ms": spec["timeout_ms"],
        "speak_during_execution": name
        in {"book_appointment", "reschedule_appointment", "cancel_appointment"},
        "speak_after_execution": True,
        "parameters": {"type": "object", "properties": spec["properties"], "required": spec["required"]},
    }


# A function answers this long before its tool timeout, so the answer reaches Retell (over the
# internet, through our proxy) before Retell gives up and sends the function again.
ANSWER_MARGIN_MS = 2000


def answer_deadline_seconds(name: str) -> float:
    """How long the function `name` may work: its tool timeout less the margin. Retell's tool
    definitions print the same `timeout_ms` (tool_definition), so the two cannot drift apart."""
    return (FUNCTIONS[name]["timeout_ms"] - ANSWER_MARGIN_MS) / 1000
