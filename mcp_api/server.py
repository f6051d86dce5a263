"""The MCP server: one `MCPServer` of the official SDK, its bearer-token check, and the HTTP app
that serves it at /mcp (Streamable HTTP, stateless, JSON answers: any worker process answers
any request, for clients of the handshake era and of 2026-07-28 alike).

Tokens are the company's MCP tokens (mcp_api.tokens). The SDK answers a request without a
valid token with 401 and a pointer to /.well-known/oauth-protected-resource/mcp, and checks
Host and Origin before anything else (421 and 403).
"""

from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from mcp.server import MCPServer
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette

from mcp_api.models import READ_SCOPE
from mcp_api.paths import MCP_PATH
from mcp_api.tokens import mcp_token_verify
from mcp_api.tools import TOOLS

INSTRUCTIONS = """\
Books, moves and cancels appointments at the branches of one practice (the company your token \
belongs to). Start with list_branches. Look for free times with check_availability or \
find_alternatives before booking. Times you send are ISO 8601: with an offset \
(2026-12-08T10:00:00+01:00) or as a local date and time (2026-12-08T10:00), which is read in the \
branch's time zone unless you pass `timezone`. Times you get back carry utc, local and timezone: \
tell people the local one. Every booking, move and cancellation takes an idempotency_key: send \
the same key again when you retry the same request (you get the first result), a new key for a \
new request."""


class CompanyTokenVerifier:
    """The SDK's TokenVerifier for our tokens: the company is the client, the token the subject."""

    async def verify_token(self, token: str) -> AccessToken | None:
        found = await sync_to_async(_verify, thread_sensitive=False)(token)
        if found is None:
            return None
        expires = int(found.expires_at.timestamp()) if found.expires_at else None
        return AccessToken(
            token=token,
            client_id=str(found.company_id),
            subject=str(found.pk),
            scopes=found.scopes,
            expires_at=expires,
            # Who acts, for the audit trail (mcp_api.calls): the token as staff know it in admin.
            claims={"prefix": found.prefix, "name": found.name},
        )


def _verify(token: str):
    close_old_connections()
    try:
        return mcp_token_verify(token)
    finally:
        close_old_connections()


def _public_url(path: str = "") -> AnyHttpUrl:
    return AnyHttpUrl(settings.PUBLIC_BASE_URL.rstrip("/") + path)


server = MCPServer(
    "askpro",
    version="1.0",
    title="AskPro appointments",
    instructions=INSTRUCTIONS,
    tools=TOOLS,
    token_verifier=CompanyTokenVerifier(),
    auth=AuthSettings(
        # No authorization server of our own yet: tokens are issued in admin. The metadata
        # still tells clients what this resource is and which scopes exist.
        issuer_url=_public_url(),
        resource_server_url=_public_url(MCP_PATH),
        required_scopes=[READ_SCOPE],
        validate_token_resource=False,
    ),
)


def mcp_http_app() -> Starlette:
    """A new HTTP app for `server` (each has its own session manager, which must run: the app's
    lifespan, or `server.session_manager.run()`)."""
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            allowed_hosts=allowed_hosts(), allowed_origins=list(settings.MCP_ALLOWED_ORIGINS)
        ),
    )


def allowed_hosts() -> list[str]:
    """MCP_ALLOWED_HOSTS, or the exact names of ALLOWED_HOSTS and PUBLIC_BASE_URL, any port.
    (Django's wildcards, "*" and ".example.com", have no equivalent here: name hosts instead.)"""
    if settings.MCP_ALLOWED_HOSTS:
        return list(settings.MCP_ALLOWED_HOSTS)
    names = {h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")}
    names.add(urlsplit(settings.PUBLIC_BASE_URL).hostname or "127.0.0.1")
    return sorted(pattern for name in names for pattern in (name, f"{name}:*"))
