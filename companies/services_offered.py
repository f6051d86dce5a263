"""Which of a branch's services a caller means, from the words they (or the agent) used: the one
rule, used by live calls, post-call processing and the MCP tools alike."""

import re

from django.core.cache import cache

from companies.models import Branch, Service


def services_of(branch: Branch) -> list[Service]:
    """The branch's active services. Every booking and live call asks (which service, which
    event types to forget), and they change only in admin: kept on the Branch object for the
    rest of its request, and in the shared cache until a service of the branch is saved or
    deleted (services_forget, companies.apps) (#15)."""
    offered = branch.__dict__.get(_OFFERED)
    if offered is None:
        offered = cache.get(_cache_key(branch.pk))
        if offered is None:
            offered = list(branch.services.filter(is_active=True).order_by("name_de"))
            cache.set(_cache_key(branch.pk), offered, SERVICES_TTL)
        branch.__dict__[_OFFERED] = offered
    return offered


def services_forget(branch_id: int) -> None:
    cache.delete(_cache_key(branch_id))


_OFFERED = "_services_offered"
SERVICES_TTL = 10 * 60  # a safety net: a change through admin forgets the branch's list at once


def _cache_key(branch_id: int) -> str:
    return f"branch-services:{branch_id}"


def service_named(branch: Branch, said: str) -> Service | None:
    """The active service of `branch` whose name or synonym `said` is (or contains as a word):
    "Beratung", "eine Beratung bitte", "cleaning". None when no service matches, or several do
    equally well (the caller is asked which)."""
    text = _normalised(said)
    if not text:
        return None
    offered = services_of(branch)
    exact = [service for service in offered if text in service.names()]
    if len(exact) == 1:
        return exact[0]
    words = set(text.split())
    mentioned = [
        service for service in offered if any(_contains(text, words, name) for name in service.names())
    ]
    return mentioned[0] if len(mentioned) == 1 else None


def service_event_type(branch: Branch, said: str) -> int | None:
    """The event type of the service `said` names; None when it names none of the branch's."""
    service = service_named(branch, said)
    return service.calcom_event_type_id if service else None


def _normalised(said: str) -> str:
    return re.sub(r"[^\w\s-]", " ", str(said or "").lower()).strip()


def _contains(text: str, words: set[str], name: str) -> bool:
    return name in words or (" " in name and name in text)


def event_type_ids_of(branch: Branch) -> set[int]:
    """Every Cal.com event type the branch books in: its own and its services'. They usually
    share hosts, so a booking in one takes the slot in the others too."""
    ids = {service.calcom_event_type_id for service in services_of(branch)}
    return ids | ({branch.calcom_event_type_id} if branch.calcom_event_type_id else set())
