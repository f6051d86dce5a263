"""Cal.com payloads for service tests, built from the contract fixtures in tests/fixtures/calcom.

Shapes follow shared/contracts/calcom-api.md §2.2 (slots, format=range), §2.3 (BookingOutput),
§2.4 (GetBookingsOutput with pagination) and §2.7 (error envelope).
"""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

from tests import timeline

FIXTURES = Path(__file__).parent / "fixtures" / "calcom"
BASE = "https://api.cal.com/v2"


def fixture(name: str) -> dict:
    """The contract fixture `name`, its {{date tokens}} rendered for the pinned now."""
    return timeline.render(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def _z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def booking_output(
    *,
    start: datetime,
    end: datetime,
    uid: str = "bk_3fY7qLm2",
    booking_id: int = 9001,
    status: str = "accepted",
    event_type_id: int = 50,
    metadata: dict | None = None,
    **extra,
) -> dict:
    """A BookingOutput_2024_08_13 envelope (fixture booking.json with these fields replaced;
    `extra` adds optional ones such as rescheduledToUid, as Cal.com names them)."""
    payload = copy.deepcopy(fixture("booking"))
    payload["data"].update(
        {
            "id": booking_id,
            "uid": uid,
            "status": status,
            "start": _z(start),
            "end": _z(end),
            "eventTypeId": event_type_id,
            "metadata": metadata or {},
            **extra,
        }
    )
    payload["data"]["eventType"]["id"] = event_type_id
    return payload


def bookings_list(*bookings: dict) -> dict:
    """A GetBookingsOutput_2024_08_13 page holding the given BookingOutput `data` dicts."""
    count = len(bookings)
    return {
        "status": "success",
        "data": list(bookings),
        "pagination": {
            "totalItems": count,
            "remainingItems": 0,
            "returnedItems": count,
            "itemsPerPage": 100,
            "currentPage": 1,
            "totalPages": 1,
            "hasNextPage": False,
            "hasPreviousPage": False,
        },
    }


def slots_range(slots_by_date: dict[str, list[tuple[str, str]]]) -> dict:
    """/v2/slots?format=range: {"YYYY-MM-DD": [{"start": iso, "end": iso}]}."""
    return {
        "status": "success",
        "data": {day: [{"start": s, "end": e} for s, e in pairs] for day, pairs in slots_by_date.items()},
    }


def json_body(call) -> dict:
    return json.loads(call.request.body)
