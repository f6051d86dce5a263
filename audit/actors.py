"""Who is acting right now: set once where a request or job enters, read wherever a write is audited.

An entry point (the admin's middleware, the Retell and Cal.com webhook views, the MCP endpoint, a
management command, a task) wraps its work in `acting_as(...)`; services never take an actor
argument, so no signature had to change for the audit trail and none can forget to pass one.
Outside every entry point the actor is the system itself (schedules, shells, tests).

A worker knows the id of the row it works on, not yet the row: its actor's `ref` may be a column
of that row (`row_ref`: the row's call id or delivery key), which the entry's own INSERT reads,
so an event that records nothing costs no read for it and one that does costs no extra
statement (#15).
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.rows import ColumnOf

REF_LENGTH = 100  # AuditEntry.actor_ref


class ActorKind(models.TextChoices):
    STAFF = "staff", _("staff member")
    RETELL_CALL = "retell_call", _("Retell call")
    MCP_TOKEN = "mcp_token", _("MCP token")
    CALCOM_WEBHOOK = "calcom_webhook", _("Cal.com webhook")
    OPERATOR = "operator", _("operator command")
    SYSTEM = "system", _("system")


@dataclass(frozen=True)
class Actor:
    kind: str
    # A stable id: user pk, Retell call id, token prefix, Cal.com delivery key; or a `row_ref`
    # that reads one when the entry is written (see above).
    ref: str | ColumnOf = ""
    label: str = ""  # what a reader recognises: username, token name, command name (never a secret)


SYSTEM = Actor(ActorKind.SYSTEM, "", "system")

_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def row_ref(model, name: str, pk) -> ColumnOf:
    """An actor's ref read from the row the work is about when an entry is written ("" if the
    row is gone meanwhile: the write it records still goes through)."""
    return ColumnOf(model, name, pk, length=REF_LENGTH)


def staff(user) -> Actor:
    return Actor(ActorKind.STAFF, str(user.pk), user.get_username())


def retell_call(call_id: str | ColumnOf) -> Actor:
    return Actor(ActorKind.RETELL_CALL, call_id, "")


def mcp_token(prefix: str, name: str) -> Actor:
    return Actor(ActorKind.MCP_TOKEN, prefix, name)


def calcom_webhook(delivery_key: str | ColumnOf) -> Actor:
    return Actor(ActorKind.CALCOM_WEBHOOK, delivery_key, "")


def operator(command: str) -> Actor:
    return Actor(ActorKind.OPERATOR, "", command)
