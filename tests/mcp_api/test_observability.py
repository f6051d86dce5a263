"""Each tool call is counted and timed in /metrics and logged with company, tool and outcome,
and with nothing a caller said (no names, numbers or addresses)."""

import logging
import re

import pytest
from django.test import Client as DjangoClient

from tests import timeline
from tests.mcp_api.conftest import agent

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


def _metric(name: str, **labels) -> float:
    page = DjangoClient().get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in page.content.decode().splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def test_calls_are_counted_by_tool_and_outcome_and_timed(mcp_app, practice, token):
    ok_before = _metric("mcp_tool_calls_total", tool="find_appointments", outcome="ok")
    bad_before = _metric("mcp_tool_calls_total", tool="find_appointments", outcome="validation_error")
    timed_before = _metric("mcp_tool_duration_seconds_count", tool="find_appointments")
    async with agent(mcp_app, token) as client:
        await client.call_tool("find_appointments", {"phone": "+4915112345678"})
        await client.call_tool("find_appointments", {"phone": "not a number"})
    assert _metric("mcp_tool_calls_total", tool="find_appointments", outcome="ok") == ok_before + 1
    assert (
        _metric("mcp_tool_calls_total", tool="find_appointments", outcome="validation_error")
        == bad_before + 1
    )
    assert _metric("mcp_tool_duration_seconds_count", tool="find_appointments") == timed_before + 2


async def test_each_call_is_logged_without_what_the_caller_said(mcp_app, practice, token, caplog):
    with caplog.at_level(logging.INFO, logger="mcp_api"):
        async with agent(mcp_app, token) as client:
            made = await client.call_tool(
                "book_appointment",
                {
                    "branch_id": practice.branches.get(name="Berlin").pk,
                    "start": f"{timeline.booking_day().isoformat()}T10:00",
                    "name": "Jana Geheimname",
                    "phone": "+4915187654321",
                    "email": "jana.geheim@example.de",
                    "idempotency_key": "logged-booking-1",
                },
            )
    assert not made.is_error
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("mcp_api")]
    ours = f"MCP tool book_appointment company {practice.pk} token"
    assert any(ours in line and ": ok in" in line for line in lines)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Geheimname" not in logged and "87654321" not in logged and "geheim@" not in logged
    assert token not in logged
