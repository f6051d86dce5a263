"""The endpoint speaks MCP in both eras, lists exactly the tools we reviewed, and answers the
raw JSON-RPC a handshake-era client sends without ever handing out a session."""

import json
import os
from pathlib import Path

import pytest

from tests.mcp_api.conftest import ERAS, agent, raw_http

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

SNAPSHOT = Path(__file__).parent / "tools_list.json"
JSON_AND_SSE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _listed(tools) -> list[dict]:
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools.tools]


@pytest.mark.parametrize("mode", ERAS)
async def test_tools_list_is_the_reviewed_snapshot_in_both_eras(mcp_app, token, mode):
    """Names, titles, descriptions, schemas and annotations are part of what agents see: any
    change shows here. After a deliberate change, regenerate with MCP_SNAPSHOT_UPDATE=1."""
    async with agent(mcp_app, token, mode) as client:
        listed = _listed(await client.list_tools())
        expected_version = "2026-07-28" if mode == "auto" else "2025-11-25"
        assert client.protocol_version == expected_version
    if os.environ.get("MCP_SNAPSHOT_UPDATE"):
        SNAPSHOT.write_text(json.dumps(listed, indent=2, ensure_ascii=False) + "\n")
    assert listed == json.loads(SNAPSHOT.read_text())


async def test_every_tool_is_titled_typed_and_annotated(mcp_app, token):
    async with agent(mcp_app, token) as client:
        tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == [
        "list_branches",
        "check_availability",
        "find_alternatives",
        "book_appointment",
        "find_appointments",
        "reschedule_appointment",
        "cancel_appointment",
    ]
    for tool in tools:
        assert tool.title and tool.description and tool.output_schema["type"] == "object"
        assert tool.annotations.read_only_hint is not None
        assert tool.annotations.open_world_hint is not None
    writes = {t.name: t for t in tools if not t.annotations.read_only_hint}
    assert set(writes) == {"book_appointment", "reschedule_appointment", "cancel_appointment"}
    assert all("idempotency_key" in t.input_schema["required"] for t in writes.values())
    assert writes["cancel_appointment"].annotations.destructive_hint is True
    assert writes["book_appointment"].annotations.destructive_hint is False


async def test_a_handshake_era_client_gets_answers_but_never_a_session(mcp_app, token):
    auth = {**JSON_AND_SSE, "Authorization": f"Bearer {token}"}
    async with raw_http(mcp_app, auth) as http:
        hello = await http.post("/mcp", json=_rpc("initialize", _client_hello("2025-06-18")))
        assert hello.status_code == 200 and "mcp-session-id" not in hello.headers
        assert hello.json()["result"]["protocolVersion"] == "2025-06-18"
        assert hello.json()["result"]["serverInfo"]["name"] == "askpro"
        later = {"MCP-Protocol-Version": "2025-06-18"}
        done = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=later
        )
        assert done.status_code == 202
        listed = await http.post("/mcp", json=_rpc("tools/list", {}, 2), headers=later)
        assert len(listed.json()["result"]["tools"]) == 7
        pong = await http.post("/mcp", json=_rpc("ping", {}, 3), headers=later)
        assert pong.json()["result"] == {}
        assert (await http.delete("/mcp", headers=later)).status_code == 405


async def test_an_unknown_old_version_is_answered_with_the_newest_handshake_version(mcp_app, token):
    auth = {**JSON_AND_SSE, "Authorization": f"Bearer {token}"}
    async with raw_http(mcp_app, auth) as http:
        hello = await http.post("/mcp", json=_rpc("initialize", _client_hello("2024-01-01")))
    assert hello.json()["result"]["protocolVersion"] == "2025-11-25"


def _rpc(method: str, params: dict, request_id: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def _client_hello(version: str) -> dict:
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "1"},
    }
