"""Staff edits that reach Cal.com: add (book), move and cancel an appointment in admin, and book
a failed wish again (one of the times the calendar offered, or another).

Each goes through the booking services, like a caller's: if Cal.com refuses, the form says why
and our records stay as they were (a refused booking's wish is kept, failed, on its booking
request for the record; the appointment it would have made is not). These are plain views,
outside the admin's transaction: the services commit each step before Cal.com is called.
"""

import uuid
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from booking.models import Appointment, AppointmentSource, AppointmentStatus
from booking.reasons import refusal_for_staff
from booking.results import Alternative
from booking.scope import BOOKABLE_BRANCH
from booking.services import BookingError, appointment_cancel, appointment_reschedule, booking_create
from booking.times import zone
from companies.admin_scoping import staff_company
from companies.models import Branch

TEMPLATE = "admin/booking/appointment/calendar_edit.html"


class WhenForm(forms.Form):
    """A time on the branch's wall clock (the branch's zone is named beside it)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def wall_clock(self) -> datetime:
        return datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])


class MoveForm(WhenForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class BookForm(WhenForm):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=30, help_text=_("E.164 or as people write it")
    )
    email = forms.EmailField(label=_("Email"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["branch", "date", "time", "name", "phone", "email", "notes"]

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


def _staff_name(request) -> str:
    return request.user.get_username()


def _page(modeladmin, request, *, title: str, form, appointment=None, alternatives=None, zone_name=""):
    context = {
        "attempt": request.POST.get("attempt") or uuid.uuid4().hex,
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "form": form,
        "original": appointment,
        # Each at its own offset, the branch's wall clock (a template's date filter would show UTC);
        # the weekday in the staff member's language.
        "alternatives": [
            (a.start.isoformat(), date_format(a.start, "D d.m.Y H:i")) for a in alternatives or []
        ],
        "zone_name": zone_name,
    }
    return TemplateResponse(request, TEMPLATE, context)


def _change_url(appointment: Appointment) -> str:
    return reverse("admin:booking_appointment_change", args=[appointment.pk])


def _refused(form, exc: BookingError) -> list[Alternative]:
    """The refusal on the form; what is free instead, to offer."""
    form.add_error(None, refusal_for_staff(exc.error_type, exc.message))
    return exc.alternatives or []


def move_view(modeladmin, request, appointment: Appointment):
    _require(modeladmin.has_change_permission(request, appointment))
    local = appointment.start.astimezone(_zone(appointment.branch))
    form = MoveForm(request.POST or None, initial={"date": local.date(), "time": local.time()})
    alternatives = []
    if request.method == "POST" and form.is_valid():
        # Sent to Cal.com and kept there: not translated.
        reason = form.cleaned_data["reason"] or f"Moved by staff ({_staff_name(request)})"
        try:
            moved = appointment_reschedule(
                company=appointment.company,
                appointment=appointment,
                start=_chosen_start(request, form),
                reason=reason,
                source=AppointmentSource.ADMIN,
            )
        except BookingError as exc:
            if exc.queued:
                return _kept(modeladmin, request, appointment, exc)
            alternatives = _refused(form, exc)
        else:
            modeladmin.message_user(
                request,
                _("Moved in Cal.com: %(appointment)s.") % {"appointment": moved.appointment},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_change_url(moved.appointment))
    title = _("Move in Cal.com: %(appointment)s") % {"appointment": appointment}
    return _page(
        modeladmin,
        request,
        title=title,
        form=form,
        appointment=appointment,
        alternatives=alternatives,
        zone_name=appointment.branch.effective_timezone,
    )


def cancel_view(modeladmin, request, appointment: Appointment):
    _require(modeladmin.has_change_permission(request, appointment))
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Sent to Cal.com and kept there: not translated.
        reason = form.cleaned_data["reason"] or f"Cancelled by staff ({_staff_name(request)})"
        try:
            appointment_cancel(
                company=appointment.company,
                appointment=appointment,
                reason=reason,
                source=AppointmentSource.ADMIN,
            )
        except BookingError as exc:
            if exc.queued:
                return _kept(modeladmin, request, appointment, exc)
            form.add_error(None, refusal_for_staff(exc.error_type, exc.message))
        else:
            modeladmin.message_user(
                request,
                _("Cancelled in Cal.com: %(appointment)s.") % {"appointment": appointment},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_change_url(appointment))
    title = _("Cancel in Cal.com: %(appointment)s") % {"appointment": appointment}
    return _page(modeladmin, request, title=title, form=form, appointment=appointment)


def book_view(modeladmin, request, *, again: Appointment | None = None):
    """Book in Cal.com: a new appointment, or again for a failed one (its person and wish)."""
    _require(modeladmin.has_add_permission(request))
    branches = _branches(request)
    form = BookForm(request.POST or None, branches=branches, initial=_initial(again))
    alternatives = [Alternative.from_dict(a) for a in again.alternatives] if again else []
    if request.method == "POST" and form.is_valid():
        branch = form.cleaned_data["branch"]
        try:
            booked = booking_create(
                company=branch.company,
                branch=branch,
                start=_chosen_start(request, form),
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"] or None,
                email=form.cleaned_data["email"] or None,
                notes=form.cleaned_data["notes"] or None,
                source=AppointmentSource.ADMIN,
                idempotency_key=_attempt_key(request, form),
            )
        except BookingError as exc:
            if exc.queued:
                return _kept(modeladmin, request, exc.appointment, exc)
            _forget_refused(exc)
            alternatives = _refused(form, exc)
        else:
            said = (
                _("%(appointment)s: requested in Cal.com (the host confirms it).")
                if booked.pending
                else _("%(appointment)s: booked in Cal.com.")
            )
            modeladmin.message_user(request, said % {"appointment": booked.appointment}, messages.SUCCESS)
            return HttpResponseRedirect(_change_url(booked.appointment))
    title = (
        _("Book again: %(appointment)s") % {"appointment": again}
        if again
        else _("Book an appointment in Cal.com")
    )
    zone = again.branch.effective_timezone if again else _("the branch's time zone")
    return _page(
        modeladmin,
        request,
        title=title,
        form=form,
        appointment=again,
        alternatives=alternatives,
        zone_name=zone,
    )


def _branches(request):
    branches = Branch.objects.filter(BOOKABLE_BRANCH).select_related("company")
    if request.user.is_superuser:
        return branches
    company = staff_company(request)
    return branches.filter(company=company) if company else branches.none()


def _initial(again: Appointment | None) -> dict:
    if again is None:
        return {}
    local = again.start.astimezone(_zone(again.branch))
    customer = again.customer
    return {
        "branch": again.branch_id,
        "date": local.date(),
        "time": local.time(),
        "name": again.attendee_name or (customer.name if customer else ""),
        "phone": customer.phone if customer else "",
        "email": again.attendee_email or (customer.email if customer else ""),
    }


def _chosen_start(request, form: WhenForm):
    """An offered alternative (its exact start, with its offset) or the date and time typed."""
    return request.POST.get("alternative") or form.wall_clock()


def _attempt_key(request, form: BookForm) -> str | None:
    """The form carries a token per page view: a double click books once; another time is
    another booking."""
    attempt = request.POST.get("attempt", "")[:64]
    return f"admin:{attempt}:{_chosen_start(request, form)}" if attempt else None


def _forget_refused(exc: BookingError) -> None:
    """Nothing changes locally when Cal.com refuses an admin booking: the appointment the wish
    made goes; the booking request keeps the wish and the refusal for the record."""
    if exc.appointment is not None and exc.appointment.status == AppointmentStatus.FAILED:
        exc.appointment.delete()


def _kept(modeladmin, request, appointment, exc: BookingError):
    modeladmin.message_user(
        request, _("%(reason)s Nothing else to do now.") % {"reason": exc.message}, messages.WARNING
    )
    target = (
        _change_url(appointment)
        if appointment is not None
        else reverse("admin:booking_appointment_changelist")
    )
    return HttpResponseRedirect(target)


def _zone(branch: Branch):
    return zone(branch.effective_timezone)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
