"""The audit trail in admin: read-only for everyone, superusers included (an entry is never
added, changed or deleted by hand), every company's entries for superusers, and their own
company's for staff whose role grants viewing it (owners: companies/roles.py). A staff member
without a company sees none (deny by default), and another company's entry is a plain 404."""

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.actions import action_label
from audit.models import AuditEntry
from audit.trail import CHANGED
from core.read_only import ReadOnlyAdminMixin


class ActionFilter(admin.SimpleListFilter):
    """The actions the visible entries hold (apps may record actions of their own)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        recorded = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return sorted(((action, action_label(action)) for action in recorded), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor_shown", "action_shown", "object_shown", "changes_shown"]
    list_filter = [ActionFilter, "actor_kind", "at"]
    search_fields = ["=object_id", "actor_label", "=actor_ref"]
    search_help_text = _("An object's id, a Retell call's id, or who: a username or a token's name.")
    date_hierarchy = "at"
    actions = None
    list_per_page = 50
    fields = ["at", "company", "actor_shown", "action_shown", "object_shown", "changes_shown"]
    readonly_fields = fields

    # Whose entries a staff member sees: request -> their Company or None. The tenants' app
    # sets it (companies.admin_scoping), as audit imports nothing of companies; unset, staff
    # see nothing.
    company_of_request = None

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        if request.user.is_superuser:
            return entries.select_related("company")
        company = self._company(request)
        return entries.filter(company_id=company.pk) if company else entries.none()

    def get_object(self, request, object_id, from_field=None):
        # Django redirects to the index for a missing object; out of scope must be a plain 404.
        entry = super().get_object(request, object_id, from_field)
        if entry is None:
            raise Http404("No such entry.")
        return entry

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "company"] if request.user.is_superuser else columns

    def get_fields(self, request, obj=None):
        return self.fields if request.user.is_superuser else [f for f in self.fields if f != "company"]

    # -- who may: view only, and only with a company (or as a superuser) ----------------------

    def has_module_permission(self, request):
        return self._may_read(request)

    def has_view_permission(self, request, obj=None):
        return self._may_read(request)

    def _may_read(self, request) -> bool:
        if request.user.is_superuser:
            return True
        return request.user.has_perm("audit.view_auditentry") and self._company(request) is not None

    def _company(self, request):
        return self.company_of_request(request) if self.company_of_request else None

    # -- columns: readable, without ids where a name is known --------------------------------

    @admin.display(description=_("who"), ordering="actor_kind")
    def actor_shown(self, entry: AuditEntry) -> str:
        who = entry.actor_label or entry.actor_ref
        return f"{entry.get_actor_kind_display()}: {who}" if who else entry.get_actor_kind_display()

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, entry: AuditEntry) -> str:
        return action_label(entry.action)

    @admin.display(description=_("object"))
    def object_shown(self, entry: AuditEntry) -> str:
        model = _model(entry.object_type)
        if model is None:
            return " ".join(part for part in (entry.object_type, entry.object_id) if part) or "-"
        name = f"{model._meta.verbose_name} {entry.object_id}".strip()
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[entry.object_id]
            )
        except NoReverseMatch:  # no admin of its own, or no id
            return name
        return format_html('<a href="{}">{}</a>', url, name)

    @admin.display(description=_("changes"))
    def changes_shown(self, entry: AuditEntry) -> str:
        if not entry.changes:
            return "-"
        model = _model(entry.object_type)
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            ((_label(model, name), _change(model, name, value)) for name, value in entry.changes.items()),
        )


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except LookupError:
        return None


def _field(model, name: str):
    try:
        return model._meta.get_field(name) if model else None
    except FieldDoesNotExist:
        return None


def _label(model, name: str) -> str:
    field = _field(model, name)
    return str(getattr(field, "verbose_name", "")) or name.replace("_", " ")


def _change(model, name: str, value) -> str:
    """ "old → new" with choices by their label; a value that was not kept as "changed"."""
    if value == CHANGED:
        return gettext("changed")
    if isinstance(value, list) and len(value) == 2:
        old, new = (_value(model, name, part) for part in value)
        return f"{old} → {new}"
    return _value(model, name, value)


def _value(model, name: str, value) -> str:
    if value is None or value == "":
        return "-"
    field = _field(model, name)
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)  # kept in UTC: shown on the reader's clock
        if moment is None or not is_aware(moment):
            return value
        return date_format(localtime(moment), "SHORT_DATETIME_FORMAT")
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    return str(choices.get(value, value))
