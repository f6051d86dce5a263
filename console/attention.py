"""What needs a human: each failed booking, move, cancellation, Retell event or Cal.com notice of
the last weeks, once, until someone follows it up.

A failed booking shows up once, not once per list it touches (its appointment, its booking
request, the call's webhook event): the booking request is the item, and a failed event of a call
whose booking is listed is not listed again. A failed booking is settled without a follow-up when
the same call booked after all (the caller took another time). Scope is the caller's business:
`company=None` is every company, for superusers only (console.views decides).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.trail import CHANGED, record
from booking.models import (
    AppointmentChange,
    AppointmentSource,
    BookingRequest,
    CalendarNotice,
    WorkStatus,
)
from booking.reasons import (
    booking_failure_reason,
    change_failure_reason,
    notice_failure_reason,
)
from booking.results import Alternative
from companies.models import Branch, Company
from console.models import FollowUp
from core import clock
from core.shown import shown_local
from telephony.models import Call, WebhookEvent, WebhookEventStatus

RECENT = timedelta(days=30)
# Staff who book in admin read Cal.com's refusal on the form: nobody else needs to follow it up.
CALLER_SOURCES = [AppointmentSource.LIVE_CALL, AppointmentSource.POST_CALL, AppointmentSource.API]


@dataclass(frozen=True)
class AttentionItem:
    subject: str  # "<model>:<pk>", what a FollowUp names
    company: Company
    kind: str
    happened_at: datetime
    zone: str
    reason: str
    technical_url: str
    branch: Branch | None = None
    caller_name: str = ""
    caller_phone: str = ""
    caller_email: str = ""
    wish: datetime | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    can_book: bool = False

    @property
    def happened_shown(self) -> str:
        return shown_local(self.happened_at, self.zone)

    @property
    def wish_shown(self) -> str:
        return shown_local(self.wish, self.zone)

    @property
    def alternatives_shown(self) -> list[tuple[str, str]]:
        return [(a.start.isoformat(), shown_local(a.start, self.zone)) for a in self.alternatives]


def attention_items(company: Company | None) -> list[AttentionItem]:
    """Everything that needs a human, newest first."""
    since = clock.now() - RECENT
    bookings = list(_failed_bookings(company, since))
    branches = _branches_of(bookings)
    listed_calls = {item.call_id for item in bookings if item.call_id}
    items = [
        *(_booking_item(row, branches) for row in bookings),
        *(_change_item(row) for row in _scoped(AppointmentChange.objects, company, since, "created_at")),
        *(_notice_item(row) for row in _scoped(CalendarNotice.objects, company, since, "received_at")),
        *_event_items(company, since, listed_calls),
    ]
    done = _followed_up(company)
    return sorted(
        (item for item in items if (item.company.pk, item.subject) not in done),
        key=lambda item: item.happened_at,
        reverse=True,
    )


def attention_item(company: Company | None, subject: str) -> AttentionItem | None:
    """The open item `subject` of `company` (None: it is not theirs, or already followed up)."""
    return next((item for item in attention_items(company) if item.subject == subject), None)


def attention_follow_up(item: AttentionItem, *, note: str, user) -> FollowUp:
    follow_up, created = FollowUp.objects.get_or_create(
        company=item.company, subject=item.subject, defaults={"note": note, "done_by": user}
    )
    if created:  # the note is free text: the trail says that one was written, not what
        record(Action.FOLLOW_UP, company=item.company, obj=follow_up, changes={"note": CHANGED})
    return follow_up


def _scoped(manager, company, since, when: str) -> QuerySet:
    rows = manager.filter(status=WorkStatus.FAILED, **{f"{when}__gte": since}).select_related("company")
    return rows if company is None else rows.filter(company=company)


def _failed_bookings(company, since) -> QuerySet:
    rows = _scoped(BookingRequest.objects, company, since, "created_at").filter(source__in=CALLER_SOURCES)
    booked_later = BookingRequest.objects.filter(status=WorkStatus.SUCCEEDED).exclude(call_id="")
    if company is not None:
        booked_later = booked_later.filter(company=company)
    return rows.exclude(call_id__in=booked_later.values("call_id")).select_related("appointment")


def _followed_up(company) -> set[tuple[int, str]]:
    rows = FollowUp.objects.all() if company is None else FollowUp.objects.filter(company=company)
    return set(rows.values_list("company_id", "subject"))


def _zone_of(company: Company, branch: Branch | None) -> str:
    return branch.effective_timezone if branch else company.timezone


def _branches_of(rows: list[BookingRequest]) -> dict[tuple[int, int], Branch]:
    """The branches the wishes name, read once for the whole list: (company id, branch id) ->
    branch, so a wish can only ever name a branch of its own company."""
    ids = {(row.payload or {}).get("branch_id") for row in rows} - {None}
    found = Branch.objects.filter(pk__in=ids).select_related("company")
    return {(branch.company_id, branch.pk): branch for branch in found}


def _booking_item(row: BookingRequest, branches: dict[tuple[int, int], Branch]) -> AttentionItem:
    payload = row.payload or {}
    branch = branches.get((row.company_id, payload.get("branch_id")))
    appointment = row.appointment
    error = row.result or {}
    return AttentionItem(
        subject=f"bookingrequest:{row.pk}",
        company=row.company,
        kind=_("Booking failed"),
        happened_at=row.created_at,
        zone=_zone_of(row.company, branch),
        reason=booking_failure_reason(error.get("error", ""), row.last_error),
        technical_url=reverse("admin:booking_bookingrequest_change", args=[row.pk]),
        branch=branch,
        caller_name=payload.get("name", ""),
        caller_phone=payload.get("phone", ""),
        caller_email=payload.get("email", ""),
        wish=datetime.fromisoformat(payload["start"]) if payload.get("start") else None,
        alternatives=[Alternative.from_dict(a) for a in (appointment.alternatives if appointment else [])],
        can_book=branch is not None,
    )


def _change_item(row: AppointmentChange) -> AttentionItem:
    appointment = row.appointment
    customer = appointment.customer
    return AttentionItem(
        subject=f"appointmentchange:{row.pk}",
        company=row.company,
        kind=_("Cancellation failed") if row.kind == "cancel" else _("Move failed"),
        happened_at=row.created_at,
        zone=_zone_of(row.company, appointment.branch),
        reason=change_failure_reason(row.kind),
        technical_url=reverse("admin:booking_appointmentchange_change", args=[row.pk]),
        branch=appointment.branch,
        caller_name=appointment.attendee_name or (customer.name if customer else ""),
        caller_phone=customer.phone if customer else "",
        wish=appointment.start,
    )


def _notice_item(row: CalendarNotice) -> AttentionItem:
    return AttentionItem(
        subject=f"calendarnotice:{row.pk}",
        company=row.company,
        kind=_("Calendar change not applied"),
        happened_at=row.received_at,
        zone=row.company.timezone,
        reason=notice_failure_reason(),
        technical_url=reverse("admin:booking_calendarnotice_change", args=[row.pk]),
    )


def _event_items(company, since, listed_calls: set[str]):
    events = WebhookEvent.objects.filter(status=WebhookEventStatus.FAILED, received_at__gte=since)
    if company is not None:
        events = events.filter(company=company)
    events = list(events.exclude(call_id__in=listed_calls).select_related("company"))
    calls = {
        call.retell_call_id: call
        for call in Call.objects.filter(retell_call_id__in=[e.call_id for e in events]).select_related(
            "branch", "customer"
        )
    }
    for event in events:
        call = calls.get(event.call_id)
        if call is not None and call.company_id != event.company_id:
            call = None  # never another company's caller
        yield _event_item(event, call)


def _event_item(event: WebhookEvent, call: Call | None) -> AttentionItem:
    branch = call.branch if call else None
    return AttentionItem(
        subject=f"webhookevent:{event.pk}",
        company=event.company,
        kind=_("Call report not processed"),
        happened_at=event.received_at,
        zone=_zone_of(event.company, branch),
        reason=_("The report of this call from Retell could not be processed."),
        technical_url=reverse("admin:telephony_webhookevent_change", args=[event.pk]),
        branch=branch,
        caller_name=call.customer.name if call and call.customer else "",
        caller_phone=call.from_number if call else "",
    )
