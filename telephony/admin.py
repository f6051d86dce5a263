import json

from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from companies.admin_scoping import CompanyScopedAdmin, RecordedWorkAdmin
from companies.models import Company
from core.public_url import public_url_problem
from core.readable import transcript_html, values_html
from core.shown import shown_duration, shown_local
from integrations.errors import IntegrationError
from telephony.calls import call_outcome
from telephony.models import Call, WebhookEvent
from telephony.retell.agents import retell_setup, webhook_configuration_validate
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message
from telephony.retell.phone_sync import phone_numbers_sync
from telephony.services import webhook_event_process


@admin.register(Call)
class CallAdmin(CompanyScopedAdmin):
    list_display = ["started", "caller", "branch", "duration", "outcome", "booked_appointment"]
    list_filter = ["company", "status", "direction", "branch"]
    list_select_related = ["company", "branch", "customer"]
    # Transcripts and summaries are encrypted at rest (the database cannot look inside them):
    # staff find a call by the caller's number, the call id or the customer's name.
    search_fields = ["retell_call_id", "from_number", "to_number", "customer__name"]
    autocomplete_fields = ["company", "branch", "customer"]
    date_hierarchy = "started_at"
    fieldsets = [
        (None, {"fields": ["started", "caller", "branch", "duration", "outcome", "booked_appointment"]}),
        (_("What was said"), {"fields": ["summary", "transcript_shown"]}),
        (_("Analysis"), {"fields": ["sentiment", "successful", "analysis_shown", "variables_shown"]}),
        (
            _("Technical detail"),
            {
                "classes": ["collapse"],
                "fields": [
                    "retell_call_id",
                    "agent_id",
                    "from_number",
                    "to_number",
                    "direction",
                    "status",
                    "disconnection_reason",
                    "availability_checks",
                    "slots_offered",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]
    readonly_fields = [
        "started",
        "caller",
        "duration",
        "outcome",
        "booked_appointment",
        "transcript_shown",
        "analysis_shown",
        "variables_shown",
        *(
            field.name
            for field in Call._meta.fields
            if field.name not in {"id", "company", "branch", "customer", "transcript", "analysis"}
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("appointments")

    def has_add_permission(self, request):
        return False  # calls come from Retell

    def _zone(self, call: Call) -> str:
        return call.branch.effective_timezone if call.branch else call.company.timezone

    @admin.display(description=_("Started"), ordering="started_at")
    def started(self, call: Call) -> str:
        return shown_local(call.started_at or call.created_at, self._zone(call))

    @admin.display(description=_("Caller"), ordering="from_number")
    def caller(self, call: Call) -> str:
        name = call.customer.name if call.customer else ""
        return (
            format_html("{}<br><span class='quiet'>{}</span>", name, call.from_number)
            if name
            else call.from_number
        )

    @admin.display(description=_("Duration"), ordering="duration_ms")
    def duration(self, call: Call) -> str:
        return shown_duration(call.duration_ms)

    @admin.display(description=_("Outcome"))
    def outcome(self, call: Call) -> str:
        label, tone = call_outcome(call)
        return format_html('<span class="badge badge-{}">{}</span>', tone, label)

    @admin.display(description=_("Appointment"))
    def booked_appointment(self, call: Call) -> str:
        links = [
            (
                reverse("admin:booking_appointment_change", args=[appointment.pk]),
                appointment.get_status_display(),
            )
            for appointment in call.appointments.all()
        ]
        return format_html_join(" ", '<a href="{}">{}</a>', links)

    @admin.display(description=_("Transcript"))
    def transcript_shown(self, call: Call) -> str:
        return transcript_html(call.transcript)

    @admin.display(description=_("Analysis"))
    def analysis_shown(self, call: Call) -> str:
        return values_html(call.analysis)

    @admin.display(description=_("Call variables"))
    def variables_shown(self, call: Call) -> str:
        return values_html(call.dynamic_variables)


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

    @admin.action(description=_("Replay (process again)"), permissions=["rerun"])
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


@admin.action(description=_("Sync phone numbers from Retell"), permissions=["change"])
def sync_phone_numbers(modeladmin, request, queryset):
    for company, report in _retell_results(modeladmin, request, queryset, phone_numbers_sync):
        level = messages.WARNING if report.conflicts or report.skipped else messages.SUCCESS
        modeladmin.message_user(request, f"{company}: {report.summary()}", level)
        if report.created:
            modeladmin.message_user(
                request,
                _("%(company)s: assign a branch to %(numbers)s to take calls.")
                % {"company": company, "numbers": ", ".join(report.created)},
                messages.INFO,
            )


@admin.action(description=_("Validate Retell webhook configuration"), permissions=["change"])
def validate_webhook_configuration(modeladmin, request, queryset):
    for company, checks in _retell_results(modeladmin, request, queryset, webhook_configuration_validate):
        if not checks:
            modeladmin.message_user(
                request,
                _("%(company)s: no number has an inbound agent; sync phone numbers first.")
                % {"company": company},
                messages.WARNING,
            )
        for check in checks:
            level = messages.WARNING if check.notes else messages.SUCCESS
            modeladmin.message_user(
                request, f"{company}: {check.describe()}", level if check.ok else messages.ERROR
            )


_company_admin = admin.site.get_model_admin(Company)
_company_admin.actions = [*_company_admin.actions, sync_phone_numbers, validate_webhook_configuration]


def retell_setup_panel(request, company: Company) -> dict:
    """The company page's Retell set-up: the URLs and tool definitions staff paste into Retell,
    from PUBLIC_BASE_URL, with a warning when Retell could not reach that address."""
    setup = retell_setup(company=company)
    return {
        "template": "telephony/retell_setup_panel.html",
        "urls": [
            (_("Inbound call webhook"), setup["inbound_webhook_url"]),
            (_("Agent webhook (call events)"), setup["webhook_url"]),
            (_("Custom functions"), setup["functions_url"]),
        ],
        "tools_json": json.dumps(setup["tools"], indent=2, ensure_ascii=False),
        "problem": public_url_problem(settings.PUBLIC_BASE_URL),
    }


_company_admin.panels = [*_company_admin.panels, retell_setup_panel]
