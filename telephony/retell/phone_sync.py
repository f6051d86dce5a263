"""Phone numbers from a company's Retell workspace.

Numbers are imported, never deleted: a number Retell no longer lists is reported as missing and
left for staff to deactivate, because calls may still be on their way to it.
Reference: shared/contracts/retell-api.md §6.2 (list-phone-numbers), §6.3 (`inbound_agents`).
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from companies.models import Company, PhoneNumber
from companies.validators import normalize_e164
from telephony.retell.gateway import retell_gateway, retell_urls

logger = logging.getLogger(__name__)
NICKNAME_MAX = PhoneNumber._meta.get_field("nickname").max_length


@dataclass
class SyncReport:
    """E.164 numbers by what the sync did (or, with dry_run, would do) with them."""

    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Ours, but Retell no longer lists them: kept, for staff to deactivate.
    missing: list[str] = field(default_factory=list)
    # Listed by this company's Retell but stored for another company: left alone.
    conflicts: list[str] = field(default_factory=list)
    # Retell items without a number we can read (raw value, or "" when absent).
    skipped: list[str] = field(default_factory=list)
    # Numbers whose inbound webhook is not our inbound URL: calls get no dynamic variables.
    inbound_webhook_elsewhere: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        parts = [
            f"{len(self.created)} {verb}created (inactive until a branch is assigned)",
            f"{len(self.updated)} {verb}updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.missing)} missing in Retell",
        ]
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} belong to another company (left alone)")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (not a valid number)")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class _RetellNumber:
    number: str
    nickname: str | None  # None: Retell has none, keep ours
    agent_ids: list[str]
    inbound_webhook_url: str | None


def phone_numbers_sync(*, company: Company, dry_run: bool = False) -> SyncReport:
    """Create or update the company's numbers from its Retell workspace.

    New numbers start inactive and without a branch (the model's constraint) until staff assign
    one; existing rows keep their branch and active flag. Retell is asked before the transaction
    opens, so no row lock is held during HTTP.
    """
    items = retell_gateway(company).read("list_phone_numbers")
    report = SyncReport(dry_run=dry_run)
    listed = _parse_numbers(items, report)
    with transaction.atomic():
        _apply(company, listed, report, dry_run=dry_run)
    inbound_url = retell_urls(company=company).inbound
    report.inbound_webhook_elsewhere = [
        n.number for n in listed if n.inbound_webhook_url != inbound_url and n.number not in report.conflicts
    ]
    logger.info("retell phone sync for company %s: %s", company.pk, report.summary())
    return report


def _apply(company: Company, listed: list[_RetellNumber], report: SyncReport, *, dry_run: bool) -> None:
    stored = {
        row.number: row
        for row in PhoneNumber.objects.select_for_update().filter(number__in=[n.number for n in listed])
    }
    for item in listed:
        row = stored.get(item.number)
        if row is None:
            report.created.append(item.number)
            if not dry_run:
                PhoneNumber.objects.create(
                    company=company,
                    number=item.number,
                    nickname=item.nickname or "",
                    inbound_agent_ids=item.agent_ids,
                    is_active=False,
                    branch=None,
                )
        elif row.company_id != company.pk:
            report.conflicts.append(item.number)
        elif changes := _changes(row, item):
            report.updated.append(item.number)
            if not dry_run:
                for name, value in changes.items():
                    setattr(row, name, value)
                row.save(update_fields=[*changes, "updated_at"])
        else:
            report.unchanged.append(item.number)
    report.missing = list(
        PhoneNumber.objects.filter(company=company)
        .exclude(number__in=[n.number for n in listed])
        .order_by("number")
        .values_list("number", flat=True)
    )


def _changes(row: PhoneNumber, item: _RetellNumber) -> dict:
    """Fields Retell owns that differ; branch and is_active are ours and never touched."""
    wanted = {"inbound_agent_ids": item.agent_ids}
    if item.nickname is not None:
        wanted["nickname"] = item.nickname
    return {name: value for name, value in wanted.items() if getattr(row, name) != value}


def _parse_numbers(items: list, report: SyncReport) -> list[_RetellNumber]:
    """Retell's PhoneNumberResponse items as we store them; unreadable ones go to `skipped`."""
    parsed: dict[str, _RetellNumber] = {}
    for item in items:
        raw = item.get("phone_number") if isinstance(item, dict) else None
        try:
            number = normalize_e164(raw) if isinstance(raw, str) else None
        except ValidationError:
            number = None
        if number is None:
            report.skipped.append(raw if isinstance(raw, str) else "")
            continue
        parsed.setdefault(
            number,
            _RetellNumber(
                number=number,
                nickname=_nickname(item),
                agent_ids=_inbound_agent_ids(item),
                inbound_webhook_url=item.get("inbound_webhook_url"),
            ),
        )
    return list(parsed.values())


def _nickname(item: dict) -> str | None:
    nickname = item.get("nickname")
    if not isinstance(nickname, str) or not nickname.strip():
        return None
    return nickname.strip()[:NICKNAME_MAX]


def _inbound_agent_ids(item: dict) -> list[str]:
    """`inbound_agents[*].agent_id` in Retell's order, weights ignored (A/B splits map a number to
    several agents). Old data may still carry the single `inbound_agent_id` that Retell removed
    on 03/31/2026 (contract §6.3): used only when `inbound_agents` is absent."""
    agents = item.get("inbound_agents")
    if not isinstance(agents, list):
        legacy = item.get("inbound_agent_id")
        return [legacy] if isinstance(legacy, str) and legacy else []
    ids: list[str] = []
    for agent in agents:
        agent_id = agent.get("agent_id") if isinstance(agent, dict) else None
        if isinstance(agent_id, str) and agent_id and agent_id not in ids:
            ids.append(agent_id)
    return ids
