"""The live-call functions: Retell's arguments in, one booking service call, its result said aloud.

Each handler takes the call's context and the agent's checked arguments and returns the answer
Retell reads: `{"success", "message", "data"}`, and on a refusal also `error` (the envelope of
askpro.api). What a service's BookingError sounds like is decided once, in SPOKEN_FAILURES.
"""

from collections.abc import Callable
from datetime import datetime, time

from askpro.api import error_body, success_body
from booking.models import Appointment, AppointmentSource, AppointmentStatus
from booking.references import appointment_reference
from booking.results import Slot
from booking.selectors import appointment_for_caller, upcoming_appointments_for_phone
from booking.services import (
    BookingError,
    ErrorType,
    alternatives_find,
    appointment_cancel,
    appointment_reschedule,
    availability_get,
    booking_create,
    phone_only_bookable,
)
from companies.models import Branch
from companies.services_offered import service_event_type, services_of
from core.wording import not_understood, say, spoken_day, spoken_list, spoken_time, spoken_when
from telephony.booking_wish import ALIASES
from telephony.calls import call_appointment_link
from telephony.live_context import LiveContext

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "any": (0, 24)}
MAX_SPOKEN = 4  # free times read out for one day
ALTERNATIVES_SPOKEN = 3  # times offered instead of a wish
RESCHEDULED_BY_CALLER = "Rescheduled by the caller on the phone"
CANCELLED_BY_CALLER = "Cancelled by the caller on the phone"


def answer(message: str, **data) -> dict:
    return success_body(message, data=data)


def refusal(error: str, message: str, **data) -> dict:
    """A failure the agent can act on: `error` for it (also in `data`, where agents read it),
    `message` for the caller."""
    return error_body(str(error), message, data={"error": str(error), **data})


def _branch(ctx: LiveContext) -> Branch:
    if ctx.branch is None or not ctx.branch.calcom_event_type_id:
        raise BookingError(ErrorType.CONFIGURATION, "The dialed number has no branch that books.")
    return ctx.branch


def _slot_data(slot: Slot) -> dict:
    return {"date": slot.day.isoformat(), "time": slot.hhmm}


def check_availability_live(ctx: LiveContext, args: dict) -> dict:
    branch = _branch(ctx)
    first = ctx.day(args.get("date") or "heute")
    last = ctx.day(args["date_to"]) if args.get("date_to") else first
    service = args.get("service")
    found = availability_get(
        company=ctx.company, branch=branch, date_from=first, date_to=last, service=service
    )
    hours = PARTS_OF_DAY.get(str(args.get("part_of_day") or "any").lower(), PARTS_OF_DAY["any"])
    slots = [slot for slot in found.slots if hours[0] <= slot.start.hour < hours[1]]
    if not slots:
        return _nothing_free(ctx, branch, first, service)
    same_day = [slot for slot in slots if slot.day == slots[0].day][:MAX_SPOKEN]
    times = spoken_list([spoken_time(slot.start, ctx.language) for slot in same_day], ctx.language)
    message = say("free_on_day", ctx.language, day=spoken_day(same_day[0].day, ctx.language), times=times)
    return answer(message, slots=[_slot_data(slot) for slot in slots[:20]], total=len(slots))


def _nothing_free(ctx: LiveContext, branch: Branch, day, service: str | None) -> dict:
    """Nothing on the day asked for: the next free times from 09:00 that day on, if we can see any."""
    try:
        found = alternatives_find(
            company=ctx.company,
            branch=branch,
            wish=datetime.combine(day, time(9)),
            max_alternatives=3,
            service=service,
        )
        options = found.alternatives
    except BookingError:
        options = []
    message = say("nothing_on_day", ctx.language, day=spoken_day(day, ctx.language))
    if options:
        labels = [spoken_when(option.start, ctx.language) for option in options]
        message += " " + say("next_free", ctx.language, options=spoken_list(labels, ctx.language))
    return answer(message, slots=[_slot_data(option) for option in options], total=0)


