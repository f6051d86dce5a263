"""The live-call functions: each takes the call's context and the agent's arguments and returns
`{"success", "message", "data"}`, the message ready to be read aloud."""

from datetime import date, datetime, timedelta

from booking.models import Appointment
from booking.selectors import upcoming_appointments_for_phone
from booking.services import (
    cancel_booking,
    check_availability,
    create_booking,
    find_alternative_slots,
    update_booking,
)
from core import clock
from telephony.booking_wish import ALIASES, WishError
from telephony.calls import call_appointment_link
from telephony.live_context import LiveContext, appointment_ref
from telephony.speech import not_understood, say, spoken_day, spoken_list, spoken_time, spoken_when

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "any": (0, 24)}
MAX_SPOKEN = 4


def answer(success: bool, message: str, **data) -> dict:
    return {"success": success, "message": message, "data": data}


class Unanswerable(Exception):
    """Stop and give the caller this answer (bad input, no such appointment, ...)."""

    def __init__(self, result: dict):
        super().__init__(result["message"])
        self.result = result


def _needs_branch(ctx: LiveContext) -> None:
    if ctx.branch is None or not ctx.branch.calcom_event_type_id:
        raise Unanswerable(answer(False, say("not_configured", ctx.language), error="configuration_error"))


def _invalid(ctx: LiveContext, *fields: str) -> Unanswerable:
    message = not_understood(fields, ctx.language)
    return Unanswerable(answer(False, message, error="validation_error", fields=list(fields)))


def _slot_labels(ctx: LiveContext, slots: list[dict], *, with_day: bool) -> list[str]:
    labels = []
    for slot in slots:
        moment = datetime.fromisoformat(slot["start"])
        labels.append(spoken_when(moment, ctx.language) if with_day else spoken_time(moment, ctx.language))
    return labels


def check_availability_live(ctx: LiveContext, args: dict) -> dict:
    _needs_branch(ctx)
    try:
        first = ctx.day(args.get("date") or "heute")
        last = ctx.day(args["date_to"]) if args.get("date_to") else first
    except WishError as exc:
        raise _invalid(ctx, exc.field) from exc
    result = check_availability(
        company_id=ctx.company.pk,
        event_type_id=ctx.branch.calcom_event_type_id,
        branch_id=ctx.branch.pk,
        date_from=first,
        date_to=last,
    )
    if not result["success"]:
        return _service_failure(ctx, result)
    hours = PARTS_OF_DAY.get(str(args.get("part_of_day") or "any").lower(), PARTS_OF_DAY["any"])
    slots = [s for s in result["available_slots"] if hours[0] <= int(s["time"][:2]) < hours[1]]
    if not slots:
        return _nothing_free(ctx, first)
    first_day = slots[0]["date"]
    same_day = [s for s in slots if s["date"] == first_day][:MAX_SPOKEN]
    day_label = spoken_day(datetime.fromisoformat(same_day[0]["start"]).date(), ctx.language)
    message = say(
        "free_on_day",
        ctx.language,
        day=day_label,
        times=spoken_list(_slot_labels(ctx, same_day, with_day=False), ctx.language),
    )
    return answer(
        True, message, slots=[{"date": s["date"], "time": s["time"]} for s in slots[:20]], total=len(slots)
    )


def _nothing_free(ctx: LiveContext, day) -> dict:
    found = find_alternative_slots(
        company_id=ctx.company.pk,
        event_type_id=ctx.branch.calcom_event_type_id,
        branch_id=ctx.branch.pk,
        preferred_start=datetime.combine(day, datetime.min.time()) + timedelta(hours=9),
        max_alternatives=3,
    )
    message = say("nothing_on_day", ctx.language, day=spoken_day(day, ctx.language))
    options = found.get("alternatives", []) if found.get("success") else []
    if options:
        labels = _slot_labels(ctx, options, with_day=True)
        message += " " + say("next_free", ctx.language, options=spoken_list(labels, ctx.language))
    return answer(True, message, slots=[{"date": s["date"], "time": s["time"]} for s in options], total=0)


def find_alternatives_live(ctx: LiveContext, args: dict) -> dict:
    _needs_branch(ctx)
    try:
        wish = ctx.wall_clock(args.get("date"), args.get("time"))
    except WishError as exc:
        raise _invalid(ctx, exc.field) from exc
    return _alternatives_answer(ctx, wish, ctx.branch.calcom_event_type_id, found_taken=False)


