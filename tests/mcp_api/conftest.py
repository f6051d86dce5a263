"""The MCP endpoint driven by the official SDK's client over Streamable HTTP, in both protocol
eras, without a socket: httpx2's ASGI transport carries each request to the app that
askpro.wsgi serves at /mcp (tests/mcp_api/test_served.py runs it in a real server too).

Tools run on worker threads with their own database connections, so these tests commit
(`transaction=True`) instead of hiding their rows in a transaction the tools cannot see.
"""

from contextlib import asynccontextmanager

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_api.server import mcp_http_app, server
from mcp_api.tokens import mcp_token_create
from sandbox.server import start_sandbox
from tests.factories import BranchFactory, CompanyFactory

BASE = "http://127.0.0.1:8000"
# The client's modes: "auto" speaks 2026-07-28 (no handshake); "legacy" the 2025-11-25 handshake.
ERAS = ["auto", "legacy"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _orm_between_client_calls(monkeypatch):
    """The test bodies read the database between client calls, on the event loop's thread.
    Django refuses that by default (a coroutine blocking the loop); here nothing else runs on
    that thread's connection, and the tools themselves use worker threads as in production."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
async def mcp_app():
    """A fresh app whose session manager runs for the test (an ASGI transport sends no lifespan)."""
    app = mcp_http_app()
    async with server.session_manager.run():
        yield app


@asynccontextmanager
async def raw_http(app, headers: dict | None = None):
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=BASE, headers=headers or {}
    ) as http:
        yield http


@asynccontextmanager
async def agent(app, token: str, mode: str = "auto"):
    """The official client, authenticated with `token`."""
    async with (
        raw_http(app, {"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(f"{BASE}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


@pytest.fixture
def sandbox():
    with start_sandbox(seed=11) as running:
        yield running


@pytest.fixture
def practice(sandbox):
    """A company booking in the sandbox: Berlin (event type 1001) and a second branch (1002)."""
    company = CompanyFactory(
        name="Praxis Nord", slug="nord", calcom_base_url=sandbox.base_url, calcom_api_key="cal_sandbox"
    )
    BranchFactory(company=company, name="Berlin", calcom_event_type_id=1001, opening_hours="Mo-Fr 9-17")
    BranchFactory(company=company, name="Hamburg", calcom_event_type_id=1002)
    return company


@pytest.fixture
def rival(sandbox):
    company = CompanyFactory(
        name="Praxis Süd", slug="sued", calcom_base_url=sandbox.base_url, calcom_api_key="cal_sandbox"
    )
    BranchFactory(company=company, name="München", calcom_event_type_id=1001)
    return company


@pytest.fixture
def token(practice) -> str:
    return mcp_token_create(company=practice, name="tests")[1]


@pytest.fixture
def rival_token(rival) -> str:
    return mcp_token_create(company=rival, name="rival tests")[1]
