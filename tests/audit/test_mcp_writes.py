"""What an AI agent books, moves and cancels through MCP is its token's in the audit trail (the
token's prefix and name, as staff see it in admin; never its secret). The official client
against the Cal.com sandbox, as in tests/mcp_api."""

import pytest

from audit.actors import ActorKind
from booking.models import Appointment
from mcp_api.models import McpToken
from tests import timeline
from tests.audit.conftest import entries, whole_trail
from tests.mcp_api.conftest import (  # noqa: F401  (fixtures)
    _orm_between_client_calls,
    agent,
    anyio_backend,
    mcp_app,
    practice,
    sandbox,
    token,
)

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


def _local(hhmm: str) -> str:
    return f"{timeline.weekday_ahead(3, weekday=timeline.TUESDAY).isoformat()}T{hhmm}"


async def _ok(client, tool: str, arguments: dict) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def test_an_agents_booking_move_and_cancellation_are_its_tokens(mcp_app, practice, token):  # noqa: F811
    berlin = practice.branches.get(name="Berlin").pk
    booking = {
        "branch_id": berlin,
        "start": _local("10:00"),
        "name": "Jana Caller",
        "phone": "+49 151 12345678",
        "email": "jana@example.com",
        "idempotency_key": "agent-booking-0001",
    }
    async with agent(mcp_app, token) as client:
        made = await _ok(client, "book_appointment", booking)
        handle = made["appointment"]["appointment_id"]
        move = {"appointment_id": handle, "new_start": _local("15:00"), "idempotency_key": "agent-move-0001"}
        moved = await _ok(client, "reschedule_appointment", move)
        cancel = {
            "appointment_id": moved["appointment"]["appointment_id"],
            "idempotency_key": "agent-cancel-01",
        }
        await _ok(client, "cancel_appointment", cancel)

    issued = McpToken.objects.get()
    first, second = Appointment.objects.order_by("pk")
    by_agent = [entry for entry in entries() if entry.actor_kind == ActorKind.MCP_TOKEN]
    assert [(e.action, e.object_id) for e in by_agent] == [
        ("book", str(first.pk)),
        ("reschedule", str(first.pk)),
        ("cancel", str(second.pk)),
    ]
    assert {(e.actor_ref, e.actor_label, e.company_id) for e in by_agent} == {
        (issued.prefix, "tests", practice.pk)
    }
    assert by_agent[0].changes["source"] == [None, "api"]
    assert by_agent[1].changes["replaced_by"] == second.pk
    trail = whole_trail()
    for personal in ("Jana", "jana@example.com", "5112345678", token, token[len(issued.prefix) :]):
        assert personal not in trail