def _alternatives_answer(
    ctx: LiveContext, wish: datetime, event_type_id: int, *, found_taken: bool, branch_id: int | None = None
) -> dict:
    found = find_alternative_slots(
        company_id=ctx.company.pk,
        event_type_id=event_type_id,
        branch_id=branch_id or ctx.branch.pk,
        preferred_start=wish,
        max_alternatives=3,
    )
    if not found["success"]:
        return _service_failure(ctx, found)
    wish_label = spoken_time(wish, ctx.language)
    if found["preferred_available"] and not found_taken:
        return answer(
            True,
            say("wish_free", ctx.language, when=spoken_when(wish, ctx.language)),
            preferred_available=True,
            alternatives=[],
        )
    options = found["alternatives"]
    data = {
        "preferred_available": False,
        "alternatives": [{"date": a["date"], "time": a["time"]} for a in options],
    }
    if not options:
        return answer(not found_taken, say("taken_no_alternatives", ctx.language, time=wish_label), **data)
    labels = [_alternative_label(ctx, wish, a) for a in options]
    message = say(
        "taken_with_alternatives", ctx.language, time=wish_label, options=spoken_list(labels, ctx.language)
    )
    return answer(not found_taken, message, **({"error": "slot_unavailable"} if found_taken else {}), **data)


def _alternative_label(ctx: LiveContext, wish: datetime, alternative: dict) -> str:
    moment = datetime.fromisoformat(alternative["start"])
    same_day = moment.date() == wish.date()
    return spoken_time(moment, ctx.language) if same_day else spoken_when(moment, ctx.language)


def book_appointment_live(ctx: LiveContext, args: dict) -> dict:
    _needs_branch(ctx)
    try:
        wish = ctx.wall_clock(args.get("date"), args.get("time"))
    except WishError as exc:
        raise _invalid(ctx, exc.field) from exc
    notes = "; ".join(str(args[k]).strip() for k in ("service", "notes") if args.get(k))
    result = create_booking(
        company_id=ctx.company.pk,
        event_type_id=ctx.branch.calcom_event_type_id,
        branch_id=ctx.branch.pk,
        start=wish,
        name=args.get("name") or "",
        email=args.get("email") or None,
        phone=ctx.caller_phone or None,
        notes=notes or None,
        timezone=ctx.branch.effective_timezone,
        call_id=ctx.call_id,
        source="live_call",
        metadata={"service": str(args["service"])} if args.get("service") else None,
    )
    when = spoken_when(wish, ctx.language)
    if result["success"]:
        appointment = Appointment.objects.get(pk=result["appointment_id"])
        call_appointment_link(company=ctx.company, call_id=ctx.call_id, appointment=appointment)
        key = "requested" if result["booking"]["status"] == "pending" else "booked"
        return answer(True, say(key, ctx.language, when=when), **_appointment_data(ctx, appointment))
    if result["error"] == "slot_unavailable":
        return _alternatives_answer(ctx, wish, ctx.branch.calcom_event_type_id, found_taken=True)
    if result["error"] == "service_unavailable":
        return answer(False, say("queued", ctx.language, when=when), error="service_unavailable", queued=True)
    if result["error"] == "validation_error" and result.get("reason") not in DATE_REFUSALS:
        raise _invalid(ctx, *([result["field"]] if result.get("field") else []))
    return _service_failure(ctx, result)


def _appointment_data(ctx: LiveContext, appointment: Appointment) -> dict:
    local = ctx.local(appointment.start)
    return {
        "appointment_ref": appointment_ref(appointment),
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
        "status": appointment.status,
        "branch": appointment.branch.name,
    }


def _service_failure(ctx: LiveContext, result: dict) -> dict:
    if result["error"] == "validation_error" and result.get("reason") in DATE_REFUSALS:
        return _date_refused(ctx, result)
    if result["error"] == "service_unavailable":
        return answer(False, say("calendar_down", ctx.language), error="service_unavailable")
    if result["error"] == "configuration_error":
        return answer(False, say("not_configured", ctx.language), error="configuration_error")
    return answer(False, say("failed", ctx.language), error=result["error"])


