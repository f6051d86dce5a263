"""How services reach a company's Retell workspace: its client behind the shared breaker, its
agents (cached), what staff read when Retell fails, and the URLs Retell reaches us at.

Retell is reached like Cal.com (booking/calendar/calcom.py), through an
`integrations.resilience.Gateway`: reads go through the "retell" circuit breaker and are retried
(1 s, 2 s, 4 s with jitter; 429 waits for Retry-After); writes go through the breaker only, so a
staff action never repeats a PATCH behind their back.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from askpro import metrics
from companies.crypto import SecretUnusable, reveal_required
from companies.models import Company
from integrations.breaker import breaker_for
from integrations.errors import AuthError, CircuitOpen, IntegrationError, RateLimited, TransientError
from integrations.resilience import Gateway
from integrations.retell.client import RetellClient

logger = logging.getLogger(__name__)

AGENT_TTL = 10 * 60  # DESIGN.md "Resilience parameters": Retell agents 10 min


class RetellNotConfigured(Exception):
    """The company has no usable Retell API key (none stored, or it cannot be decrypted)."""


# -- gateway ------------------------------------------------------------------------------------


def retell_gateway(company: Company) -> Gateway:
    """The company's Retell client (its key decrypted once) behind the "retell" breaker."""
    try:
        api_key = reveal_required(company.retell_api_key, what="Retell API key")
        client = RetellClient(api_key=api_key, base_url=settings.RETELL_BASE_URL)
    except SecretUnusable as exc:
        raise RetellNotConfigured(str(exc)) from exc
    except ValueError as exc:
        raise RetellNotConfigured("The stored Retell API key is malformed.") from exc
    return Gateway(client, breaker_for("retell"))


def _agent_key(company_id: int, agent_id: str) -> str:
    return f"retell-agent:{company_id}:{agent_id}"


def retell_agent_get(*, company: Company, agent_id: str, use_cache: bool = True) -> dict:
    """The full agent (latest version), cached 10 min per company; `use_cache=False` re-reads it."""
    key = _agent_key(company.pk, agent_id)
    if use_cache:
        cached = cache.get(key)
        metrics.cache_counted("retell_agent", cached)
        if cached is not None:
            return cached
    agent = retell_gateway(company).read("get_agent", agent_id)
    cache.set(key, agent, AGENT_TTL)
    return agent


def retell_agent_update(*, company: Company, agent_id: str, **fields) -> dict:
    """PATCH the agent's draft (contract §6.2) and drop its cached copy, even if the PATCH failed:
    a timeout may still have changed it."""
    try:
        return retell_gateway(company).write("update_agent", agent_id, **fields)
    finally:
        cache.delete(_agent_key(company.pk, agent_id))


def retell_failure_message(exc: RetellNotConfigured | IntegrationError) -> str:
    """What staff read when a Retell call fails; never Retell's own text for key problems."""
    if isinstance(exc, AuthError):
        return "Retell refused the company's API key."
    if isinstance(exc, CircuitOpen | TransientError | RateLimited):
        return "Retell unavailable; try again in a few minutes."
    if isinstance(exc, IntegrationError):
        return f"Retell: {exc.message}"
    return str(exc)


# -- our URLs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetellUrls:
    """Where Retell reaches this company (the webhook key in the path identifies it)."""

    webhook: str
    inbound: str
    functions: str


def retell_urls(*, company: Company, base_url: str | None = None) -> RetellUrls:
    root = (base_url or settings.PUBLIC_BASE_URL).rstrip("/") + "/api/retell"
    key = company.webhook_key
    return RetellUrls(
        webhook=f"{root}/webhook/{key}", inbound=f"{root}/inbound/{key}", functions=f"{root}/functions/{key}"
    )
