"""MCP tokens in admin: a company's owners (and superusers) make them, see when each was last
used, and revoke them. A token is shown once, on the page that follows its creation; what is
kept is its hash. Other staff do not see tokens at all: they are the keys to the company's data."""

from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from companies.admin_scoping import CompanyScopedAdmin
from mcp_api.models import McpToken
from mcp_api.paths import MCP_PATH
from mcp_api.tokens import mcp_token_issue, mcp_token_revoke

CREATED_TEMPLATE = "admin/mcp_api/mcptoken/created.html"


@admin.register(McpToken)
class McpTokenAdmin(CompanyScopedAdmin):
    list_display = ["name", "company", "prefix_shown", "access", "state", "expires_at", "last_used_at"]
    list_select_related = ["company"]
    list_filter = ["company", "can_write"]
    search_fields = ["name", "prefix"]
    fields = ["company", "name", "can_write", "expires_at"]
    readonly_fields = ["prefix_shown", "state", "last_used_at", "revoked_at", "created_by", "created_at"]
    actions = ["revoke"]

    # -- who: superusers, and whose role grants it (owners: companies/roles.py; CompanyScopedAdmin
    # keeps them to their company) --

    def _may_manage(self, request) -> bool:
        return request.user.has_perm("mcp_api.add_mcptoken")

    def has_module_permission(self, request):
        return self._may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self._may_manage(request)

    def has_add_permission(self, request):
        return self._may_manage(request)

    def has_change_permission(self, request, obj=None):
        return False  # a token is made and revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay listed: who had access, and until when

    def has_revoke_permission(self, request):
        return self._may_manage(request)

    def get_fields(self, request, obj=None):
        shown = [*self.fields, *self.readonly_fields] if obj else list(self.fields)
        # Owners make tokens for their own company only (set by CompanyScopedAdmin's form).
        return shown if request.user.is_superuser else [f for f in shown if f != "company"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields, *self.readonly_fields] if obj else []

    # -- making one: the secret is shown once, on the next page ------------------------------

    def save_model(self, request, obj, form, change):
        request._mcp_token_secret = mcp_token_issue(obj, created_by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("MCP access token created"),
            "token": obj,
            "secret": request._mcp_token_secret,
            "endpoint": settings.PUBLIC_BASE_URL.rstrip("/") + MCP_PATH,
        }
        response = TemplateResponse(request, CREATED_TEMPLATE, context)
        add_never_cache_headers(response)
        return response

    # -- revoking -----------------------------------------------------------------------------

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(mcp_token_revoke(company=token.company, token=token) for token in queryset)
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)d token; it stops working at once.",
                "Revoked %(count)d tokens; they stop working at once.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )

    # -- columns ------------------------------------------------------------------------------

    @admin.display(description=_("token"))
    def prefix_shown(self, obj: McpToken) -> str:
        return f"{obj.prefix}…" if obj.prefix else ""

    @admin.display(description=_("access"))
    def access(self, obj: McpToken) -> str:
        return _("read and write") if obj.can_write else _("read only")

    @admin.display(description=_("state"))
    def state(self, obj: McpToken) -> str:
        if obj.revoked_at:
            return _("revoked")
        return _("active") if obj.is_usable else _("expired")