def find_alternatives_live(ctx: LiveContext, args: dict) -> dict:
    branch = _branch(ctx)
    wish = ctx.wall_clock(args.get("date"), args.get("time"))
    found = alternatives_find(
        company=ctx.company,
        branch=branch,
        wish=wish,
        max_alternatives=ALTERNATIVES_SPOKEN,
        service=args.get("service"),
    )
    if found.preferred_available:
        message = say("wish_free", ctx.language, when=spoken_when(wish, ctx.language))
        return answer(message, preferred_available=True, alternatives=[])
    return _offered(ctx, wish, found.alternatives, taken=False)


def _offered(ctx: LiveContext, wish: datetime, options: list[Slot], *, taken: bool) -> dict:
    """'11:00 Uhr ist leider schon vergeben. Frei wären: ...' (a refusal when a booking was refused)."""
    data = {"preferred_available": False, "alternatives": [_slot_data(option) for option in options]}
    wish_label = spoken_time(wish, ctx.language)
    if options:
        labels = spoken_list([_alternative_label(ctx, wish, option) for option in options], ctx.language)
        message = say("taken_with_alternatives", ctx.language, time=wish_label, options=labels)
    else:
        message = say("taken_no_alternatives", ctx.language, time=wish_label)
    return refusal(ErrorType.SLOT_UNAVAILABLE, message, **data) if taken else answer(message, **data)


def _alternative_label(ctx: LiveContext, wish: datetime, option: Slot) -> str:
    same_day = option.start.date() == wish.date()
    return spoken_time(option.start, ctx.language) if same_day else spoken_when(option.start, ctx.language)


def book_appointment_live(ctx: LiveContext, args: dict) -> dict:
    branch = _branch(ctx)
    wish = ctx.wall_clock(args.get("date"), args.get("time"))
    if not args.get("email") and _needs_email(ctx, branch, args.get("service")):
        return _email_needed(ctx)  # Cal.com would refuse the caller's number alone
    notes = "; ".join(str(args[k]).strip() for k in ("service", "notes") if args.get(k))
    try:
        booked = booking_create(
            company=ctx.company,
            branch=branch,
            start=wish,
            name=args.get("name") or "",
            email=args.get("email") or None,
            phone=ctx.caller_phone or None,
            notes=notes or None,
            call_id=ctx.call_id,
            source=AppointmentSource.LIVE_CALL,
            metadata={"service": str(args["service"])} if args.get("service") else None,
            service=args.get("service"),
        )
    except BookingError as exc:
        return spoken_failure(ctx, exc, wish=wish)
    call_appointment_link(company=ctx.company, call_id=ctx.call_id, appointment=booked.appointment)
    said = say(
        "requested" if booked.pending else "booked", ctx.language, when=spoken_when(wish, ctx.language)
    )
    return answer(said, **_appointment_data(ctx, booked.appointment))


def _appointment_data(ctx: LiveContext, appointment: Appointment) -> dict:
    local = ctx.local(appointment.start)
    return {
        "appointment_ref": appointment_reference(appointment),
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
        "status": appointment.status,
        "branch": appointment.branch.name,
    }


def find_my_appointments_live(ctx: LiveContext, args: dict) -> dict:
    upcoming = upcoming_appointments_for_phone(company=ctx.company, phone=ctx.caller_phone)
    listed = [_appointment_data(ctx, a) for a in upcoming]
    if not upcoming:
        return answer(say("no_appointments", ctx.language), appointments=[])
    if len(upcoming) == 1:
        when = spoken_when(ctx.local(upcoming[0].start), ctx.language)
        return answer(say("one_appointment", ctx.language, when=when), appointments=listed)
    return answer(_several(ctx, upcoming), appointments=listed)


def _several(ctx: LiveContext, upcoming) -> str:
    labels = [spoken_when(ctx.local(a.start), ctx.language) for a in upcoming]
    return say(
        "several_appointments", ctx.language, count=len(upcoming), options=spoken_list(labels, ctx.language)
    )


