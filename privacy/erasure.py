"""Erasure of one person on request (GDPR Art. 17): what will go (`erasure_plan`), then its doing
(`erase_person`), in this order:

1. Their future appointments are cancelled in Cal.com through the booking service, as staff
   would; one that cannot be (Cal.com away, its breaker open, no key) is listed for staff, who
   cancel it in Cal.com themselves.
2. Retell's copy of each call (recording, transcript, analysis) is deleted through Retell's API;
   a call Retell does not delete (no key, an error) is listed for staff.
3. Our rows, in one transaction: the customer row is deleted; calls, appointments, work rows and
   notifications are kept, blanked by privacy.scrub, so counts and metrics still add up; work of
   theirs still waiting is stopped, and what failed of theirs leaves "needs attention" (a
   follow-up says why), so nobody rebooks a person who is no longer there.
4. One audit entry, counts per table only.

The rows come from privacy.person, looked up again inside the transaction: what arrived while
the vendors were asked (Cal.com's notices of our own cancellations) goes too. What remains with
the vendors (Cal.com keeps cancelled bookings with the attendee; an SMS provider its texts) is in
the result for staff, with the ids they need.

No cache holds a person: the caches keyed in booking and telephony hold slots, event types,
agents, number owners and, for 15 minutes, the answer to a repeated live function (appointment
times, no name), keyed by a hash nobody can find by a person.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.trail import record
from booking.models import Appointment, AppointmentSource, AppointmentStatus, WorkStatus
from booking.reasons import refusal_for_staff
from booking.services import BookingError, appointment_cancel
from companies.models import Company
from console.models import FollowUp
from core import clock
from core.shown import shown_local
from integrations.errors import IntegrationError
from privacy.person import TABLES, PersonRows, person_identify, person_rows
from privacy.scrub import (
    scrub_admin_log,
    scrub_appointments_erased,
    scrub_call_identity,
    scrub_follow_ups,
    scrub_notifications,
    scrub_raw_bodies,
    scrub_work_payloads,
)
from telephony.models import CallStatus, WebhookEventStatus
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message, retell_gateway

# Cal.com sends the reason to the attendee and requires one (booking.changes).
CANCELLATION_REASON = "Cancelled at the person's request to erase their data."
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
UNFINISHED_WORK = (WorkStatus.RECEIVED, WorkStatus.PROCESSING, WorkStatus.RETRYING)
UNFINISHED_EVENTS = (WebhookEventStatus.RECEIVED, WebhookEventStatus.PROCESSING, WebhookEventStatus.RETRYING)
CALLS_UNDER_WAY = (CallStatus.REGISTERED, CallStatus.ONGOING, CallStatus.ENDED)
REPORTED_WITHIN = timedelta(hours=1)
# Work rows, by table key, with the statuses that mean "not finished" and the one that stops them.
WORK_TABLES = {
    "booking_requests": (UNFINISHED_WORK, WorkStatus.FAILED),
    "appointment_changes": (UNFINISHED_WORK, WorkStatus.FAILED),
    "calendar_notices": (UNFINISHED_WORK, WorkStatus.FAILED),
    "webhook_events": (UNFINISHED_EVENTS, WebhookEventStatus.FAILED),
    "notifications": (UNFINISHED_WORK, WorkStatus.FAILED),
}


@dataclass(frozen=True)
class CalendarItem:
    """An appointment as staff find it in Cal.com."""

    appointment_id: int
    branch: str
    when: str  # on the branch's clock
    uid: str
    reason: str = ""

    @classmethod
    def of(cls, appointment: Appointment, reason: str = "") -> "CalendarItem":
        zone = appointment.branch.effective_timezone
        return cls(
            appointment.pk,
            appointment.branch.name,
            shown_local(appointment.start, zone),
            appointment.calcom_booking_uid,
            reason,
        )


@dataclass(frozen=True)
class RetellItem:
    call_id: str
    reason: str


@dataclass(frozen=True)
class ErasurePlan:
    rows: PersonRows
    to_cancel: list[Appointment]  # future, booked or waiting for the host
    unsure: list[Appointment]  # future, still being booked: Cal.com may have it or not
    retell_call_ids: list[str]
    retell_configured: bool
    under_way: int  # calls not yet reported in full, and work still running

    @property
    def counts(self) -> dict[str, int]:
        return self.rows.counts()


@dataclass
class ErasureResult:
    erased: dict[str, int] = field(default_factory=dict)  # rows deleted or blanked, per table
    stopped: int = 0  # work rows that were still waiting or running
    cancelled: list[CalendarItem] = field(default_factory=list)
    not_cancelled: list[CalendarItem] = field(default_factory=list)  # staff cancel these in Cal.com
    retell_deleted: list[str] = field(default_factory=list)
    retell_failed: list[RetellItem] = field(default_factory=list)  # staff delete these in Retell
    calendar_bookings: list[str] = field(default_factory=list)  # Cal.com uids it keeps
    texts_sent: list[str] = field(default_factory=list)  # the SMS provider's message ids

    @property
    def staff_must_act(self) -> bool:
        return bool(self.not_cancelled or self.retell_failed or self.calendar_bookings or self.texts_sent)


def erasure_plan(*, company: Company, phone: str = "", email: str = "") -> ErasurePlan:
    """What `erase_person` would do, changing nothing. PersonNotValid for a bad number or email."""
    rows = person_rows(person_identify(company=company, phone=phone, email=email))
    future = rows.rows("appointments").filter(start__gt=clock.now()).select_related("branch__company")
    calls = rows.rows("calls")
    # A call Retell has not yet reported in full (its analysis follows within minutes, and would
    # bring back what was said); one left so for an hour is not coming.
    reporting = calls.filter(status__in=CALLS_UNDER_WAY, updated_at__gte=clock.now() - REPORTED_WITHIN)
    under_way = reporting.count() + sum(
        rows.rows(key).filter(status__in=unfinished).count()
        for key, (unfinished, _failed) in WORK_TABLES.items()
    )
    return ErasurePlan(
        rows=rows,
        to_cancel=list(future.filter(status__in=ACTIVE).order_by("start")),
        unsure=list(future.filter(status=AppointmentStatus.REQUESTED).order_by("start")),
        retell_call_ids=sorted(calls.values_list("retell_call_id", flat=True)),
        retell_configured=bool(company.retell_api_key),
        under_way=under_way,
    )


def erase_person(*, company: Company, phone: str = "", email: str = "", user=None) -> ErasureResult:
    """Erase the person (see the module's docstring); `user`: the staff member who asked, named
    on the follow-ups that close their open items."""
    plan = erasure_plan(company=company, phone=phone, email=email)
    result = ErasureResult()
    _cancel_in_calendar(plan, result)
    _delete_at_retell(company, plan.retell_call_ids, result)
    with transaction.atomic():
        rows = plan.rows.union(person_rows(plan.rows.person))
        late = set(rows.rows("calls").values_list("retell_call_id", flat=True)) - set(plan.retell_call_ids)
        result.retell_failed += [
            RetellItem(call_id, _("The call came in during the erasure.")) for call_id in sorted(late)
        ]
        _left_with_vendors(rows, result)
        result.stopped = _stop_unfinished(rows)
        _close_open_items(rows, user)
        result.erased = _erase_rows(rows)
        record(Action.ERASE, company=company, object_type="privacy.person", changes=_audited(result))
    return result


def _cancel_in_calendar(plan: ErasurePlan, result: ErasureResult) -> None:
    company = plan.rows.person.company
    for appointment in plan.to_cancel:
        try:
            appointment_cancel(
                company=company,
                appointment=appointment,
                reason=CANCELLATION_REASON,
                source=AppointmentSource.ADMIN,
            )
        except BookingError as exc:
            reason = refusal_for_staff(exc.error_type, exc.message)
            result.not_cancelled.append(CalendarItem.of(appointment, reason))
        else:
            result.cancelled.append(CalendarItem.of(appointment))
    for appointment in plan.unsure:
        reason = _("It was still being booked: look for it in Cal.com, and cancel it there if it exists.")
        result.not_cancelled.append(CalendarItem.of(appointment, reason))


def _delete_at_retell(company: Company, call_ids: list[str], result: ErasureResult) -> None:
    if not call_ids:
        return
    try:
        retell = retell_gateway(company)
    except RetellNotConfigured:
        reason = _("No usable Retell API key is stored for the company.")
        result.retell_failed += [RetellItem(call_id, reason) for call_id in call_ids]
        return
    for call_id in call_ids:
        try:
            retell.write("delete_call", call_id)
        except IntegrationError as exc:
            result.retell_failed.append(RetellItem(call_id, retell_failure_message(exc)))
        else:
            result.retell_deleted.append(call_id)


def _left_with_vendors(rows: PersonRows, result: ErasureResult) -> None:
    """What the vendors keep that no API of theirs we use removes, read before it is blanked."""
    uids = (
        rows.rows("appointments").exclude(calcom_booking_uid="").values_list("calcom_booking_uid", flat=True)
    )
    result.calendar_bookings = sorted(uids)
    sent = rows.rows("notifications").exclude(provider_id="").values_list("provider_id", flat=True)
    result.texts_sent = sorted(sent)


def _stop_unfinished(rows: PersonRows) -> int:
    """Waiting work would run on blanked payloads (and book or text a person who is gone)."""
    return sum(
        rows.rows(key)
        .filter(status__in=unfinished)
        .update(status=stopped, lease_until=None, next_attempt_at=None)
        for key, (unfinished, stopped) in WORK_TABLES.items()
    )


def _close_open_items(rows: PersonRows, user) -> None:
    """Their failed work leaves "needs attention": blanked, it would offer to book nobody."""
    company = rows.person.company
    with translation.override(company.language):
        note = _("Closed: the person's data was erased at their request.")
    subjects = [
        f"{rows.rows(key).model._meta.model_name}:{pk}"
        for key, (_unfinished, failed) in WORK_TABLES.items()
        for pk in rows.rows(key).filter(status=failed).values_list("pk", flat=True)
    ]
    done_by = user if getattr(user, "is_authenticated", False) else None
    FollowUp.objects.bulk_create(
        [FollowUp(company=company, subject=subject, note=note, done_by=done_by) for subject in subjects],
        ignore_conflicts=True,  # followed up already: its note is blanked with the others
    )


def _erase_rows(rows: PersonRows) -> dict[str, int]:
    scrubbed = {
        "calls": scrub_call_identity,
        "appointments": scrub_appointments_erased,
        "booking_requests": scrub_work_payloads,
        "appointment_changes": scrub_work_payloads,
        "webhook_events": scrub_raw_bodies,
        "calendar_notices": scrub_raw_bodies,
        "notifications": scrub_notifications,
        "follow_ups": scrub_follow_ups,
        "admin_log": scrub_admin_log,
    }
    erased = {key: scrub(rows.rows(key)) for key, scrub in scrubbed.items()}
    # Last: appointments (PROTECT) and calls no longer point to them.
    erased["customers"] = _delete(rows.rows("customers"))
    return {table.key: erased[table.key] for table in TABLES}


def _delete(customers: QuerySet) -> int:
    _total, per_model = customers.delete()
    return per_model.get(customers.model._meta.label, 0)


def _audited(result: ErasureResult) -> dict[str, int]:
    """Counts only: the entry says how much went, never whose."""
    return {
        **result.erased,
        "stopped": result.stopped,
        "cancelled_in_calendar": len(result.cancelled),
        "left_to_cancel": len(result.not_cancelled),
        "deleted_at_retell": len(result.retell_deleted),
        "left_at_retell": len(result.retell_failed),
    }
