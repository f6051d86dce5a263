from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from companies.admin_scoping import CompanyScopedAdmin, CompanyScopedInline
from companies.models import Branch, Company, PhoneNumber, StaffMembership
from companies.services import company_rotate_webhook_key, company_set_credentials


def _secret_input(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: type a key to set or replace it; leave empty to keep the current one.",
    )


class CompanyAdminForm(forms.ModelForm):
    calcom_base_url = forms.URLField(
        assume_scheme="https",
        initial=Company._meta.get_field("calcom_base_url").default,
        help_text="https://api.cal.com/v2 or, for EU accounts, https://api.cal.eu/v2",
    )
    new_calcom_api_key = _secret_input("Cal.com API key")
    new_retell_api_key = _secret_input("Retell API key (with webhook badge)")

    class Meta:
        model = Company
        fields = ["name", "slug", "timezone", "language", "calcom_base_url", "retell_rate_limit", "is_active"]


class BranchInline(CompanyScopedInline):
    model = Branch
    fields = ["name", "timezone", "language", "calcom_event_type_id", "calcom_team_id", "is_active"]


class PhoneNumberInline(CompanyScopedInline):
    model = PhoneNumber
    fields = ["number", "branch", "nickname", "is_active"]


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    form = CompanyAdminForm
    list_display = ["name", "slug", "timezone", "language", "is_active", "keys_configured"]
    list_filter = ["is_active", "language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["credentials_status", "webhook_key", "created_at", "updated_at"]
    inlines = [BranchInline, PhoneNumberInline]
    actions = ["rotate_webhook_key"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["name", "slug", "timezone", "language", "is_active"]}),
            (
                "Cal.com and Retell",
                {
                    "fields": [
                        "calcom_base_url",
                        "credentials_status",
                        "new_calcom_api_key",
                        "new_retell_api_key",
                        "webhook_key",
                        "retell_rate_limit",
                    ]
                },
            ),
            ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        company_set_credentials(
            company=obj,
            calcom_api_key=form.cleaned_data.get("new_calcom_api_key"),
            retell_api_key=form.cleaned_data.get("new_retell_api_key"),
        )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Keys", boolean=True)
    def keys_configured(self, obj: Company) -> bool:
        return bool(obj.calcom_api_key and obj.retell_api_key)

    @admin.display(description="Stored keys")
    def credentials_status(self, obj: Company) -> str:
        def state(secret) -> str:
            return "set" if secret else "not set"

        return format_html(
            "Cal.com: <b>{}</b> &middot; Retell: <b>{}</b>",
            state(obj.calcom_api_key),
            state(obj.retell_api_key),
        )

    @admin.action(description="Rotate webhook key (old URLs stop working)", permissions=["change"])
    def rotate_webhook_key(self, request, queryset):
        for company in queryset:
            company_rotate_webhook_key(company=company)
        self.message_user(
            request, f"Rotated the webhook key of {queryset.count()} companies.", messages.SUCCESS
        )

    # Telephony adds the Retell actions (telephony/admin.py): sync numbers, validate agents.


@admin.register(Branch)
class BranchAdmin(CompanyScopedAdmin):
    list_display = ["name", "company", "calcom_event_type_id", "calcom_team_id", "is_active"]
    list_filter = ["company", "is_active"]
    list_select_related = ["company"]
    search_fields = ["name", "address", "company__name"]
    autocomplete_fields = ["company"]
    # Booking adds "Check event type in Cal.com" (booking/admin.py): Cal.com is its business.


@admin.register(PhoneNumber)
class PhoneNumberAdmin(CompanyScopedAdmin):
    list_display = ["number", "nickname", "branch", "company", "is_active"]
    list_filter = ["company", "is_active"]
    list_select_related = ["company", "branch"]
    search_fields = ["number", "nickname", "branch__name"]
    autocomplete_fields = ["company", "branch"]
    readonly_fields = ["inbound_agent_ids", "updated_at"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    """Only superusers decide who works for which company."""

    list_display = ["user", "company", "role"]
    list_select_related = ["user", "company"]
    list_filter = ["company", "role"]
    search_fields = ["user__username", "company__name"]
    autocomplete_fields = ["user", "company"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
