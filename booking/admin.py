from django.contrib import admin

from booking.models import Appointment, Customer
from companies.admin_scoping import CompanyScopedAdmin


@admin.register(Customer)
class CustomerAdmin(CompanyScopedAdmin):
    list_display = ["phone", "name", "email", "company", "created_at"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["phone", "name", "email"]
    autocomplete_fields = ["company"]


@admin.register(Appointment)
class AppointmentAdmin(CompanyScopedAdmin):
    list_display = ["start", "branch", "customer", "status", "source", "company", "attempts"]
    list_filter = ["company", "status", "source", "branch"]
    list_select_related = ["company", "branch", "customer"]
    search_fields = ["customer__phone", "customer__name", "calcom_booking_uid", "call__retell_call_id"]
    autocomplete_fields = ["company", "branch", "customer", "call"]
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