def _callers_appointment(ctx: LiveContext, args: dict) -> Appointment:
    reference = str(args.get("appointment_ref") or "")
    return appointment_for_caller(company=ctx.company, phone=ctx.caller_phone, reference=reference)


def reschedule_appointment_live(ctx: LiveContext, args: dict) -> dict:
    appointment = _callers_appointment(ctx, args)
    wish = ctx.wall_clock(args.get("new_date"), args.get("new_time"))
    try:
        moved = appointment_reschedule(
            company=ctx.company,
            appointment=appointment,
            start=wish,
            reason=RESCHEDULED_BY_CALLER,
            source=AppointmentSource.LIVE_CALL,
            call_id=ctx.call_id,
        )
    except BookingError as exc:
        return spoken_failure(ctx, exc, wish=wish)
    new = moved.appointment
    call_appointment_link(company=ctx.company, call_id=ctx.call_id, appointment=new, replacing=appointment)
    # What the calendar made of it: a host may still have to confirm it.
    key = "moved_requested" if new.status == AppointmentStatus.PENDING else "moved"
    said = say(key, ctx.language, when=spoken_when(ctx.local(new.start), ctx.language))
    return answer(said, **_appointment_data(ctx, new))


def cancel_appointment_live(ctx: LiveContext, args: dict) -> dict:
    appointment = _callers_appointment(ctx, args)
    reason = str(args.get("reason") or "").strip() or CANCELLED_BY_CALLER
    when = spoken_when(ctx.local(appointment.start), ctx.language)  # the one the caller meant
    reference = appointment_reference(appointment)
    appointment_cancel(
        company=ctx.company,
        appointment=appointment,
        reason=reason,
        source=AppointmentSource.LIVE_CALL,
        call_id=ctx.call_id,
    )
    return answer(say("cancelled", ctx.language, when=when), appointment_ref=reference)


# -- what a refusal sounds like: one table from ErrorType to speech ----------------------------

DATE_REFUSALS = {"past": "date_past", "time_past": "time_past", "too_far": "date_too_far"}


def _not_understood(ctx: LiveContext, exc: BookingError, wish) -> dict:
    if exc.reason in DATE_REFUSALS:
        day = spoken_day(exc.day, ctx.language) if exc.day else ""
        last = spoken_day(exc.last_day, ctx.language) if exc.last_day else ""
        message = say(DATE_REFUSALS[exc.reason], ctx.language, day=day, last=last)
        return refusal(exc.error_type, message, reason=exc.reason)
    fields = list(exc.fields)
    if fields == ["service"] and ctx.branch is not None:
        return _which_service(ctx)
    return refusal(exc.error_type, not_understood(fields, ctx.language), fields=fields)


def _which_service(ctx: LiveContext) -> dict:
    """A service the branch does not offer: say what it does offer."""
    names = [service.name_in(ctx.language) for service in services_of(ctx.branch)]
    message = say("which_service", ctx.language, services=spoken_list(names, ctx.language, joiner="and"))
    return refusal(ErrorType.VALIDATION, message, fields=["service"], services=names)


def _needs_email(ctx: LiveContext, branch: Branch, service) -> bool:
    """Whether the event type this booking would go to (the service's) requires an email."""
    event_type_id = service_event_type(branch, str(service)) if service else None
    bookable = phone_only_bookable(company=ctx.company, branch=branch, ask=False, event_type_id=event_type_id)
    return bookable is False


def _email_needed(ctx: LiveContext) -> dict:
    """The branch's event type requires an email (Cal.com's default): ask for it, rather than
    fail with a generic sorry."""
    return refusal(
        ErrorType.VALIDATION, say("email_needed", ctx.language), fields=["email"], email_required=True
    )


