from django.contrib import admin

from companies.admin_scoping import CompanyScopedAdmin
from telephony.models import Call


@admin.register(Call)
class CallAdmin(CompanyScopedAdmin):
    list_display = ["retell_call_id", "started_at", "from_number", "to_number", "branch", "status", "company"]
    list_filter = ["company", "status", "direction", "branch"]
    list_select_related = ["company", "branch"]
    search_fields = ["retell_call_id", "from_number", "to_number", "customer__name"]
    autocomplete_fields = ["company", "branch", "customer", "appointment"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "retell_call_id",
        "agent_id",
        "from_number",
        "to_number",
        "direction",
        "status",
        "started_at",
        "ended_at",
        "duration_ms",
        "disconnection_reason",
        "transcript",
        "summary",
        "sentiment",
        "successful",
        "analysis",
        "dynamic_variables",
        "created_at",
        "updated_at",
    ]
