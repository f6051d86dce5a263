from django.contrib import admin, messages

from booking.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    BookingRequestStatus,
    Customer,
)
from booking.services import BookingError, appointment_cancel, booking_request_retry, event_type_check
from companies.admin_scoping import CompanyScopedAdmin
from companies.models import Branch


@admin.register(Customer)
class CustomerAdmin(CompanyScopedAdmin):
    list_display = ["phone", "name", "email", "company", "created_at"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["phone", "name", "email"]
    autocomplete_fields = ["company"]


def _run_each(modeladmin, request, objects, service, verb: str) -> int:
    """Call `service(obj)` for each object; tell staff how many worked and why others did not."""
    succeeded = 0
    for obj in objects:
        try:
            service(obj)
            succeeded += 1
        except BookingError as exc:
            modeladmin.message_user(request, f"{verb} failed: {exc.message}", messages.ERROR)
    if succeeded:
        modeladmin.message_user(request, f"{verb}: {succeeded} succeeded.", messages.SUCCESS)
    return succeeded


class RetryPermission:
    """Retrying a booking re-runs its BookingRequest: what "change" on those rows grants."""

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("booking.change_bookingrequest")


@admin.register(Appointment)
class AppointmentAdmin(RetryPermission, CompanyScopedAdmin):
    list_display = ["start", "branch", "customer", "status", "source", "company", "attempts"]
    list_filter = ["company", "status", "source", "branch"]
    list_select_related = ["company", "branch", "customer"]
    search_fields = ["customer__phone", "customer__name", "calcom_booking_uid", "calls__retell_call_id"]
    autocomplete_fields = ["company", "branch", "customer"]
    date_hierarchy = "start"
    readonly_fields = [
        "calcom_booking_id",
        "calcom_booking_uid",
        "rescheduled_from",
        "attempts",
        "failure_reason",
        "metadata",
        "alternatives",
        "cancelled_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry_failed_booking", "cancel_in_calcom"]

    @admin.action(description="Retry failed booking in Cal.com", permissions=["retry"])
    def retry_failed_booking(self, request, queryset):
        retryable = queryset.filter(
            status__in=[AppointmentStatus.FAILED, AppointmentStatus.REQUESTED],
            booking_request__isnull=False,
        ).select_related("booking_request")
        if not retryable:
            self.message_user(request, "None of the selected appointments can be retried.", messages.WARNING)
        _run_each(
            self,
            request,
            retryable,
            lambda a: booking_request_retry(booking_request=a.booking_request, include_failed=True),
            "Retry",
        )

    @admin.action(description="Cancel in Cal.com", permissions=["change"])
    def cancel_in_calcom(self, request, queryset):
        reason = f"Cancelled by staff ({request.user.get_username()})"
        appointments = queryset.select_related("company", "branch")
        _run_each(
            self,
            request,
            appointments,
            lambda a: appointment_cancel(
                company=a.company, appointment=a, reason=reason, source=AppointmentSource.ADMIN
            ),
            "Cancel",
        )


@admin.register(BookingRequest)
class BookingRequestAdmin(RetryPermission, CompanyScopedAdmin):
    """Every booking wish as received: what happened to it and why, replayable."""

    list_display = ["created_at", "company", "source", "status", "attempts", "call_id", "next_attempt_at"]
    list_filter = ["company", "status", "source"]
    list_select_related = ["company"]
    search_fields = ["call_id", "idempotency_key"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "company",
        "idempotency_key",
        "status",
        "source",
        "call_id",
        "payload",
        "result",
        "appointment",
        "attempts",
        "last_error",
        "lease_until",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now", permissions=["retry"])
    def retry(self, request, queryset):
        pending = queryset.filter(status__in=[BookingRequestStatus.RETRYING, BookingRequestStatus.FAILED])
        _run_each(
            self,
            request,
            pending,
            lambda r: booking_request_retry(booking_request=r, include_failed=True),
            "Retry",
        )


@admin.action(description="Check event type in Cal.com", permissions=["view"])
def check_event_type(modeladmin, request, queryset):
    """Does the branch's event type exist for the company's key? Only reads Cal.com."""
    for branch in queryset.select_related("company"):
        try:
            found = event_type_check(company=branch.company, branch=branch)
        except BookingError as exc:
            modeladmin.message_user(request, f"{branch.name}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{branch.name}: {found.label}", messages.SUCCESS)


# Branches are administered with the tenant (companies/admin.py); the Cal.com check is booking's.
_branch_admin = admin.site.get_model_admin(Branch)
_branch_admin.actions = [*_branch_admin.actions, check_event_type]
