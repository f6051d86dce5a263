"""Making, checking and revoking MCP access tokens. The company an agent acts for comes from
here only: from the verified token, never from anything the agent sends."""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from audit.actions import Action
from audit.trail import record
from companies.models import Company
from core import clock
from mcp_api.models import McpToken

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "askpro_mcp_"  # noqa: S105  (a label, not a secret)
_SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6  # enough to tell a company's tokens apart
_TOUCH_EVERY = timedelta(minutes=1)  # last-used time: one write a minute per token, not per call
_LONGEST_TOKEN = 200  # anything longer is not ours; refused before hashing


def mcp_token_create(
    *,
    company: Company,
    name: str,
    can_write: bool = True,
    expires_at: datetime | None = None,
    created_by=None,
) -> tuple[McpToken, str]:
    """A new token for `company`; returns the row and the token, which is never shown again."""
    token = McpToken(company=company, name=name, can_write=can_write, expires_at=expires_at)
    return token, mcp_token_issue(token, created_by=created_by)


def mcp_token_issue(token: McpToken, *, created_by=None) -> str:
    """Give an unsaved token (company, name, rights and expiry set, as admin's form leaves it)
    its secret and save it; returns the secret, which is never shown again."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.name = token.name.strip()[:100] or "MCP client"
    token.prefix, token.key_hash, token.created_by = plain[:_SHOWN_CHARACTERS], _digest(plain), created_by
    with transaction.atomic():
        token.save()
        record(Action.TOKEN_CREATE, company=token.company_id, obj=token, changes=_rights(token))
    logger.info("MCP token %s made for company %s (write=%s)", token.pk, token.company_id, token.can_write)
    return plain


def mcp_token_revoke(*, company: Company, token: McpToken) -> bool:
    """Stop `token` working at once; False if it was not the company's or already revoked."""
    now = clock.now()
    with transaction.atomic():
        revoked = McpToken.objects.filter(pk=token.pk, company=company, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if revoked:
            record(Action.TOKEN_REVOKE, company=company, obj=token, changes={"revoked_at": (None, now)})
    if revoked:
        logger.info("MCP token %s of company %s revoked", token.pk, company.pk)
    return bool(revoked)


def mcp_token_verify(plain: str) -> McpToken | None:
    """The usable token behind `plain` (not revoked, not expired, of an active company), with
    its company loaded; None for anything else."""
    if not isinstance(plain, str) or not plain.startswith(TOKEN_PREFIX) or len(plain) > _LONGEST_TOKEN:
        return None
    token = McpToken.objects.select_related("company").filter(key_hash=_digest(plain)).first()
    if token is None or not token.is_usable or not token.company.is_active:
        return None
    _touch(token, clock.now())
    return token


def _touch(token: McpToken, now: datetime) -> None:
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - _TOUCH_EVERY)
    if McpToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
        token.last_used_at = now


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _rights(token: McpToken) -> dict:
    """What a new token may do, for the audit trail (the token is the entry's object; its
    secret is nowhere)."""
    return {"can_write": (None, token.can_write), "expires_at": (None, token.expires_at)}