DATE_REFUSALS = {"past": "date_past", "time_past": "time_past", "too_far": "date_too_far"}


def _date_refused(ctx: LiveContext, result: dict) -> dict:
    """A day outside what can be booked, said the way the caller would say it."""
    day = spoken_day(date.fromisoformat(result["day"]), ctx.language)
    last = spoken_day(date.fromisoformat(result["last_day"]), ctx.language) if result.get("last_day") else ""
    message = say(DATE_REFUSALS[result["reason"]], ctx.language, day=day, last=last)
    return answer(False, message, error="validation_error", reason=result["reason"])


def _upcoming(ctx: LiveContext) -> list[Appointment]:
    if not ctx.caller_phone:
        return []
    after = clock.now()
    return list(
        upcoming_appointments_for_phone(company=ctx.company, phone=ctx.caller_phone, after=after)[:10]
    )


def find_my_appointments_live(ctx: LiveContext, args: dict) -> dict:
    upcoming = _upcoming(ctx)
    listed = [_appointment_data(ctx, a) for a in upcoming]
    if not upcoming:
        return answer(True, say("no_appointments", ctx.language), appointments=[])
    if len(upcoming) == 1:
        when = spoken_when(ctx.local(upcoming[0].start), ctx.language)
        return answer(True, say("one_appointment", ctx.language, when=when), appointments=listed)
    return answer(True, _several(ctx, upcoming), appointments=listed)


def _several(ctx: LiveContext, upcoming: list[Appointment]) -> str:
    labels = [spoken_when(ctx.local(a.start), ctx.language) for a in upcoming]
    return say(
        "several_appointments", ctx.language, count=len(upcoming), options=spoken_list(labels, ctx.language)
    )


def _target(ctx: LiveContext, args: dict) -> Appointment:
    """The caller's appointment the agent means: by reference, or the only one there is."""
    upcoming = _upcoming(ctx)
    ref = str(args.get("appointment_ref") or "").strip().upper()
    if ref:
        match = next((a for a in upcoming if appointment_ref(a) == ref), None)
        if match is None:
            raise Unanswerable(answer(False, say("unknown_ref", ctx.language), error="not_found"))
        return match
    if not upcoming:
        raise Unanswerable(answer(False, say("no_appointments", ctx.language), error="not_found"))
    if len(upcoming) > 1:
        listed = [_appointment_data(ctx, a) for a in upcoming]
        raise Unanswerable(answer(False, _several(ctx, upcoming), error="ambiguous", appointments=listed))
    return upcoming[0]


def reschedule_appointment_live(ctx: LiveContext, args: dict) -> dict:
    appointment = _target(ctx, args)
    try:
        wish = ctx.wall_clock(args.get("new_date"), args.get("new_time"))
    except WishError as exc:
        raise _invalid(ctx, exc.field) from exc
    result = update_booking(
        company_id=ctx.company.pk,
        booking_id=appointment.pk,
        start=wish,
        reschedule_reason="Rescheduled by the caller on the phone",
    )
    if result["success"]:
        moved = Appointment.objects.get(pk=result["appointment_id"])
        # The new booking belongs to the calls of the old one, and to this one that moved it.
        moved.calls.add(*appointment.calls.all())
        call_appointment_link(company=ctx.company, call_id=ctx.call_id, appointment=moved)
        return answer(
            True,
            say("moved", ctx.language, when=spoken_when(wish, ctx.language)),
            **_appointment_data(ctx, moved),
        )
    if result["error"] == "slot_unavailable" and appointment.event_type_id:
        return _alternatives_answer(
            ctx, wish, appointment.event_type_id, found_taken=True, branch_id=appointment.branch_id
        )
    return _service_failure(ctx, result)


def cancel_appointment_live(ctx: LiveContext, args: dict) -> dict:
    appointment = _target(ctx, args)
    reason = str(args.get("reason") or "").strip() or "Cancelled by the caller on the phone"
    result = cancel_booking(company_id=ctx.company.pk, booking_id=appointment.pk, cancellation_reason=reason)
    if result["success"]:
        when = spoken_when(ctx.local(appointment.start), ctx.language)
        return answer(
            True, say("cancelled", ctx.language, when=when), appointment_ref=appointment_ref(appointment)
        )
    return _service_failure(ctx, result)


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
