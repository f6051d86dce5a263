"""The figures on the staff's start page, for one company (or all, for superusers): per branch
today's and this week's calls and bookings, the week's booking funnel, the upcoming appointments
and the health of the company's connections. Days and weeks are the company's (its time zone;
weeks start on Monday)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from booking.calendar import calendar_breaker
from booking.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    CalendarNotice,
    WorkStatus,
)
from booking.reasons import booking_failure_reason
from companies.models import Branch, Company
from core import clock
from core.shown import shown_local
from integrations.breaker import breaker_for
from telephony.models import Call, WebhookEvent, WebhookEventStatus

UPCOMING_SHOWN = 10
LIVE_STATES = [AppointmentStatus.BOOKED, AppointmentStatus.PENDING]


@dataclass(frozen=True)
class Period:
    today: datetime  # the company's midnight, as an aware instant
    week: datetime  # Monday's midnight

    @classmethod
    def of(cls, zone_name: str) -> "Period":
        zone = ZoneInfo(zone_name)
        today = clock.today_in(zone)
        monday = today - timedelta(days=today.weekday())
        return cls(
            today=datetime.combine(today, datetime.min.time(), zone),
            week=datetime.combine(monday, datetime.min.time(), zone),
        )


@dataclass(frozen=True)
class BranchFigures:
    branch: Branch
    calls_today: int
    calls_week: int
    live_today: int
    live_week: int
    after_call_today: int
    after_call_week: int


@dataclass(frozen=True)
class Funnel:
    calls: int
    asked: int  # calls whose agent asked for free times
    offered: int  # calls that were offered at least one
    booked: int  # calls that booked
    failed: list[tuple[str, int]]  # failed bookings by reason, plain language


@dataclass(frozen=True)
class Health:
    company: Company
    calcom_key: bool
    retell_key: bool
    calendar: str  # the Cal.com breaker: closed / open / half_open
    retell: str
    numbers_without_branch: int
    last_calendar_notice: str  # when Cal.com's last booking webhook was applied, shown
    last_call_event: str  # when Retell's last call event was processed


def _scoped(rows: QuerySet, company: Company | None) -> QuerySet:
    return rows if company is None else rows.filter(company=company)


def branch_figures(company: Company | None, period: Period) -> list[BranchFigures]:
    branches = _scoped(Branch.objects.filter(is_active=True), company).select_related("company")
    calls = _scoped(Call.objects.filter(started_at__gte=period.week), company)
    call_counts = calls.values("branch").annotate(
        week=Count("pk"), today=Count("pk", filter=Q(started_at__gte=period.today))
    )
    by_branch = {row["branch"]: row for row in call_counts}
    made = _scoped(Appointment.objects.filter(created_at__gte=period.week), company)
    booking_counts = made.values("branch").annotate(
        live_week=Count("pk", filter=Q(source=AppointmentSource.LIVE_CALL)),
        live_today=Count("pk", filter=Q(source=AppointmentSource.LIVE_CALL, created_at__gte=period.today)),
        after_week=Count("pk", filter=Q(source=AppointmentSource.POST_CALL)),
        after_today=Count("pk", filter=Q(source=AppointmentSource.POST_CALL, created_at__gte=period.today)),
    )
    bookings = {row["branch"]: row for row in booking_counts.filter(status__in=LIVE_STATES)}
    return [
        _figures(branch, by_branch.get(branch.pk, {}), bookings.get(branch.pk, {})) for branch in branches
    ]


def _figures(branch: Branch, calls: dict, bookings: dict) -> BranchFigures:
    return BranchFigures(
        branch=branch,
        calls_today=calls.get("today", 0),
        calls_week=calls.get("week", 0),
        live_today=bookings.get("live_today", 0),
        live_week=bookings.get("live_week", 0),
        after_call_today=bookings.get("after_today", 0),
        after_call_week=bookings.get("after_week", 0),
    )


def booking_funnel(company: Company | None, since: datetime) -> Funnel:
    calls = _scoped(Call.objects.filter(started_at__gte=since), company)
    # distinct: the appointments join repeats a call once per appointment it has.
    stages = calls.aggregate(
        calls=Count("pk", distinct=True),
        asked=Count("pk", filter=Q(availability_checks__gt=0), distinct=True),
        offered=Count("pk", filter=Q(slots_offered__gt=0), distinct=True),
        booked=Count("pk", filter=Q(appointments__status__in=LIVE_STATES), distinct=True),
    )
    failed = _scoped(BookingRequest.objects.filter(status=WorkStatus.FAILED, created_at__gte=since), company)
    reasons: dict[str, int] = {}
    for result, last_error in failed.values_list("result", "last_error"):
        reason = booking_failure_reason((result or {}).get("error", ""), last_error)
        reasons[reason] = reasons.get(reason, 0) + 1
    return Funnel(**stages, failed=sorted(reasons.items(), key=lambda pair: -pair[1]))


def upcoming_appointments(company: Company | None) -> list[tuple[Appointment, str]]:
    """The next appointments, each with its start on its branch's clock."""
    rows = _scoped(Appointment.objects.filter(status__in=LIVE_STATES, start__gte=clock.now()), company)
    rows = rows.select_related("branch", "customer").order_by("start")[:UPCOMING_SHOWN]
    return [(row, shown_local(row.start, row.branch.effective_timezone)) for row in rows]


def connection_health(company: Company) -> Health:
    notices = CalendarNotice.objects.filter(company=company, status=WorkStatus.SUCCEEDED)
    events = WebhookEvent.objects.filter(company=company, status=WebhookEventStatus.PROCESSED)
    last_notice = notices.order_by("-processed_at").values_list("processed_at", flat=True).first()
    last_event = events.order_by("-processed_at").values_list("processed_at", flat=True).first()
    calendar = calendar_breaker(company)
    return Health(
        company=company,
        calcom_key=bool(company.calcom_api_key),
        retell_key=bool(company.retell_api_key),
        calendar=calendar.state(),
        retell=breaker_for("retell").state(),
        numbers_without_branch=company.phone_numbers.filter(branch__isnull=True).count(),
        last_calendar_notice=shown_local(last_notice, company.timezone) or _("never"),
        last_call_event=shown_local(last_event, company.timezone) or _("never"),
    )
