from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class McpApiConfig(AppConfig):
    name = "mcp_api"
    verbose_name = _("AI agents (MCP)")
