from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from companies import admin_users  # noqa: F401  (registers Django's users and groups, audited)
from companies.admin_scoping import AuditedAdmin, CompanyScopedAdmin, CompanyScopedInline
from companies.models import Branch, Company, PhoneNumber, Service, StaffMembership
from companies.services import branch_number_assign, company_rotate_webhook_key, company_set_credentials
from companies.validators import normalize_e164
from companies.zones import timezone_choices


def _secret_input(label: str) -> forms.CharField:
    # render_value: a key typed into a form that fails elsewhere is kept, not silently dropped;
    # only what this person typed in this form is ever sent back (the stored key never is).
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: type a key to set or replace it; leave empty to keep the current one."),
    )


class CompanyAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("time zone"), choices=timezone_choices, initial="Europe/Berlin")
    calcom_base_url = forms.URLField(
        label=_("Cal.com API address"),
        assume_scheme="https",
        initial=Company._meta.get_field("calcom_base_url").default,
        help_text=_("https://api.cal.com/v2 or, for EU accounts, https://api.cal.eu/v2"),
    )
    new_calcom_api_key = _secret_input(_("Cal.com API key"))
    new_retell_api_key = _secret_input(_("Retell API key (with webhook badge)"))

    class Meta:
        model = Company
        fields = [
            "name",
            "slug",
            "timezone",
            "language",
            "calcom_base_url",
            "retell_rate_limit",
            "retention_days",
            "appointment_retention_days",
            "is_active",
        ]


