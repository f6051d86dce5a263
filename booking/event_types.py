"""Cal.com event types of a company: personal ones and those of the teams its branches use."""

from dataclasses import asdict

from booking import cache
from booking.calendar import EventType, calendar_for
from booking.errors import BookingError, ErrorType, calendar_failures
from booking.scope import own_branch
from companies.models import Branch, Company


def event_types_list(*, company: Company) -> list[EventType]:
    """Personal and team event types (teams named on the company's branches); cached 5 min."""
    cached = cache.event_types_get(company.pk)
    if cached is not None:
        return [EventType(**summary) for summary in cached]
    team_ids = sorted(
        set(company.branches.filter(calcom_team_id__isnull=False).values_list("calcom_team_id", flat=True))
    )
    with calendar_failures(ErrorType.CONFIGURATION):
        found = calendar_for(company).event_types(team_ids=team_ids)
    cache.event_types_set(company.pk, [asdict(event_type) for event_type in found])
    return found


def event_type_check(*, company: Company, branch: Branch) -> EventType:
    """The branch's event type, if the company's key can see it; CONFIGURATION otherwise."""
    event_type_id = own_branch(company=company, branch=branch).calcom_event_type_id
    if not event_type_id:
        raise BookingError(ErrorType.CONFIGURATION, "The branch has no Cal.com event type id.")
    match = next((e for e in event_types_list(company=company) if e.id == event_type_id), None)
    if match is None:
        hint = " (is the team id set on the branch?)" if not branch.calcom_team_id else "."
        raise BookingError(
            ErrorType.CONFIGURATION,
            f"Event type {event_type_id} is not among the company's Cal.com event types{hint}",
        )
    return match


def phone_only_bookable(
    *, company: Company, branch: Branch, ask: bool = True, event_type_id: int | None = None
) -> bool | None:
    """Whether a caller who gives only a phone number can be booked in the branch's event type:
    it collects a phone and does not require an email (Cal.com's default event type does). From
    the cached event types; with `ask=False` (the inbound webhook, which must answer at once)
    Cal.com is not asked on a miss. None: not known now (no event type, Cal.com unreachable)."""
    event_type_id = event_type_id or branch.calcom_event_type_id  # a service's, or the branch's
    if not event_type_id:
        return None
    cached = cache.event_types_get(company.pk)
    try:
        known = (
            [EventType(**summary) for summary in cached]
            if cached is not None
            else event_types_list(company=company)
            if ask
            else []
        )
    except BookingError:
        return None
    match = next((e for e in known if e.id == event_type_id), None)
    return match.phone_only_bookable if match else None
