"""The set-up check of one company: is everything in place for a caller to be booked? Each
check says what it found and, when something is wrong, how to fix it. It only reads: Cal.com's
event types, Retell's agents and numbers (a dry run of the sync), our own rows."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from booking.calendar import EventType
from booking.services import BookingError, event_types_list
from companies.models import Branch, Company
from companies.services_offered import services_of
from core.public_url import public_url_problem
from integrations.errors import IntegrationError
from telephony.retell.agents import webhook_configuration_validate
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message
from telephony.retell.phone_sync import phone_numbers_sync

OK, WARNING, WRONG = "ok", "warning", "wrong"


@dataclass(frozen=True)
class Check:
    topic: str
    state: str  # OK, WARNING or WRONG
    found: str
    fix: str = ""


def setup_checks(company: Company) -> list[Check]:
    return [
        _public_url(),
        *_calendar(company),
        *_retell(company),
    ]


def _public_url() -> Check:
    topic = _("Public address (PUBLIC_BASE_URL)")
    problem = public_url_problem(settings.PUBLIC_BASE_URL)
    if problem:
        fix = _("Set PUBLIC_BASE_URL to the https address this service is reached at, then check again.")
        return Check(topic, WARNING, problem, fix)
    return Check(topic, OK, settings.PUBLIC_BASE_URL)


def _calendar(company: Company) -> Iterator[Check]:
    topic = _("Cal.com API key")
    if not company.calcom_api_key:
        yield Check(topic, WRONG, _("No key is stored."), _("An owner enters the key on the company page."))
        return
    try:
        event_types = event_types_list(company=company)
    except BookingError as exc:
        fix = _("Create a new API key in Cal.com (Settings, Developer, API keys) and enter it here.")
        yield Check(topic, WRONG, _("Cal.com refused the key: %(reason)s") % {"reason": exc.message}, fix)
        return
    found = _("Cal.com answers; the key sees %(count)d event types.") % {"count": len(event_types)}
    yield Check(topic, OK, found)
    for branch in company.branches.filter(is_active=True).order_by("name"):
        yield _event_type_check(branch, event_types)
        for service in services_of(branch):
            topic = _("Service %(service)s at %(branch)s") % {
                "service": service.name_de,
                "branch": branch.name,
            }
            yield _event_type_check(
                branch, event_types, event_type_id=service.calcom_event_type_id, topic=topic
            )


def _event_type_check(
    branch: Branch, event_types: list[EventType], *, event_type_id: int | None = None, topic: str = ""
) -> Check:
    """The branch's own event type, or (given) a service's: exists, team, booking form."""
    event_type_id = event_type_id or branch.calcom_event_type_id
    topic = topic or _("Event type of %(branch)s") % {"branch": branch.name}
    if not event_type_id:
        return Check(
            topic, WRONG, _("No event type id is set."), _("Enter the Cal.com event type id on the branch.")
        )
    match = next((e for e in event_types if e.id == event_type_id), None)
    if match is None:
        return Check(topic, WRONG, *_not_found(branch, event_type_id, event_types))
    if branch.calcom_team_id and match.team_id != branch.calcom_team_id:
        found = _("%(event)s belongs to team %(team)s, the branch names team %(named)s.") % {
            "event": match.label,
            "team": match.team_id or "-",
            "named": branch.calcom_team_id,
        }
        return Check(topic, WRONG, found, _("Correct the team id on the branch."))
    return _booking_form_check(topic, match)


def _not_found(branch: Branch, event_type_id: int, event_types: list[EventType]) -> tuple[str, str]:
    found = _("Event type %(id)s is not among the %(count)d event types the key sees.") % {
        "id": event_type_id,
        "count": len(event_types),
    }
    if not branch.calcom_team_id:
        return found, _("A team event type needs the team id on the branch; otherwise check the id.")
    return found, _("Check the event type id and the team id on the branch.")


def _booking_form_check(topic: str, event_type: EventType) -> Check:
    found = _("%(event)s exists.") % {"event": event_type.label}
    if event_type.email_required:
        fix = _(
            "Every caller who gives only a phone number will fail to be booked. In Cal.com, make the "
            "booking question 'Email' optional and hidden and add a phone number question."
        )
        return Check(topic, WRONG, found + " " + _("It requires an email address."), fix)
    if event_type.collects_phone is False:
        fix = _("Add a phone number question to the event type's booking form in Cal.com.")
        return Check(topic, WRONG, found + " " + _("It does not collect a phone number."), fix)
    if event_type.phone_only_bookable is None:
        return Check(topic, WARNING, found + " " + _("Cal.com did not show its booking form."))
    return Check(topic, OK, found + " " + _("Callers can be booked with their phone number alone."))


def _retell(company: Company) -> Iterator[Check]:
    topic = _("Retell API key and agents")
    if not company.retell_api_key:
        yield Check(topic, WRONG, _("No key is stored."), _("An owner enters the key on the company page."))
        return
    agents = _asking_retell(lambda: webhook_configuration_validate(company=company))
    if isinstance(agents, Check):
        yield agents
        return
    if not agents:
        fix = _("Assign an inbound agent to the numbers in Retell, then sync the numbers.")
        yield Check(topic, WARNING, _("No number routes to an agent yet."), fix)
    for agent in agents:
        yield _agent_check(company, agent)
    yield _numbers(company)


def _agent_check(company: Company, agent) -> Check:
    topic = _("Agent %(name)s") % {"name": agent.agent_name or agent.agent_id}
    if agent.error:
        return Check(topic, WRONG, _("Retell did not show this agent: %(error)s") % {"error": agent.error})
    numbers = ", ".join(agent.numbers)
    if agent.problems:
        # Retell's own field names, as staff will find them in Retell's dashboard.
        found = _("Answers %(numbers)s, but: %(problems)s") % {
            "numbers": numbers,
            "problems": "; ".join(agent.problems),
        }
        fix = _(
            "Correct the agent's webhook in Retell, or let us: manage.py validate_webhook_configuration "
            "--company %(company)s --fix"
        ) % {"company": company.slug}
        return Check(topic, WRONG, found, fix)
    found = _("Answers %(numbers)s; its call events come to us.") % {"numbers": numbers}
    if agent.notes:
        return Check(topic, WARNING, found + " " + "; ".join(agent.notes))
    return Check(topic, OK, found)


def _numbers(company: Company) -> Check:
    topic = _("Phone numbers")
    report = _asking_retell(lambda: phone_numbers_sync(company=company, dry_run=True))
    if isinstance(report, Check):
        return report
    unassigned = company.phone_numbers.filter(branch__isnull=True).count()
    found = _(
        "In step with Retell: %(same)d. New in Retell: %(new)d. Changed in Retell: %(changed)d. "
        "Gone from Retell: %(gone)d. Without a branch here: %(unassigned)d."
    ) % {
        "same": len(report.unchanged),
        "new": len(report.created),
        "changed": len(report.updated),
        "gone": len(report.missing),
        "unassigned": unassigned,
    }
    if report.conflicts:
        found += " " + _("Numbers stored for another company: %(count)d.") % {"count": len(report.conflicts)}
    if report.created or report.updated or report.missing or report.conflicts or unassigned:
        fix = _("Sync the numbers from Retell (company list, action) and give each a branch.")
        return Check(topic, WARNING, found, fix)
    return Check(topic, OK, found)


def _asking_retell(work: Callable):
    try:
        return work()
    except (RetellNotConfigured, IntegrationError) as exc:
        fix = _("Check the Retell API key (it needs the webhook badge) and try again.")
        return Check(_("Retell API key and agents"), WRONG, retell_failure_message(exc), fix)
