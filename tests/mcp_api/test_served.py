"""The demo as a user meets it: the service under gunicorn (two sync workers, askpro.wsgi, as the
README runs it) and the Cal.com sandbox as real processes, the demo tenant seeded, a token from
`create_mcp_token`, and the official MCP client over a socket in both eras. The appointment it
books then shows in admin.

These processes keep real time and their own SQLite file (whatever database the suite runs
on): dates come from the server's own answers, never from the suite's pinned clock.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
import requests
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.processes import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "served-test-admin-password"

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    """What `make run` starts, with gunicorn for runserver; stopped after the module."""
    database = tmp_path_factory.mktemp("served") / "askpro.sqlite3"
    port, sandbox_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ASKPRO_TEST_NOW"}},
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "served-mcp-test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DEBUG": "true",  # as `make run`: admin's cookies over plain http
        "LOG_LEVEL": "WARNING",
        "DEMO_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*arguments: str) -> str:
        done = subprocess.run(
            [*manage, *arguments], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        return done.stdout

    run("migrate", "--noinput", "-v0")
    run("seed_demo", "--sandbox-url", f"http://127.0.0.1:{sandbox_port}/v2")
    token = run("create_mcp_token", "--company", "demo", "--name", "served test").strip()
    sandbox = subprocess.Popen([*manage, "calcom_sandbox", "--port", str(sandbox_port)], env=env, cwd=ROOT)
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "askpro.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        env={**env, "GUNICORN_CMD_ARGS": "--log-level warning"},
        cwd=ROOT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", web)
        yield {"url": f"http://127.0.0.1:{port}", "token": token}
    finally:
        for process in (web, sandbox):
            process.terminate()
        for process in (web, sandbox):
            process.wait(timeout=20)


def _client(service: dict, mode: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {service['token']}"}, timeout=30)
    return Client(streamable_http_client(f"{service['url']}/mcp", http_client=http), mode=mode)


async def test_an_agent_books_a_demo_appointment_that_shows_in_admin(demo_service):
    async with _client(demo_service, "auto") as client:
        assert client.protocol_version == "2026-07-28"
        branches = (await client.call_tool("list_branches", {})).structured_content["branches"]
        berlin = next(b for b in branches if b["name"] == "Berlin Mitte")
        free = await client.call_tool("check_availability", {"branch_id": berlin["branch_id"]})
        first = free.structured_content["slots"][0]["start"]
        made = await client.call_tool(
            "book_appointment",
            {
                "branch_id": berlin["branch_id"],
                "start": first["local"],
                "name": "Agent Demo Caller",
                "email": "agent.demo@example.com",
                "idempotency_key": "served-demo-booking-1",
            },
        )
    assert not made.is_error, made.content[0].text
    assert made.structured_content["appointment"]["start"] == first

    async with _client(demo_service, "legacy") as client:  # another era, likely another worker
        assert client.protocol_version == "2025-11-25"
        found = await client.call_tool("find_appointments", {"email": "agent.demo@example.com"})
    assert found.structured_content["appointments"] == [made.structured_content["appointment"]]

    listing = _admin_page(demo_service["url"], "/admin/booking/appointment/")
    assert "Agent Demo Caller" in listing or "agent.demo@example.com" in listing


def test_django_is_served_beside_mcp(demo_service):
    assert requests.get(f"{demo_service['url']}/healthz", timeout=10).status_code == 200
    unauthenticated = requests.post(f"{demo_service['url']}/mcp", json={}, timeout=10)
    assert unauthenticated.status_code == 401


def _admin_page(base: str, path: str) -> str:
    session = requests.Session()
    login = session.get(f"{base}/admin/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    session.post(
        f"{base}/admin/login/?next={path}",
        data={"csrfmiddlewaretoken": csrf, "username": "admin", "password": ADMIN_PASSWORD, "next": path},
        headers={"Referer": f"{base}/admin/login/"},
        timeout=10,
    )
    page = session.get(f"{base}{path}", timeout=10)
    assert page.status_code == 200 and 'id="logout-form"' in page.text  # logged in, in any language
    return page.text
