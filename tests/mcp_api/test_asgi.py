"""askpro.asgi, for those who must run ASGI: the lifespan starts the MCP app's session manager,
/mcp reaches the MCP app and everything else reaches Django."""

import importlib
from contextlib import asynccontextmanager

import anyio
import pytest

from tests.mcp_api.conftest import raw_http

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


@asynccontextmanager
async def lifespan(app):
    """What an ASGI server does around serving: startup, then shutdown."""
    to_app, app_inbox = anyio.create_memory_object_stream(2)
    app_outbox, from_app = anyio.create_memory_object_stream(2)
    async with anyio.create_task_group() as group:
        group.start_soon(
            app,
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            app_inbox.receive,
            app_outbox.send,
        )
        await to_app.send({"type": "lifespan.startup"})
        assert (await from_app.receive())["type"] == "lifespan.startup.complete"
        yield
        await to_app.send({"type": "lifespan.shutdown"})
        assert (await from_app.receive())["type"] == "lifespan.shutdown.complete"


async def test_one_asgi_app_serves_mcp_and_django(token, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    asgi = importlib.reload(importlib.import_module("askpro.asgi"))  # a fresh session manager
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {token}"}
    async with lifespan(asgi.application), raw_http(asgi.application, headers) as http:
        listed = await http.post("/mcp", json=LIST_TOOLS)
        health = await http.get("/healthz")
    assert listed.status_code == 200 and len(listed.json()["result"]["tools"]) == 7
    assert health.status_code == 200 and health.json()["status"] in {"ok", "degraded"}
