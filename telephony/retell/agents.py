"""Is each Retell agent sending its webhooks to us, and what staff paste into Retell.

An agent-level `webhook_url` overrides the workspace webhook for that agent, and `webhook_events`
picks the events; unset means call_started, call_ended, call_analyzed (contract §1.1). Retell's
update-agent edits the agent's latest *draft*: the change reaches live calls once the draft is
published, or for numbers bound to the latest version (contract §6.2, §8.15).
"""

from dataclasses import dataclass, field

from companies.models import Company, PhoneNumber
from integrations.errors import BadRequest, NotFound
from telephony.events import CALL_EVENTS
from telephony.retell.gateway import retell_agent_get, retell_agent_update, retell_urls
from telephony.retell.tools import FUNCTIONS, tool_definition

# The post-call events telephony stores and processes; any other event is acknowledged and ignored.
WEBHOOK_EVENTS = CALL_EVENTS
# Retell's default per-agent webhook timeout (contract §1.1); we acknowledge in milliseconds.
WEBHOOK_TIMEOUT_MS = 10000
# The variables the inbound webhook returns for every call (values are strings, contract §4.2).
DYNAMIC_VARIABLES = (
    "company_name",
    "branch_name",
    "branch_timezone",
    "language",
    "today",
    "weekday",
    "caller_known",
    "caller_name",
    "next_appointment",
    "email_required",
    "services",
)
DRAFT_NOTE = (
    "Retell applied this to the agent's draft version{version}; publish the agent in Retell "
    "(or bind its numbers to the latest version) before live calls use it."
)


@dataclass
class AgentCheck:
    """One agent's webhook configuration compared with ours."""

    agent_id: str
    agent_name: str = ""
    numbers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # wrong: we would miss events
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing to fix
    fixed: bool = False
    error: str = ""  # we could not read or fix the agent

    @property
    def ok(self) -> bool:
        return not self.error and (self.fixed or not self.problems)

    def describe(self) -> str:
        name = f"{self.agent_name} ({self.agent_id})" if self.agent_name else self.agent_id
        if self.error:
            status = f"ERROR: {self.error}"
        elif self.fixed:
            status = "FIXED: " + "; ".join(self.problems)
        elif self.problems:
            status = "WRONG: " + "; ".join(self.problems)
        else:
            status = "OK"
        lines = [f"{name}: {status}", *(f"  note: {note}" for note in self.notes)]
        return "\n".join(lines)


def webhook_configuration_validate(*, company: Company, fix: bool = False) -> list[AgentCheck]:
    """Check every agent the company's numbers route to; with `fix`, PATCH the ones that differ.

    Agents are read fresh (the cache would hide a change staff just made in Retell). An agent
    Retell does not know is reported on its own check; a refused key or an outage raises
    (`RetellNotConfigured` or an `IntegrationError`), since every other agent would fail alike.
    """
    webhook_url = retell_urls(company=company).webhook
    checks = []
    for agent_id, numbers in _agents_of_numbers(company).items():
        check = AgentCheck(agent_id=agent_id, numbers=numbers)
        checks.append(check)
        try:
            agent = retell_agent_get(company=company, agent_id=agent_id, use_cache=False)
        except (NotFound, BadRequest) as exc:
            check.error = f"Retell does not know this agent for the company's key ({exc.message})"
            continue
        check.agent_name = agent.get("agent_name") or ""
        check.problems, check.notes = _compare(agent, webhook_url)
        if fix and check.problems:
            _fix(company, check, webhook_url)
    return checks


def _agents_of_numbers(company: Company) -> dict[str, list[str]]:
    """Agent id -> the company's numbers routing to it, in a stable order."""
    agents: dict[str, list[str]] = {}
    for number, agent_ids in PhoneNumber.objects.filter(company=company).values_list(
        "number", "inbound_agent_ids"
    ):
        for agent_id in agent_ids or []:
            if isinstance(agent_id, str) and agent_id:
                agents.setdefault(agent_id, []).append(number)
    return dict(sorted(agents.items()))


def _compare(agent: dict, webhook_url: str) -> tuple[list[str], list[str]]:
    problems, notes = [], []
    current_url = agent.get("webhook_url")
    if current_url != webhook_url:
        shown = current_url or "not set (the workspace webhook applies)"
        problems.append(f"webhook_url is {shown}, expected {webhook_url}")
    events = agent.get("webhook_events")
    if events is not None:  # None: Retell's default, exactly the three we need
        events = [event for event in events if isinstance(event, str)] if isinstance(events, list) else []
        lacking = [event for event in WEBHOOK_EVENTS if event not in events]
        if lacking:
            problems.append("webhook_events lack " + ", ".join(lacking))
        extra = sorted(set(events) - set(WEBHOOK_EVENTS))
        if extra:
            notes.append("also subscribed to " + ", ".join(extra) + ", which we acknowledge and ignore")
    return problems, notes


def _fix(company: Company, check: AgentCheck, webhook_url: str) -> None:
    """Send both fields, so the agent ends up with exactly our URL and our three events."""
    try:
        updated = retell_agent_update(
            company=company,
            agent_id=check.agent_id,
            webhook_url=webhook_url,
            webhook_events=list(WEBHOOK_EVENTS),
        )
    except (NotFound, BadRequest) as exc:
        check.error = f"Retell refused the update ({exc.message})"
        return
    still_wrong, _notes = _compare(updated, webhook_url)
    if still_wrong:
        check.error = "Retell accepted the update but still reports: " + "; ".join(still_wrong)
        return
    check.fixed = True
    version = updated.get("version")
    check.notes.append(DRAFT_NOTE.format(version=f" ({version})" if version is not None else ""))


def retell_setup(*, company: Company, base_url: str | None = None) -> dict:
    """Everything staff paste into Retell for this company, as one JSON-ready dict."""
    urls = retell_urls(company=company, base_url=base_url)
    return {
        "company": company.slug,
        "inbound_webhook_url": urls.inbound,
        "webhook_url": urls.webhook,
        "webhook_events": list(WEBHOOK_EVENTS),
        "functions_url": urls.functions,
        "timeouts": {
            "webhook_timeout_ms": WEBHOOK_TIMEOUT_MS,
            "inbound_webhook_ms": 10000,  # fixed by Retell, not configurable (contract §4.2)
            "tools_ms": {name: spec["timeout_ms"] for name, spec in FUNCTIONS.items()},
        },
        "dynamic_variables": list(DYNAMIC_VARIABLES),
        "tools": [tool_definition(name, urls.functions) for name in FUNCTIONS],
    }
