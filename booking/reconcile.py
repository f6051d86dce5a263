"""Cal.com sends each booking webhook once and never retries (contract shared/contracts/
calcom-api.md §5), so a notice lost on the way would leave our records wrong for good. Every so
often (and on demand, `manage.py reconcile_calendar`) each company's Cal.com bookings in a window
are read (GET /v2/bookings, paged, behind the breaker) and every difference from our
appointments is repaired through the same rule as the notices (calendar_sync), with a report
of what changed.
"""

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings

from askpro import metrics
from booking.calendar import CalendarBooking, calendar_for
from booking.calendar_sync import booking_difference, calendar_booking_apply
from booking.errors import BookingError, ErrorType, calendar_failures
from booking.models import Appointment, AppointmentStatus
from companies.models import Company
from core import clock
from integrations.errors import NotFound

logger = logging.getLogger(__name__)
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
# Appointments Cal.com did not list are read one by one: at most this many a run (soonest first),
# so a listing cut short never spends the key's 120 requests a minute; the next run goes on.
LOOKUPS_PER_RUN = 20


@dataclass(frozen=True)
class Repair:
    uid: str
    change: str  # added, moved, cancelled, rejected, confirmed, pending, times, not_in_calendar
    appointment_id: int | None = None


@dataclass
class ReconcileReport:
    company: Company
    after: datetime
    before: datetime
    dry_run: bool
    checked: int = 0
    repairs: list[Repair] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would repair" if self.dry_run else "repaired"
        counts: dict[str, int] = {}
        for repair in self.repairs:
            counts[repair.change] = counts.get(repair.change, 0) + 1
        changes = ", ".join(f"{count} {change}" for change, count in sorted(counts.items())) or "nothing"
        return f"{self.checked} Cal.com bookings checked; {verb} {changes}."


def calendar_reconcile(
    *, company: Company, days_back: int = 1, days_ahead: int | None = None, dry_run: bool = False
) -> ReconcileReport:
    """Make the company's appointments from `days_back` to `days_ahead` agree with Cal.com."""
    now = clock.now()
    ahead = settings.CALENDAR_RECONCILE_DAYS_AHEAD if days_ahead is None else days_ahead
    report = ReconcileReport(company, now - timedelta(days=days_back), now + timedelta(days=ahead), dry_run)
    event_type_ids = sorted(
        set(
            company.branches.filter(calcom_event_type_id__isnull=False).values_list(
                "calcom_event_type_id", flat=True
            )
        )
    )
    if not event_type_ids:
        return report
    with calendar_failures(ErrorType.SERVICE_UNAVAILABLE):
        calendar = calendar_for(company)
        # What Cal.com says now is the newest news there is, whatever its updatedAt says.
        bookings = [
            replace(b, changed_at=now)
            for b in calendar.bookings(
                event_type_ids=event_type_ids, after=report.after, before=report.before
            )
        ]
        report.checked = len(bookings)
        _compare(company, bookings, report)
        _look_up_unlisted(company, calendar, {b.uid for b in bookings}, report, now)
    return report


def _compare(company: Company, bookings: list[CalendarBooking], report: ReconcileReport) -> None:
    ours = {
        a.calcom_booking_uid: a
        for a in Appointment.objects.filter(company=company, calcom_booking_uid__in=[b.uid for b in bookings])
    }
    # The bookings a move cancelled first, so the ones that replaced them are linked to them.
    for booking in sorted(bookings, key=lambda b: (not b.rescheduled_to_uid, b.start or report.after)):
        _repair(company, ours.get(booking.uid), booking, report)


def _look_up_unlisted(company: Company, calendar, listed: set[str], report: ReconcileReport, now) -> None:
    """Our active appointments in the window that Cal.com did not list: read each one."""
    unlisted = (
        Appointment.objects.filter(
            company=company, status__in=ACTIVE, start__range=(report.after, report.before)
        )
        .exclude(calcom_booking_uid="")
        .exclude(calcom_booking_uid__in=listed)
        .order_by("start")
    )
    for appointment in unlisted[:LOOKUPS_PER_RUN]:
        try:
            booking = replace(calendar.get(appointment.calcom_booking_uid), changed_at=now)
        except NotFound:
            report.repairs.append(Repair(appointment.calcom_booking_uid, "not_in_calendar", appointment.pk))
            logger.warning("appointment %s: booking not found in Cal.com; left for staff", appointment.pk)
            continue
        _repair(company, appointment, booking, report)


def _repair(company: Company, appointment: Appointment | None, booking: CalendarBooking, report) -> None:
    change = booking_difference(appointment, booking)
    if not change:
        return
    if not report.dry_run:
        appointment = calendar_booking_apply(company=company, booking=booking, appointment=appointment)
        if appointment is None:  # not a booking of the company's event types after all
            return
        metrics.calendar_repairs_total.labels(change).inc()
    report.repairs.append(Repair(booking.uid, change, appointment.pk if appointment else None))


def calendars_reconcile() -> list[ReconcileReport]:
    """Every active company with a Cal.com key and a branch that books (the periodic task)."""
    reports = []
    companies = Company.objects.filter(is_active=True, branches__calcom_event_type_id__isnull=False)
    for company in companies.exclude(calcom_api_key=None).distinct():
        try:
            reports.append(calendar_reconcile(company=company))
        except BookingError as exc:
            logger.warning("reconciliation of company %s skipped: %s", company.pk, exc.error_type)
    return reports
