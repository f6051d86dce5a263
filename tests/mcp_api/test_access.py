"""Who gets in: only a usable token of an active company, only for what it may do, only so often,
and only over an allowed Host and Origin."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from booking.models import Appointment
from core import clock
from mcp_api.models import McpToken
from mcp_api.server import mcp_http_app, server
from mcp_api.tokens import TOKEN_PREFIX, mcp_token_create, mcp_token_revoke, mcp_token_verify
from tests import timeline
from tests.mcp_api.conftest import ERAS, agent, raw_http

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

JSON_AND_SSE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


async def _status(app, token: str | None, extra: dict | None = None) -> tuple[int, dict]:
    headers = {**JSON_AND_SSE, **({"Authorization": f"Bearer {token}"} if token else {}), **(extra or {})}
    async with raw_http(app, headers) as http:
        response = await http.post("/mcp", json=LIST_TOOLS)
    return response.status_code, dict(response.headers)


async def test_without_a_token_the_answer_is_401_pointing_to_the_resource_metadata(mcp_app):
    status, headers = await _status(mcp_app, None)
    assert status == 401
    challenge = headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and "/.well-known/oauth-protected-resource/mcp" in challenge
    async with raw_http(mcp_app) as http:
        metadata = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert metadata["resource"] == "http://127.0.0.1:8000/mcp"
    assert metadata["scopes_supported"] == ["bookings:read"]


@pytest.mark.parametrize(
    "make_unusable",
    [
        pytest.param(lambda token: mcp_token_revoke(company=token.company, token=token), id="revoked"),
        pytest.param(
            lambda token: McpToken.objects.filter(pk=token.pk).update(expires_at=clock.now()), id="expired"
        ),
        pytest.param(
            lambda token: type(token.company).objects.update(is_active=False), id="company-inactive"
        ),
    ],
)
async def test_an_unusable_token_is_refused(mcp_app, practice, make_unusable):
    token, secret = mcp_token_create(company=practice, name="soon gone")
    assert (await _status(mcp_app, secret))[0] == 200
    make_unusable(token)
    assert (await _status(mcp_app, secret))[0] == 401


@pytest.mark.parametrize(
    "secret",
    ["", "nonsense", TOKEN_PREFIX, TOKEN_PREFIX + "x" * 43, TOKEN_PREFIX + "x" * 500, "Basic dXNlcjpwYXNz"],
)
async def test_made_up_tokens_are_refused(mcp_app, practice, secret):
    mcp_token_create(company=practice, name="the real one")
    assert (await _status(mcp_app, secret or None))[0] == 401


def test_a_token_is_kept_only_as_its_hash(practice):
    token, secret = mcp_token_create(company=practice, name="front desk")
    assert secret.startswith(TOKEN_PREFIX) and len(secret) > 50
    stored = McpToken.objects.get(pk=token.pk)
    assert secret not in {stored.key_hash, stored.prefix, stored.name} and secret.startswith(stored.prefix)
    assert mcp_token_verify(secret) == token


def test_last_use_is_written_at_most_once_a_minute(practice, pinned_clock):
    token, secret = mcp_token_create(company=practice, name="front desk")
    mcp_token_verify(secret)
    first = McpToken.objects.get(pk=token.pk).last_used_at
    pinned_clock.move_to(timeline.now() + timedelta(seconds=30))
    mcp_token_verify(secret)
    assert McpToken.objects.get(pk=token.pk).last_used_at == first == timeline.now() - timedelta(seconds=30)
    pinned_clock.move_to(timeline.now() + timedelta(seconds=31))
    mcp_token_verify(secret)
    assert McpToken.objects.get(pk=token.pk).last_used_at == timeline.now()


@pytest.mark.parametrize("mode", ERAS)
async def test_a_read_only_token_looks_but_cannot_book_move_or_cancel(mcp_app, practice, sandbox, mode):
    secret = mcp_token_create(company=practice, name="reader", can_write=False)[1]
    berlin = practice.branches.get(name="Berlin").pk
    async with agent(mcp_app, secret, mode) as client:
        looked = await client.call_tool("check_availability", {"branch_id": berlin})
        attempts = [
            await client.call_tool(
                "book_appointment",
                {
                    "branch_id": berlin,
                    "start": f"{timeline.booking_day().isoformat()}T10:00",
                    "name": "Jana",
                    "phone": "+4915112345678",
                    "idempotency_key": "reader-0001",
                },
            ),
            await client.call_tool(
                "cancel_appointment", {"appointment_id": "apt_1_abcdefghij", "idempotency_key": "reader-0002"}
            ),
        ]
    assert not looked.is_error
    assert all(a.is_error and "may only look" in a.content[0].text for a in attempts)
    assert sandbox.bookings.all() == [] and Appointment.objects.count() == 0


async def test_tool_calls_are_limited_per_token(mcp_app, practice, token, settings):
    settings.MCP_RATE_LIMIT = 2
    other = mcp_token_create(company=practice, name="second agent")[1]
    async with agent(mcp_app, token) as client:
        answers = [await client.call_tool("find_appointments", {"phone": "+4915112345678"}) for _ in range(3)]
    async with agent(mcp_app, other) as client:
        others = await client.call_tool("find_appointments", {"phone": "+4915112345678"})
    assert [a.is_error for a in answers] == [False, False, True]
    assert "Too many requests with this token. Try again in" in answers[2].content[0].text
    assert not others.is_error  # the limit is the token's, not the company's


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 421),
        ({"Host": "127.0.0.1.evil.example"}, 421),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({}, 200),  # agents are no browsers: no Origin is fine
    ],
)
async def test_host_and_origin_are_checked_before_anything_else(mcp_app, token, headers, status):
    assert (await _status(mcp_app, token, headers))[0] == status


async def test_allowed_hosts_and_origins_come_from_settings(settings, token):
    settings.MCP_ALLOWED_HOSTS = ["mcp.askpro.example"]
    settings.MCP_ALLOWED_ORIGINS = ["https://inspector.askpro.example"]
    app = mcp_http_app()
    async with server.session_manager.run():
        allowed = {"Host": "mcp.askpro.example", "Origin": "https://inspector.askpro.example"}
        assert (await _status(app, token, allowed))[0] == 200
        assert (await _status(app, token, {"Host": "127.0.0.1:8000"}))[0] == 421


def test_create_mcp_token_prints_a_working_token(practice, capsys):
    call_command("create_mcp_token", "--company", practice.slug, "--read-only", "--expires-days", "30")
    printed = capsys.readouterr()
    token = mcp_token_verify(printed.out.strip())
    assert token.company == practice and token.can_write is False
    assert token.expires_at == timeline.now() + timedelta(days=30)
    assert "shown only now" in printed.err and "/mcp" in printed.err


@pytest.mark.parametrize("arguments", [["--company", "nobody"], ["--company", "nord", "--expires-days", "0"]])
def test_create_mcp_token_refuses_what_it_cannot_do(practice, arguments):
    with pytest.raises(CommandError):
        call_command("create_mcp_token", *arguments)
    assert McpToken.objects.count() == 0
