"""Cal.com event types of a company: personal ones and those of the teams its branches use."""

from booking import cache
from booking.calcom import calcom_read
from booking.results import ErrorType, ServiceError, failure_from, ok
from companies.models import Branch, Company
from integrations.errors import IntegrationError


def _summary(event_type: dict, team_id: int | None) -> dict:
    return {
        "id": event_type.get("id"),
        "title": event_type.get("title", ""),
        "slug": event_type.get("slug", ""),
        "length": event_type.get("lengthInMinutes"),
        "team_id": event_type.get("teamId", team_id),
        "hidden": bool(event_type.get("hidden", False)),
        "booking_window": event_type.get("bookingWindow") or None,
    }


def event_types_for_company(*, company: Company) -> list[dict]:
    """Personal and team event types (teams named on the company's branches); cached 5 min."""
    cached = cache.event_types_get(company.pk)
    if cached is not None:
        return cached
    found = [_summary(e, None) for e in calcom_read(company, "list_event_types")]
    team_ids = sorted(
        set(
            Branch.objects.filter(company=company, calcom_team_id__isnull=False).values_list(
                "calcom_team_id", flat=True
            )
        )
    )
    for team_id in team_ids:
        found += [_summary(e, team_id) for e in calcom_read(company, "list_team_event_types", team_id)]
    cache.event_types_set(company.pk, found)
    return found


def event_type_check(*, branch: Branch) -> dict:
    """Does the branch's event type exist for the company's key? Its title and length if so."""
    if not branch.calcom_event_type_id:
        return ServiceError(ErrorType.CONFIGURATION, "The branch has no Cal.com event type id.").result
    try:
        listed = event_types_for_company(company=branch.company)
    except ServiceError as exc:
        return exc.result
    except IntegrationError as exc:
        return failure_from(exc, otherwise=ErrorType.CONFIGURATION)
    match = next((e for e in listed if e["id"] == branch.calcom_event_type_id), None)
    if match is None:
        return ServiceError(
            ErrorType.CONFIGURATION,
            f"Event type {branch.calcom_event_type_id} is not among the company's Cal.com event types"
            + (" (is the team id set on the branch?)" if not branch.calcom_team_id else "."),
        ).result
    return ok(event_type=match, message=f"{match['title']} ({match['length']} min)")
