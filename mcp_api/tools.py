"""The tools AI agents call: a few intent-level ones, each a thin adapter over the booking front
door (booking.services), so a tool books, moves and cancels exactly as the live call does.

Each tool takes strict, typed arguments (their JSON Schema is the tool's input schema), runs in
`tool_call` (the token's company, its rights, its rate limit, failures an agent can act on) and
returns a shape from mcp_api.shapes. Descriptions are fixed text, reviewed like code: never
built from tenant data.
"""

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from booking.errors import BookingError, ErrorType
from booking.event_types import event_types_list
from booking.horizon import bookable_days
from booking.models import AppointmentSource
from booking.references import appointment_by_handle
from booking.scope import BOOKABLE_BRANCH
from booking.selectors import upcoming_appointments_of_person
from booking.services import (
    alternatives_find,
    appointment_cancel,
    appointment_reschedule,
    availability_get,
    booking_create,
)
from booking.times import parse_datetime, zone
from companies.models import Branch, Company
from mcp_api.arguments import (
    AppointmentId,
    BranchId,
    CustomerName,
    Email,
    FirstDay,
    IdempotencyKey,
    LastDay,
    MaxResults,
    Notes,
    Phone,
    Reason,
    SearchDays,
    TimeZoneName,
    When,
)
from mcp_api.calls import tool_call
from mcp_api.shapes import (
    NAME_CHARACTERS,
    AppointmentCancelled,
    AppointmentMoved,
    Appointments,
    BookingMade,
    Branches,
    FreeTimes,
    NearbyTimes,
    appointment_info,
    branch_info,
    free_slot,
    nearby_slot,
    plain_text,
)

SLOTS_SHOWN = 100  # a longer list helps no agent; it narrows the dates instead
TOOLS: list[Tool] = []  # what mcp_api.server serves, in this order


def agent_tool(*, title: str, annotations: ToolAnnotations):
    """Register the function as a tool: described by its docstring (one paragraph), and strict:
    an argument the schema does not name is refused, not silently ignored (a misspelt
    `branchId` must not book at the default branch)."""

    def register(fn):
        description = " ".join((fn.__doc__ or "").split())
        tool = Tool.from_function(fn, title=title, description=description, annotations=annotations)
        TOOLS.append(_refusing_unknown_arguments(tool))
        return fn

    return register


def _refusing_unknown_arguments(tool: Tool) -> Tool:
    model = tool.fn_metadata.arg_model
    strict = type(model.__name__, (model,), {"model_config": {**model.model_config, "extra": "forbid"}})
    tool.fn_metadata.arg_model = strict
    tool.parameters = strict.model_json_schema(by_alias=True)
    return tool


# -- tools ----------------------------------------------------------------------------------------

# Open world: these reach the practice's Cal.com (bookings there notify the customer);
# find_appointments reads only our own records.
LOOKS = ToolAnnotations(read_only_hint=True, open_world_hint=True)
OUR_RECORDS = ToolAnnotations(read_only_hint=True, open_world_hint=False)


@agent_tool(title="List branches", annotations=LOOKS)
def list_branches() -> Branches:
    """The practice's branches that take bookings: address, time zone, opening hours, the
    service booked there (name and length) and the days that can be booked."""
    with tool_call("list_branches") as company:
        kinds = _event_types_or_none(company)
        found = []
        for branch in _bookable_branches(company):
            kind = kinds.get(branch.calcom_event_type_id) if kinds is not None else None
            days = bookable_days(branch=branch, event_type_id=branch.calcom_event_type_id)
            found.append(branch_info(branch, kind, days))
        return Branches(company=plain_text(company.name, NAME_CHARACTERS), branches=found)


@agent_tool(title="Check availability", annotations=LOOKS)
def check_availability(
    branch_id: BranchId = None,
    date_from: FirstDay = None,
    date_to: LastDay = None,
    timezone: TimeZoneName = None,
) -> FreeTimes:
    """Free appointment times at a branch between two days (at most 62 days apart)."""
    with tool_call("check_availability") as company:
        branch = _branch(company, branch_id)
        found = availability_get(
            company=company, branch=branch, date_from=date_from, date_to=date_to, timezone=timezone
        )
        return FreeTimes(
            branch_id=branch.pk,
            timezone=found.timezone,
            date_from=found.first.isoformat(),
            date_to=found.last.isoformat(),
            slots=[free_slot(slot, found.timezone) for slot in found.slots[:SLOTS_SHOWN]],
            total=len(found.slots),
            truncated=len(found.slots) > SLOTS_SHOWN,
        )


@agent_tool(title="Find free times near a wish", annotations=LOOKS)
def find_alternatives(
    preferred_start: When,
    branch_id: BranchId = None,
    timezone: TimeZoneName = None,
    search_days: SearchDays = 7,
    max_results: MaxResults = 5,
) -> NearbyTimes:
    """Free times nearest a wished time: the same day first (nearest time first), then the
    following days. Says whether the wished time itself is free."""
    with tool_call("find_alternatives") as company:
        branch = _branch(company, branch_id)
        found = alternatives_find(
            company=company,
            branch=branch,
            wish=preferred_start,
            search_days=search_days,
            max_alternatives=max_results,
            timezone=timezone,
        )
        return NearbyTimes(
            branch_id=branch.pk,
            timezone=found.timezone,
            preferred_available=found.preferred_available,
            alternatives=[nearby_slot(a, found.timezone) for a in found.alternatives],
        )


