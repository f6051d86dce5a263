from django.contrib import admin

from companies.admin_scoping import CompanyScopedAdmin
from console.models import FollowUp
from core.read_only import ReadOnlyAdminMixin


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, CompanyScopedAdmin):
    """Who followed up what, and how: the record behind the "needs attention" list (read-only;
    follow-ups are made there)."""

    list_display = ["done_at", "subject", "note", "done_by", "company"]
    list_filter = ["company"]
    list_select_related = ["company", "done_by"]
    # The note is encrypted at rest (companies.fields.EncryptedTextField): the database cannot
    # search or sort by it, so follow-ups are found by what they are about and who made them.
    search_fields = ["subject", "done_by__username"]
    sortable_by = ["done_at", "subject", "done_by", "company"]
    date_hierarchy = "done_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in FollowUp._meta.fields if field.name != "id"]
