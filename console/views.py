"""The staff console's pages inside the admin (console.site): the dashboard, the "needs attention"
list with its actions, and a company's set-up check. Scope: a staff member sees their company
only; a superuser sees all companies; anyone else nothing (deny by default)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from booking.models import AppointmentSource
from booking.reasons import booking_failure_reason
from booking.services import BookingError, booking_create
from companies.admin_scoping import staff_company
from companies.models import Company
from console.attention import attention_follow_up, attention_item, attention_items
from console.dashboard import (
    Period,
    booking_funnel,
    branch_figures,
    connection_health,
    upcoming_appointments,
)
from console.setup_check import setup_checks
from core.shown import shown_local

ATTENTION_ON_DASHBOARD = 5


class Scope:
    """Whose rows a request may see: one company, or every company for a superuser."""

    def __init__(self, request):
        self.all = request.user.is_superuser
        self.company = None if self.all else staff_company(request)
        if not self.all and self.company is None:
            raise PermissionDenied

    @property
    def companies(self):
        return Company.objects.filter(is_active=True) if self.all else [self.company]

    @property
    def zone(self) -> str:
        return self.company.timezone if self.company else "Europe/Berlin"


def dashboard_context(request) -> dict:
    try:
        scope = Scope(request)
    except PermissionDenied:
        return {}
    period = Period.of(scope.zone)
    items = attention_items(scope.company)
    return {
        "dashboard": True,
        "show_company": scope.all,
        "branches": branch_figures(scope.company, period),
        "funnel": booking_funnel(scope.company, period.week),
        "upcoming": upcoming_appointments(scope.company),
        "health": [connection_health(company) for company in scope.companies],
        "attention": items[:ATTENTION_ON_DASHBOARD],
        "attention_count": len(items),
        "may_operate": request.user.has_perm("booking.add_appointment"),
    }


def attention_list(site, request):
    scope = Scope(request)
    context = {
        **site.each_context(request),
        "title": _("Needs attention"),
        "items": attention_items(scope.company),
        "show_company": scope.all,
        "may_book": request.user.has_perm("booking.add_appointment"),
        "may_follow_up": request.user.has_perm("booking.change_bookingrequest"),
    }
    return TemplateResponse(request, "console/attention.html", context)


def _open_item(request, subject: str):
    item = attention_item(Scope(request).company, subject)
    if item is None:
        raise Http404(_("Nothing open by that name."))
    return item


def _post_only(view):
    """Django's require_POST for views that take the admin site first."""

    def checked(site, request, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(site, request, **kwargs)

    return checked


def _back_to_list() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:attention"))


@_post_only
def attention_follow_up_view(site, request, subject: str):
    if not request.user.has_perm("booking.change_bookingrequest"):
        raise PermissionDenied
    item = _open_item(request, subject)
    note = request.POST.get("note", "").strip()[:2000] or _("Called back.")
    attention_follow_up(item, note=note, user=request.user)
    messages.success(request, _("%(name)s: followed up.") % {"name": item.caller_name or item.kind})
    return _back_to_list()


@_post_only
def attention_book_view(site, request, subject: str):
    """Book the person of a failed booking at one of the offered times, or another time typed."""
    if not request.user.has_perm("booking.add_appointment"):
        raise PermissionDenied
    item = _open_item(request, subject)
    start = _chosen_start(request)
    if not item.can_book or start is None:
        messages.error(request, _("Choose an offered time, or enter a date and a time."))
        return _back_to_list()
    try:
        booked = booking_create(
            company=item.company,
            branch=item.branch,
            start=start,
            name=item.caller_name or _("Caller"),
            phone=item.caller_phone or None,
            email=item.caller_email or None,
            source=AppointmentSource.ADMIN,
            idempotency_key=f"attention:{subject}:{start}",
        )
    except BookingError as exc:
        if exc.queued:  # kept: a worker books it once Cal.com answers; do not book another
            note = _("Booking noted by %(user)s; it is made once Cal.com answers.") % {
                "user": request.user.get_username()
            }
            attention_follow_up(item, note=note, user=request.user)
            messages.warning(request, note)
            return _back_to_list()
        reason = booking_failure_reason(exc.error_type, exc.message)
        messages.error(request, _("Not booked: %(reason)s") % {"reason": reason})
        return _back_to_list()
    when = shown_local(booked.appointment.start, item.zone)
    note = _("Booked for %(when)s by %(user)s.") % {"when": when, "user": request.user.get_username()}
    attention_follow_up(item, note=note, user=request.user)
    messages.success(
        request, _("%(name)s is booked for %(when)s.") % {"name": item.caller_name, "when": when}
    )
    return _back_to_list()


def _chosen_start(request) -> str | None:
    """An offered time (ISO with its offset) or the date and time typed on the branch's clock."""
    offered = request.POST.get("alternative", "").strip()
    if offered:
        return offered[:40]
    day, time = request.POST.get("date", "").strip(), request.POST.get("time", "").strip()
    return f"{day[:10]}T{time[:5]}" if day and time else None


def setup_check_view(site, request, company_id: int):
    scope = Scope(request)
    company = Company.objects.filter(pk=company_id).first()
    if company is None or not (scope.all or company == scope.company):
        raise Http404(_("No such company."))
    context = {
        **site.each_context(request),
        "title": _("Set-up check: %(company)s") % {"company": company.name},
        "company": company,
        "checks": setup_checks(company),
    }
    return TemplateResponse(request, "console/setup_check.html", context)