@agent_tool(
    title="Book an appointment",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
)
def book_appointment(
    start: When,
    name: CustomerName,
    idempotency_key: IdempotencyKey,
    phone: Phone = None,
    email: Email = None,
    branch_id: BranchId = None,
    timezone: TimeZoneName = None,
    notes: Notes = None,
) -> BookingMade:
    """Book a free time for a customer (a phone number or an email address is needed). The
    calendar confirms at once, or the practice confirms later (confirmed: false)."""
    with tool_call("book_appointment", writes=True) as company:
        branch = _branch(company, branch_id)
        booked = booking_create(
            company=company,
            branch=branch,
            start=start,
            name=name,
            phone=phone,
            email=email,
            notes=notes,
            timezone=timezone,
            idempotency_key=f"mcp:{idempotency_key}",
            source=AppointmentSource.API,
        )
        return BookingMade(
            appointment=appointment_info(booked.appointment),
            confirmed=not booked.pending,
            replayed=booked.replayed,
        )


@agent_tool(title="Find a customer's appointments", annotations=OUR_RECORDS)
def find_appointments(phone: Phone = None, email: Email = None) -> Appointments:
    """A customer's upcoming appointments (booked or awaiting confirmation), soonest first,
    found by phone number or email address."""
    with tool_call("find_appointments") as company:
        found = upcoming_appointments_of_person(company=company, phone=phone or "", email=email or "")
        return Appointments(appointments=[appointment_info(a) for a in found], count=len(found))


@agent_tool(
    title="Move an appointment",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
    ),
)
def reschedule_appointment(
    appointment_id: AppointmentId,
    new_start: When,
    idempotency_key: IdempotencyKey,
    timezone: TimeZoneName = None,
    reason: Reason = None,
) -> AppointmentMoved:
    """Move an appointment to a free time at the same branch. The moved appointment gets a new
    appointment_id; the old one is kept as moved."""
    with tool_call("reschedule_appointment", writes=True) as company:
        appointment = _appointment(company, appointment_id)
        branch_zone = zone(timezone or appointment.branch.effective_timezone)
        moved = appointment_reschedule(
            company=company,
            appointment=appointment,
            start=parse_datetime(new_start, branch_zone, field="new_start"),
            reason=reason,
            source=AppointmentSource.API,
            idempotency_key=idempotency_key,
        )
        return AppointmentMoved(
            appointment=appointment_info(moved.appointment),
            previous_appointment_id=appointment_id,
        )


@agent_tool(
    title="Cancel an appointment",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
    ),
)
def cancel_appointment(
    appointment_id: AppointmentId,
    idempotency_key: IdempotencyKey,
    reason: Reason = None,
) -> AppointmentCancelled:
    """Cancel an appointment; the calendar tells the customer."""
    with tool_call("cancel_appointment", writes=True) as company:
        appointment = _appointment(company, appointment_id)
        cancelled = appointment_cancel(
            company=company,
            appointment=appointment,
            reason=reason,
            source=AppointmentSource.API,
            idempotency_key=idempotency_key,
        )
        return AppointmentCancelled(appointment=appointment_info(cancelled.appointment))


# -- lookups within the token's company ----------------------------------------------------------


def _bookable_branches(company: Company):
    return company.branches.filter(BOOKABLE_BRANCH).order_by("name")


def _branch(company: Company, branch_id: int | None) -> Branch:
    """The company's bookable branch `branch_id`, or its only one when none is named."""
    candidates = _bookable_branches(company).select_related("company")
    if branch_id is not None:
        candidates = candidates.filter(pk=branch_id)
    branches = list(candidates[:2])
    if branch_id is not None and not branches:
        raise BookingError(ErrorType.VALIDATION, "No such branch; see list_branches.", fields=("branch_id",))
    if not branches:
        raise BookingError(ErrorType.CONFIGURATION, "No branch of this practice takes bookings.")
    if len(branches) > 1:
        raise BookingError(
            ErrorType.VALIDATION,
            "This practice has several branches; pass a branch_id from list_branches.",
            fields=("branch_id",),
        )
    return branches[0]


def _appointment(company: Company, handle: str):
    appointment = appointment_by_handle(company=company, handle=handle)
    if appointment is None:
        raise BookingError(ErrorType.NOT_FOUND, "No such appointment for this company.")
    return appointment


def _event_types_or_none(company: Company) -> dict | None:
    """The company's event types by id, or None when the calendar cannot say just now (the
    branches are listed without their service then, not refused)."""
    try:
        return {kind.id: kind for kind in event_types_list(company=company)}
    except BookingError:
        return None
