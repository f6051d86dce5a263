"""Around every tool call: who is asking, whether they may, how often, and how it ended.

A tool body runs inside `tool_call(...)`, which hands it the company of the verified token and
turns whatever goes wrong into a ToolError an agent can act on (mcp_api.answers); what it writes
is the token's in the audit trail. Each call is counted and timed (/metrics) and logged with
company, tool and outcome, never with arguments: they carry callers' names and numbers.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import close_old_connections
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from askpro import metrics
from audit.actors import Actor, acting_as, mcp_token
from booking.errors import BookingError
from companies.models import Company
from integrations.ratelimit import rate_limit_hit
from mcp_api import answers
from mcp_api.models import WRITE_SCOPE

logger = logging.getLogger(__name__)


@contextmanager
def tool_call(tool: str, *, writes: bool = False) -> Iterator[Company]:
    started, outcome = time.perf_counter(), "ok"
    # Tools run on worker threads, outside Django's request cycle: connections are looked
    # after here as a request would (CONN_MAX_AGE, broken connections).
    close_old_connections()
    try:
        with acting_as(_agent()):
            yield _allowed_company(tool, writes=writes)
    except _Refused as refused:
        outcome = refused.outcome
        raise ToolError(refused.text) from None
    except BookingError as error:
        outcome = str(error.error_type)
        raise ToolError(answers.failure_text(error)) from None
    except Exception:
        outcome = "exception"
        logger.exception("MCP tool %s failed", tool)
        raise ToolError(answers.UNEXPECTED) from None
    finally:
        elapsed = time.perf_counter() - started
        metrics.mcp_tool_calls_total.labels(tool, outcome).inc()
        metrics.mcp_tool_duration_seconds.labels(tool).observe(elapsed)
        token = get_access_token()
        logger.info(
            "MCP tool %s company %s token %s: %s in %.0f ms",
            tool,
            token.client_id if token else "-",
            token.subject if token else "-",
            outcome,
            elapsed * 1000,
        )
        close_old_connections()


class _Refused(Exception):
    def __init__(self, outcome: str, text: str):
        super().__init__(text)
        self.outcome, self.text = outcome, text


def _agent() -> Actor:
    """The verified token, as the audit trail names it (its prefix and name, never the secret)."""
    claims = (token.claims if (token := get_access_token()) else None) or {}
    return mcp_token(str(claims.get("prefix", "")), str(claims.get("name", "")))


def _allowed_company(tool: str, *, writes: bool) -> Company:
    """The token's company, if the token may make this call now."""
    token = get_access_token()
    if token is None:  # the transport authenticates every request; this is a second lock
        raise _Refused("unauthenticated", "Not authenticated.")
    if writes and WRITE_SCOPE not in token.scopes:
        raise _Refused("read_only", answers.READ_ONLY)
    decision = rate_limit_hit(f"mcp:token:{token.subject}", limit=settings.MCP_RATE_LIMIT)
    if not decision.allowed:
        raise _Refused("rate_limited", answers.busy_text(decision.retry_after))
    company = Company.objects.filter(pk=int(token.client_id), is_active=True).first()
    if company is None:
        raise _Refused("unauthenticated", "Not authenticated.")
    return company
