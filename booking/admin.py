from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking import admin_edits
from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    CalendarNotice,
    Customer,
    WorkStatus,
)
from booking.notices import (
    LOOPBACK_WARNING,
    calendar_notice_process,
    calendar_notices_connect,
    calendar_notices_url,
)
from booking.reasons import booking_failure_reason
from booking.results import Alternative
from booking.services import (
    BookingError,
    appointment_cancel,
    appointment_change_retry,
    booking_request_retry,
    event_type_check,
)
from companies.admin_scoping import CompanyScopedAdmin, RecordedWorkAdmin
from companies.models import Branch, Company
from core.public_url import is_loopback
from core.readable import values_html
from core.shown import shown_local

STATUS_TONES = {
    AppointmentStatus.BOOKED: "ok",
    AppointmentStatus.PENDING: "warning",
    AppointmentStatus.REQUESTED: "warning",
    AppointmentStatus.FAILED: "wrong",
    AppointmentStatus.REJECTED: "wrong",
}


@admin.register(Customer)
class CustomerAdmin(CompanyScopedAdmin):
    list_display = ["phone", "name", "email", "company", "created_at"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["phone", "name", "email"]
    autocomplete_fields = ["company"]


def _run_each(modeladmin, request, objects, service, *, failed, succeeded) -> int:
    """Call `service(obj)` for each object; tell staff how many worked and why others did not.
    `failed` and `succeeded` are the messages, with %(reason)s and %(count)d."""
    count = 0
    for obj in objects:
        try:
            service(obj)
            count += 1
        except BookingError as exc:
            modeladmin.message_user(request, failed % {"reason": exc.message}, messages.ERROR)
    if count:
        modeladmin.message_user(request, succeeded % {"count": count}, messages.SUCCESS)
    return count


class RetryPermission:
    """Retrying a booking re-runs its BookingRequest: what "change" on those rows grants."""

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("booking.change_bookingrequest")


@admin.register(Appointment)
class AppointmentAdmin(RetryPermission, CompanyScopedAdmin):
    list_display = ["local_start", "person", "branch", "service", "source", "status_badge"]
    list_filter = ["company", "status", "source", "branch", "no_show"]
    list_select_related = ["company", "branch", "customer"]
    search_fields = [
        "attendee_name",
        "attendee_email",
        "customer__phone",
        "customer__name",
        "calcom_booking_uid",
        "calls__retell_call_id",
    ]
    autocomplete_fields = ["customer"]
    date_hierarchy = "start"
    # Cal.com holds these: they change through Cal.com (the Move, Cancel and Book forms, the
    # calendar's notices), never by editing our row. Which customer record it belongs to is ours.
    readonly_fields = [
        "local_start",
        "local_end",
        "person",
        "service",
        "status_badge",
        "failure_shown",
        "alternatives_shown",
        "metadata_shown",
        *(
            field.name
            for field in Appointment._meta.fields
            if field.name not in {"id", "customer", "metadata", "alternatives"}
        ),
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "local_start",
                    "local_end",
                    "branch",
                    "person",
                    "customer",
                    "service",
                    "source",
                    "status_badge",
                ]
            },
        ),
        (_("Why it did not go through"), {"fields": ["failure_shown", "alternatives_shown"]}),
        (
            _("Technical detail"),
            {
                "classes": ["collapse"],
                "fields": [
                    "company",
                    "attendee_name",
                    "attendee_email",
                    "start",
                    "end",
                    "status",
                    "event_type_id",
                    "calcom_booking_id",
                    "calcom_booking_uid",
                    "host_email",
                    "calendar_changed_at",
                    "no_show",
                    "rescheduled_from",
                    "attempts",
                    "failure_reason",
                    "metadata_shown",
                    "cancelled_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]
    actions = ["retry_failed_booking", "cancel_in_calcom"]

    @admin.display(description=_("Time"), ordering="start")
    def local_start(self, appointment: Appointment) -> str:
        return shown_local(appointment.start, appointment.branch.effective_timezone)

    @admin.display(description=_("Ends"))
    def local_end(self, appointment: Appointment) -> str:
        return shown_local(appointment.end, appointment.branch.effective_timezone)

    @admin.display(description=_("Reason"))
    def failure_shown(self, appointment: Appointment) -> str:
        if appointment.status != AppointmentStatus.FAILED:
            return "-"
        request = getattr(appointment, "booking_request", None)
        error = (request.result or {}).get("error", "") if request else ""
        return booking_failure_reason(error, appointment.failure_reason)

    @admin.display(description=_("Free instead"))
    def alternatives_shown(self, appointment: Appointment) -> str:
        zone = appointment.branch.effective_timezone
        times = [shown_local(Alternative.from_dict(a).start, zone) for a in appointment.alternatives or []]
        if not times:
            return "-"
        book_again = reverse("admin:booking_appointment_book_again", args=[appointment.pk])
        return format_html(
            '{} <a class="button" href="{}">{}</a>', ", ".join(times), book_again, gettext("Book one of them")
        )

    @admin.display(description=_("Details"))
    def metadata_shown(self, appointment: Appointment) -> str:
        return values_html(appointment.metadata) or "-"

    @admin.display(description=_("Person"), ordering="attendee_name")
    def person(self, appointment: Appointment) -> str:
        customer = appointment.customer
        name = appointment.attendee_name or (customer.name if customer else "")
        phone = customer.phone if customer else ""
        return format_html("{}<br><span class='quiet'>{}</span>", name, phone) if phone else name

    @admin.display(description=_("Service"))
    def service(self, appointment: Appointment) -> str:
        return str((appointment.metadata or {}).get("service", "")) or "-"

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, appointment: Appointment) -> str:
        tone = STATUS_TONES.get(appointment.status, "neutral")
        return format_html('<span class="badge badge-{}">{}</span>', tone, appointment.get_status_display())

    def get_urls(self):
        def edit(view):
            def scoped(request, object_id):
                return view(self, request, self.get_object(request, object_id))

            return self.admin_site.admin_view(scoped)

        return [
            path("<path:object_id>/move/", edit(admin_edits.move_view), name="booking_appointment_move"),
            path(
                "<path:object_id>/cancel/", edit(admin_edits.cancel_view), name="booking_appointment_cancel"
            ),
            path(
                "<path:object_id>/book-again/",
                edit(lambda admin_, request, obj: admin_edits.book_view(admin_, request, again=obj)),
                name="booking_appointment_book_again",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """Adding an appointment books it in Cal.com."""
        return admin_edits.book_view(self, request)

    @admin.action(description=_("Retry failed booking in Cal.com"), permissions=["retry"])
    def retry_failed_booking(self, request, queryset):
        retryable = queryset.filter(
            status__in=[AppointmentStatus.FAILED, AppointmentStatus.REQUESTED],
            booking_request__isnull=False,
        ).select_related("booking_request")
        if not retryable:
            self.message_user(
                request, _("None of the selected appointments can be retried."), messages.WARNING
            )
        _run_each(
            self,
            request,
            retryable,
            lambda a: booking_request_retry(booking_request=a.booking_request, include_failed=True),
            failed=_("Retry failed: %(reason)s"),
            succeeded=_("Retry: %(count)d succeeded."),
        )

    @admin.action(description=_("Cancel in Cal.com"), permissions=["change"])
    def cancel_in_calcom(self, request, queryset):
        # Sent to Cal.com and kept there: not translated.
        reason = f"Cancelled by staff ({request.user.get_username()})"
        appointments = queryset.select_related("company", "branch")
        _run_each(
            self,
            request,
            appointments,
            lambda a: appointment_cancel(
                company=a.company, appointment=a, reason=reason, source=AppointmentSource.ADMIN
            ),
            failed=_("Cancel failed: %(reason)s"),
            succeeded=_("Cancel: %(count)d succeeded."),
        )


def _outcome(label: str, service) -> tuple[bool, str]:
    """Whether `service()` worked, and what to tell staff about `label`."""
    try:
        return True, f"{label}: {service().message}"
    except BookingError as exc:
        return False, f"{label}: {exc.message}"


@admin.register(BookingRequest)
class BookingRequestAdmin(RecordedWorkAdmin):
    """Every booking wish as received: what happened to it and why, replayable."""

    list_display = ["created_at", "company", "source", "status", "attempts", "call_id", "next_attempt_at"]
    list_filter = ["company", "status", "source"]
    list_select_related = ["company"]
    search_fields = ["call_id", "idempotency_key"]
    date_hierarchy = "created_at"
    rerun_permission = "booking.change_bookingrequest"
    actions = ["retry"]

    def rerun(self, booking_request) -> tuple[bool, str]:
        label = _("Booking request %(id)s") % {"id": booking_request.pk}
        return _outcome(
            label, lambda: booking_request_retry(booking_request=booking_request, include_failed=True)
        )

    @admin.action(description=_("Retry now"), permissions=["rerun"])
    def retry(self, request, queryset):
        self.rerun_each(request, queryset.filter(status__in=[WorkStatus.RETRYING, WorkStatus.FAILED]))


@admin.register(AppointmentChange)
class AppointmentChangeAdmin(RecordedWorkAdmin):
    """Every move and cancellation as asked for: what happened to it and why, retryable."""

    list_display = ["created_at", "kind", "appointment", "source", "status", "attempts", "company"]
    list_filter = ["company", "kind", "status", "source"]
    list_select_related = ["company", "appointment"]
    search_fields = ["call_id", "appointment__calcom_booking_uid"]
    date_hierarchy = "created_at"
    rerun_permission = "booking.change_appointmentchange"
    actions = ["retry"]

    def rerun(self, change) -> tuple[bool, str]:
        label = _("%(kind)s of appointment %(appointment)s") % {
            "kind": change.get_kind_display(),
            "appointment": change.appointment_id,
        }
        return _outcome(label, lambda: appointment_change_retry(change=change, include_failed=True))

    @admin.action(description=_("Retry now"), permissions=["rerun"])
    def retry(self, request, queryset):
        self.rerun_each(request, queryset.filter(status__in=[WorkStatus.RETRYING, WorkStatus.FAILED]))


@admin.register(CalendarNotice)
class CalendarNoticeAdmin(RecordedWorkAdmin):
    """Cal.com's booking webhooks as delivered; the raw body is read-only, failures replayable."""

    list_display = ["received_at", "trigger", "booking_uid", "status", "attempts", "company"]
    list_filter = ["company", "status", "trigger"]
    list_select_related = ["company"]
    search_fields = ["booking_uid"]
    date_hierarchy = "received_at"
    rerun_permission = "booking.change_calendarnotice"
    actions = ["replay"]

    def rerun(self, notice) -> tuple[bool, str]:
        result = calendar_notice_process(notice_id=notice.pk, include_failed=True)
        return bool(result.get("success")), f"{notice.trigger} {notice.booking_uid}: {result.get('message')}"

    @admin.action(description=_("Replay (process again)"), permissions=["rerun"])
    def replay(self, request, queryset):
        self.rerun_each(request, queryset)


@admin.action(description=_("Check event type in Cal.com"), permissions=["view"])
def check_event_type(modeladmin, request, queryset):
    """Does the branch's event type exist for the company's key? Only reads Cal.com."""
    for branch in queryset.select_related("company"):
        try:
            found = event_type_check(company=branch.company, branch=branch)
        except BookingError as exc:
            modeladmin.message_user(request, f"{branch.name}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{branch.name}: {found.label}", messages.SUCCESS)
            if found.phone_only_bookable is False:
                modeladmin.message_user(request, _phone_only_warning(branch, found), messages.WARNING)


def _phone_only_warning(branch, event_type) -> str:
    if event_type.email_required:
        return gettext(
            "%(branch)s: the event type requires an email address, so every caller who gives only "
            "a phone number fails to be booked. Make its 'Email' question optional and hidden in Cal.com."
        ) % {"branch": branch.name}
    return gettext(
        "%(branch)s: the event type does not collect a phone number; add that question in Cal.com."
    ) % {"branch": branch.name}


# What calendar_notices_connect did ("created" or "repaired"), told whole so it translates.
CONNECTED = {
    "created": _("%(company)s: Cal.com webhooks created; they go to %(url)s."),
    "repaired": _("%(company)s: Cal.com webhooks repaired; they go to %(url)s."),
}


@admin.action(description=_("Connect Cal.com booking webhooks"), permissions=["change"])
def connect_calcom_webhooks(modeladmin, request, queryset):
    """Cal.com sends each company's booking changes here (a new secret; an existing subscription
    is repaired); a loopback PUBLIC_BASE_URL is pointed out, as Cal.com cannot reach it."""
    for company in queryset:
        url = calendar_notices_url(company=company)
        try:
            outcome = calendar_notices_connect(company=company)
        except BookingError as exc:
            modeladmin.message_user(request, f"{company}: {exc.message}", messages.ERROR)
            continue
        said = CONNECTED.get(outcome, _("%(company)s: Cal.com webhooks %(outcome)s; they go to %(url)s."))
        modeladmin.message_user(
            request, said % {"company": company, "outcome": outcome, "url": url}, messages.SUCCESS
        )
        if is_loopback(url):
            modeladmin.message_user(request, _(LOOPBACK_WARNING), messages.WARNING)


# Branches and companies are administered with the tenant (companies/admin.py); the Cal.com
# actions on them are booking's.
_branch_admin = admin.site.get_model_admin(Branch)
_branch_admin.actions = [*_branch_admin.actions, check_event_type]
_company_admin = admin.site.get_model_admin(Company)
_company_admin.actions = [*_company_admin.actions, connect_calcom_webhooks]
