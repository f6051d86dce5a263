"""Retell's inbound-call webhook: variables for the agent before the call is answered.

POST /api/retell/inbound/<company webhook key>, signed (contract §4.2). The caller hears ringing
until we answer, so this is a few indexed reads; an unknown or inactive number still gets a valid
2xx answer, so no call is ever dropped because of us. All values are strings.
"""

import logging

from django.core.exceptions import ValidationError

from askpro.queues import enqueue
from booking.selectors import customer_by_phone, upcoming_appointments_for_phone
from booking.services import phone_only_bookable
from companies.services_offered import services_of
from companies.validators import normalize_e164
from core import clock
from core.wording import spoken_day, spoken_when
from telephony.live_context import live_context

logger = logging.getLogger(__name__)


def inbound_variables(company, inbound: dict) -> dict[str, str]:
    ctx = live_context(
        company,
        {
            "direction": "inbound",
            "from_number": inbound.get("from_number", ""),
            "to_number": inbound.get("to_number", ""),
        },
    )
    today = clock.today_in(ctx.tz)
    variables = {
        "company_name": company.name,
        "branch_name": ctx.branch.name if ctx.branch else "",
        "branch_timezone": str(ctx.tz),
        "language": ctx.language,
        "today": today.isoformat(),
        "today_spoken": spoken_day(today, ctx.language),
        "weekday": spoken_day(today, ctx.language).split(",")[0],
        "line_active": "true" if ctx.branch else "false",
        # "true": ask the caller for an email before booking (the event type requires one);
        # "" when not known yet (the event types are not cached; Cal.com is not asked here).
        "email_required": _email_required(ctx),
        # What the branch offers, in the call's language ("" for a branch with one event type).
        "services": ", ".join(s.name_in(ctx.language) for s in services_of(ctx.branch)) if ctx.branch else "",
        **_caller_variables(ctx),
    }
    if ctx.branch is not None:
        _prefetch_availability(ctx)
    return {key: str(value) for key, value in variables.items()}


def _prefetch_availability(ctx) -> None:
    """The caller will ask for a time: fetch the branch's free days while the phone rings, so
    the first check_availability is answered from the cache. A queue that cannot take the task
    costs the caller nothing."""
    try:
        enqueue("booking.tasks.prefetch_availability", ctx.company.pk, ctx.branch.pk, queue="bookings")
    except Exception:
        logger.warning(
            "could not queue the availability prefetch for branch %s", ctx.branch.pk, exc_info=True
        )


def _email_required(ctx) -> str:
    if ctx.branch is None:
        return ""
    bookable = phone_only_bookable(company=ctx.company, branch=ctx.branch, ask=False)
    return "" if bookable is None else ("false" if bookable else "true")


def _caller_variables(ctx) -> dict[str, str]:
    try:
        phone = normalize_e164(ctx.caller_phone) if ctx.caller_phone else ""
    except ValidationError:
        phone = ""
    customer = customer_by_phone(company=ctx.company, phone=phone) if phone else None
    upcoming = upcoming_appointments_for_phone(company=ctx.company, phone=phone, limit=1)
    return {
        "caller_known": "true" if customer else "false",
        "caller_name": customer.name if customer else "",
        "next_appointment": spoken_when(ctx.local(upcoming[0].start), ctx.language) if upcoming else "",
    }
