"""Admin building blocks that keep staff inside their own company.

Superusers see everything. A staff user sees only rows of the company of their membership;
anything else is a 404, and every foreign-key choice they are offered is limited to that company.
A staff user without a membership sees nothing at all (deny by default).

Every add, change and delete made through these admins is an entry in the audit trail
(`AuditedAdmin`), and the trail's own admin shows staff their company's entries only.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404

from audit.actions import Action
from audit.admin import AuditEntryAdmin
from audit.trail import CHANGED, record
from companies.models import Company
from companies.selectors import company_for_user


def staff_company(request) -> Company | None:
    """Cached per request: admin asks many times while rendering one page."""
    if not hasattr(request, "_askpro_company"):
        request._askpro_company = company_for_user(request.user)
    return request._askpro_company


def _limit_to_company(queryset, company):
    model = queryset.model
    if model is Company:
        return queryset.filter(pk=company.pk)
    if any(f.name == "company" for f in model._meta.get_fields()):
        return queryset.filter(company=company)
    return queryset


class CompanyScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter offering only the staff member's company's objects."""

    def field_choices(self, field, request, model_admin):
        company = staff_company(request)
        if company is None:
            return []
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"company": company}
        )


class _ScopedChoicesMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            company = staff_company(request)
            queryset = field.queryset
            field.queryset = _limit_to_company(queryset, company) if company else queryset.none()
        return field


class AuditedAdmin:
    """Staff's adds, changes and deletes here, inlines included, recorded in the audit trail
    (who: the signed-in staff member, audit.middleware). Each changed field with its old and new
    value where a value cannot be personal or secret (audit.trail.describe_changes); a form
    field that is no model field (a write-only key, a branch's number) only as "changed"."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.changed_data or not change:
            action = Action.CHANGE if change else Action.ADD
            changes = _form_changes(form, change)
            record(action, company=trail_company(request, obj), obj=obj, changes=changes)

    def delete_model(self, request, obj):
        record(Action.DELETE, company=trail_company(request, obj), obj=obj)  # admin's delete is atomic
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the bulk action is not: no entry without its delete
            for obj in queryset:
                record(Action.DELETE, company=trail_company(request, obj), obj=obj)
            super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                record(Action.DELETE, company=trail_company(request, deleted.instance), obj=deleted.instance)
        super().save_formset(request, form, formset, change)
        added = {id(obj) for obj in formset.new_objects}
        changed = {id(obj) for obj, _fields in formset.changed_objects}
        for inline in formset.forms:
            obj = inline.instance
            if id(obj) in added or id(obj) in changed:
                was_there = id(obj) in changed
                action = Action.CHANGE if was_there else Action.ADD
                changes = _form_changes(inline, was_there)
                record(action, company=trail_company(request, obj), obj=obj, changes=changes)


def _form_changes(form, change: bool) -> dict:
    """{field: (old, new)} of what the form changed (old is None for a new object)."""
    model_fields = {field.name for field in form.instance._meta.concrete_fields}
    return {
        name: (form.initial.get(name) if change else None, form.cleaned_data.get(name))
        if name in model_fields
        else CHANGED
        for name in form.changed_data
    }


def trail_company(request, obj):
    """Whose audit trail an admin write of `obj` goes into: the company it belongs to (through its
    branch for a branch's services; a sign-in: its member's company, none for an operator's);
    the staff member's own for anything else."""
    if isinstance(obj, Company):
        return obj.pk
    if isinstance(obj, get_user_model()):
        return company_for_user(obj)
    company_id = getattr(obj, "company_id", None)
    if company_id is None and getattr(obj, "branch_id", None) is not None:
        company_id = obj.branch.company_id
    return company_id if company_id is not None else staff_company(request)


class CompanyScopedAdmin(AuditedAdmin, _ScopedChoicesMixin, admin.ModelAdmin):
    """For models with a `company` foreign key."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        company = staff_company(request)
        return _limit_to_company(queryset, company) if company else queryset.none()

    def get_object(self, request, object_id, from_field=None):
        # Django redirects to the index for a missing object; out of scope must be a plain 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("company")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            return filters
        # Staff filter by their own company's branches (customers, ...) only, like the rows.
        return [
            (name, CompanyScopedRelatedFilter) if self._is_company_relation(name) else name
            for name in filters
            if name != "company"
        ]

    def _is_company_relation(self, name) -> bool:
        if not isinstance(name, str) or "__" in name:
            return False
        field = self.model._meta.get_field(name)
        related = field.related_model if field.is_relation else None
        return related is not None and any(f.name == "company" for f in related._meta.fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        company = None if request.user.is_superuser else staff_company(request)
        if company is None or self.model is Company:
            return form

        class StaffCompanyForm(form):
            # Set before validation so model.clean() can check same-company relations.
            def __init__(self, *args, **inner_kwargs):
                super().__init__(*args, **inner_kwargs)
                if self.instance.company_id is None:
                    self.instance.company = company

            def _get_validation_exclusions(self):
                # `company` is not on the form but is set: unique (company, ...) constraints must
                # still be checked, or a duplicate reaches the database as an IntegrityError.
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("company")
                return exclusions

        return StaffCompanyForm

    def has_module_permission(self, request):
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request) and super().has_add_permission(request)

    def _allowed(self, request) -> bool:
        return request.user.is_superuser or staff_company(request) is not None


class CompanyScopedInline(_ScopedChoicesMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class RecordedWorkAdmin(CompanyScopedAdmin):
    """Rows recorded before any work was done (an inbox, booking wishes, changes): read-only as
    they were recorded, and run again by whoever may change them (`rerun_permission`).
    Subclasses say how to run one again (`rerun`: whether it worked, and what to tell staff,
    naming the row) and
    offer it as an action with `permissions=["rerun"]` that calls `rerun_each`."""

    rerun_permission = ""  # "app.change_model"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_rerun_permission(self, request) -> bool:
        # The rows stay read-only (has_change_permission); running them again is what "change" grants.
        return request.user.has_perm(self.rerun_permission)

    def rerun(self, row) -> tuple[bool, str]:
        raise NotImplementedError

    def rerun_each(self, request, queryset) -> None:
        for row in queryset:
            worked, message = self.rerun(row)
            self.message_user(request, message, messages.SUCCESS if worked else messages.ERROR)


# The trail's admin (audit/admin.py) cannot ask companies whose entries a staff member may see
# (audit imports no companies); told here, as the rows of every other admin are scoped.
AuditEntryAdmin.company_of_request = staticmethod(staff_company)