class BranchForm(forms.ModelForm):
    """A branch with the number that rings there, so a company, its branches and their numbers
    are set up in one form (a number cannot pick a branch that is not saved yet)."""

    timezone = forms.ChoiceField(
        label=_("time zone"), choices=lambda: [("", _("as the company")), *timezone_choices()], required=False
    )
    phone_number = forms.CharField(
        label=_("phone number"),
        required=False,
        max_length=40,
        help_text=_("The Retell number callers dial for this branch."),
    )

    class Meta:
        model = Branch
        fields = [
            "company",
            "name",
            "address",
            "timezone",
            "language",
            "calcom_event_type_id",
            "calcom_team_id",
            "opening_hours",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.initial.get("phone_number"):
            first = self.instance.phone_numbers.order_by("number").first()
            self.initial["phone_number"] = first.number if first else ""

    def clean_phone_number(self) -> str:
        typed = self.cleaned_data.get("phone_number", "")
        if not typed:
            return ""
        number = normalize_e164(typed)
        owner = PhoneNumber.objects.filter(number=number).values_list("company_id", flat=True).first()
        chosen = self.cleaned_data.get("company")  # a superuser's form names it; staff's is set
        company_id = chosen.pk if chosen else self.instance.company_id
        if owner is not None and owner != company_id:
            # Never tell one tenant that another one has this number.
            raise ValidationError(_("This number cannot be used."))
        return number


class BranchInline(CompanyScopedInline):
    model = Branch
    form = BranchForm
    fields = [
        "name",
        "phone_number",
        "timezone",
        "language",
        "calcom_event_type_id",
        "calcom_team_id",
        "is_active",
    ]
    extra = 1


class ServiceInline(admin.TabularInline):
    """What the branch offers callers, each in its own Cal.com event type (scoped with its
    branch: the inline only ever shows the branch's own services)."""

    model = Service
    fields = ["name_de", "name_en", "synonyms", "calcom_event_type_id", "is_active"]
    extra = 0


class PhoneNumberInline(CompanyScopedInline):
    model = PhoneNumber
    fields = ["number", "branch", "nickname", "is_active"]
    verbose_name_plural = _("all phone numbers (also those synced from Retell)")


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    form = CompanyAdminForm
    list_display = ["name", "slug", "timezone", "language", "is_active", "keys_configured"]
    list_filter = ["is_active", "language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["credentials_status", "webhook_key_shown", "setup_check", "created_at", "updated_at"]
    actions = ["rotate_webhook_key"]
    change_form_template = "admin/companies/company/change_form.html"
    # Panels other apps add to the company page (telephony: the Retell set-up): each a callable
    # (request, company) -> {"title", "template", ...} rendered below the form.
    panels: list = []

    def get_inlines(self, request, obj=None):
        return [BranchInline] if obj is None else [BranchInline, PhoneNumberInline]

    def get_fieldsets(self, request, obj=None):
        keys = ["calcom_base_url", "credentials_status", "new_calcom_api_key", "new_retell_api_key"]
        if not self.has_change_permission(request, obj):
            keys = ["calcom_base_url", "credentials_status"]
        return [
            (None, {"fields": ["name", "slug", "timezone", "language", "is_active"]}),
            (_("Cal.com and Retell"), {"fields": [*keys, "webhook_key_shown", "retell_rate_limit"]}),
            (
                _("Data protection"),
                {
                    "fields": ["retention_days", "appointment_retention_days"],
                    "description": _(
                        "Personal data older than these periods is removed every night; the "
                        "calls and appointments themselves stay, so counts do not change."
                    ),
                },
            ),
            (_("Set-up check"), {"fields": ["setup_check"]}),
            (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        company_set_credentials(
            company=obj,
            calcom_api_key=form.cleaned_data.get("new_calcom_api_key"),
            retell_api_key=form.cleaned_data.get("new_retell_api_key"),
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Branch:
            return
        for branch_form in formset.forms:
            number = branch_form.cleaned_data.get("phone_number") if branch_form.cleaned_data else ""
            branch = branch_form.instance
            if number and branch.pk and not branch_form.cleaned_data.get("DELETE"):
                branch_number_assign(branch=branch, number=number)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        company = self.get_object(request, object_id)
        panels = [panel(request, company) for panel in self.panels]
        return super().change_view(
            request, object_id, form_url, {"company_panels": panels, **(extra_context or {})}
        )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("Keys"), boolean=True)
    def keys_configured(self, obj: Company) -> bool:
        return bool(obj.calcom_api_key and obj.retell_api_key)

    @admin.display(description=_("Stored keys"))
    def credentials_status(self, obj: Company) -> str:
        def state(secret) -> str:
            return gettext("set") if secret else gettext("not set")

        return format_html(
            "Cal.com: <b>{}</b> &middot; Retell: <b>{}</b>",
            state(obj.calcom_api_key),
            state(obj.retell_api_key),
        )

    @admin.display(description=_("Webhook key"))
    def webhook_key_shown(self, obj: Company | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Created when the company is saved.")
        return obj.webhook_key

    @admin.display(description=_("Set-up check"))
    def setup_check(self, obj: Company | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Available once the company is saved.")
        url = reverse("admin:setup_check", args=[obj.pk])
        label = gettext("Check the Cal.com and Retell set-up of this company")
        return format_html('<a class="button" href="{}">{}</a>', url, label)

    @admin.action(description=_("Rotate webhook key (old URLs stop working)"), permissions=["change"])
    def rotate_webhook_key(self, request, queryset):
        for company in queryset:
            company_rotate_webhook_key(company=company)
        count = queryset.count()
        message = ngettext(
            "Rotated the webhook key of %(count)d company.",
            "Rotated the webhook key of %(count)d companies.",
            count,
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)

    # Telephony adds the Retell actions (telephony/admin.py): sync numbers, validate agents.


@admin.register(Branch)
class BranchAdmin(CompanyScopedAdmin):
    form = BranchForm
    list_display = ["name", "company", "calcom_event_type_id", "calcom_team_id", "is_active"]
    list_filter = ["company", "is_active"]
    list_select_related = ["company"]
    search_fields = ["name", "address", "company__name"]
    autocomplete_fields = ["company"]
    inlines = [ServiceInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("phone_number"):
            branch_number_assign(branch=obj, number=form.cleaned_data["phone_number"])

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
class StaffMembershipAdmin(AuditedAdmin, admin.ModelAdmin):
    """Only superusers decide who works for which company, and in which role (companies/roles.py:
    the role alone grants the permissions)."""

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

    def save_model(self, request, obj, form, change):
        # A member must reach the admin at all; what they may do there is their role's.
        super().save_model(request, obj, form, change)
        if not obj.user.is_staff:
            obj.user.is_staff = True
            obj.user.save(update_fields=["is_staff"])