def _refused_for_email(exc: BookingError) -> bool:
    """Cal.com refused because the event type wants an email (our own validation names the
    field it could not read instead: an email given but unreadable is 'not understood')."""
    cal_com_said = exc.error_type in (ErrorType.VALIDATION, ErrorType.BOOKING_FAILED) and not exc.fields
    return cal_com_said and "email" in exc.message.lower()


def _taken(ctx: LiveContext, exc: BookingError, wish) -> dict:
    if wish is None or exc.alternatives is None:  # nothing to offer: we could not look
        return _calendar_down(ctx, exc, wish)
    return _offered(ctx, wish, exc.alternatives[:ALTERNATIVES_SPOKEN], taken=True)


def _calendar_down(ctx: LiveContext, exc: BookingError, wish) -> dict:
    if exc.queued or exc.in_progress:  # the wish is kept and will be carried out
        when = spoken_when(wish, ctx.language) if wish is not None else ""
        message = say("queued" if wish is not None else "change_queued", ctx.language, when=when)
        return refusal(ErrorType.SERVICE_UNAVAILABLE, message, queued=True)
    return refusal(ErrorType.SERVICE_UNAVAILABLE, say("calendar_down", ctx.language))


def _not_found(ctx: LiveContext, exc: BookingError, wish) -> dict:
    key = "unknown_ref" if "appointment_ref" in exc.fields else "no_appointments"
    return refusal(exc.error_type, say(key, ctx.language))


def _which_one(ctx: LiveContext, exc: BookingError, wish) -> dict:
    listed = [_appointment_data(ctx, a) for a in exc.candidates]
    return refusal(exc.error_type, _several(ctx, exc.candidates), appointments=listed)


def _said(key: str) -> Callable[[LiveContext, BookingError, datetime | None], dict]:
    return lambda ctx, exc, wish: refusal(exc.error_type, say(key, ctx.language))


SPOKEN_FAILURES: dict[ErrorType, Callable[[LiveContext, BookingError, datetime | None], dict]] = {
    ErrorType.VALIDATION: _not_understood,
    ErrorType.CONFIGURATION: _said("not_configured"),
    ErrorType.NOT_FOUND: _not_found,
    ErrorType.AMBIGUOUS: _which_one,
    ErrorType.SERVICE_UNAVAILABLE: _calendar_down,
    ErrorType.SLOT_UNAVAILABLE: _taken,
}


def spoken_failure(ctx: LiveContext, exc: BookingError, *, wish: datetime | None = None) -> dict:
    """What the caller hears when a service refused; `wish` is the time they asked for, if any."""
    if _refused_for_email(exc):
        return _email_needed(ctx)
    return SPOKEN_FAILURES.get(exc.error_type, _said("failed"))(ctx, exc, wish)


# -- the agent's arguments ---------------------------------------------------------------------

ARG_ALIASES = {
    **{canonical: names for canonical, names in ALIASES.items() if canonical != "confirmed"},
    "date_to": ("date_to", "bis_datum", "datum_bis"),
    "part_of_day": ("part_of_day", "tageszeit"),
    "new_date": ("new_date", "neues_datum"),
    "new_time": ("new_time", "neue_uhrzeit"),
    "appointment_ref": ("appointment_ref", "termin_ref", "reference"),
    "reason": ("reason", "grund"),
}


def normalized_args(args: dict) -> dict:
    """Canonical argument names from whatever the agent sent ('datum' -> 'date'; as for post-call)."""
    lowered = {str(k).lower(): v for k, v in args.items() if v not in (None, "")}
    return {
        canonical: next(lowered[n] for n in names if n in lowered)
        for canonical, names in ARG_ALIASES.items()
        if any(n in lowered for n in names)
    }


HANDLERS = {
    "check_availability": check_availability_live,
    "find_alternatives": find_alternatives_live,
    "book_appointment": book_appointment_live,
    "find_my_appointments": find_my_appointments_live,
    "reschedule_appointment": reschedule_appointment_live,
    "cancel_appointment": cancel_appointment_live,
}
