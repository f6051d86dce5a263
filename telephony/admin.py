from django.contrib import admin, messages

from companies.admin_scoping import CompanyScopedAdmin, RecordedWorkAdmin
from companies.models import Company
from integrations.errors import IntegrationError
from telephony.models import Call, WebhookEvent
from telephony.retell.agents import webhook_configuration_validate
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message
from telephony.retell.phone_sync import phone_numbers_sync
from telephony.services import webhook_event_process


@admin.register(Call)
class CallAdmin(CompanyScopedAdmin):
    list_display = ["retell_call_id", "started_at", "from_number", "to_number", "branch", "status", "company"]
    list_filter = ["company", "status", "direction", "branch"]
    list_select_related = ["company", "branch"]
    search_fields = ["retell_call_id", "from_number", "to_number", "customer__name"]
    autocomplete_fields = ["company", "branch", "customer"]
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
        "appointments",
        "created_at",
        "updated_at",
    ]


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordedWorkAdmin):
    """The inbox as Retell delivered it; the raw body is read-only, failures can be replayed."""

    list_display = ["received_at", "event", "call_id", "status", "attempts", "company", "next_attempt_at"]
    list_filter = ["company", "status", "event"]
    list_select_related = ["company"]
    search_fields = ["call_id"]
    date_hierarchy = "received_at"
    rerun_permission = "telephony.change_webhookevent"
    actions = ["replay"]

    def rerun(self, event) -> tuple[bool, str]:
        result = webhook_event_process(event_id=event.pk, include_failed=True)
        return bool(result.get("success")), f"{event.event} {event.call_id}: {result.get('message')}"

    @admin.action(description="Replay (process again)", permissions=["rerun"])
    def replay(self, request, queryset):
        self.rerun_each(request, queryset)


# -- Retell actions on the company (the company admin itself lives with the tenant models) --------
# The queryset is already scoped by get_queryset: staff can only select their own company.


def _retell_results(modeladmin, request, queryset, work):
    """(company, what `work` gave) for each selected company; a Retell failure is told to staff."""
    for company in queryset:
        try:
            yield company, work(company=company)
        except (RetellNotConfigured, IntegrationError) as exc:
            modeladmin.message_user(request, f"{company}: {retell_failure_message(exc)}", messages.ERROR)


@admin.action(description="Sync phone numbers from Retell", permissions=["change"])
def sync_phone_numbers(modeladmin, request, queryset):
    for company, report in _retell_results(modeladmin, request, queryset, phone_numbers_sync):
        level = messages.WARNING if report.conflicts or report.skipped else messages.SUCCESS
        modeladmin.message_user(request, f"{company}: {report.summary()}", level)
        if report.created:
            modeladmin.message_user(
                request,
                f"{company}: assign a branch to {', '.join(report.created)} to take calls.",
                messages.INFO,
            )


@admin.action(description="Validate Retell webhook configuration", permissions=["change"])
def validate_webhook_configuration(modeladmin, request, queryset):
    for company, checks in _retell_results(modeladmin, request, queryset, webhook_configuration_validate):
        if not checks:
            modeladmin.message_user(
                request,
                f"{company}: no number has an inbound agent; sync phone numbers first.",
                messages.WARNING,
            )
        for check in checks:
            level = messages.WARNING if check.notes else messages.SUCCESS
            modeladmin.message_user(
                request, f"{company}: {check.describe()}", level if check.ok else messages.ERROR
            )


_company_admin = admin.site.get_model_admin(Company)
_company_admin.actions = [*_company_admin.actions, sync_phone_numbers, validate_webhook_configuration]
