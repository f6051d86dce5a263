"""Access tokens for AI agents: one company each, read or read-write, stored as a hash."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core import clock


class McpToken(models.Model):
    """A bearer token for the company's MCP endpoint. The token itself is shown once when it is
    made; we keep its SHA-256 (a random 256-bit token needs no slow hash) and a prefix that
    lets staff tell tokens apart."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="mcp_tokens", verbose_name=_("company")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who or what uses it, e.g. 'Claude, front desk'.")
    )
    prefix = models.CharField(_("prefix"), max_length=24, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(
        default=True,
        verbose_name=_("may book, move and cancel"),
        help_text=_("Off: the agent can only look (branches, free times, appointments)."),
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Blank: until revoked.")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["company__name", "-created_at"]
        verbose_name = _("MCP access token")
        verbose_name_plural = _("MCP access tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > clock.now())

    @property
    def scopes(self) -> list[str]:
        return [READ_SCOPE, WRITE_SCOPE] if self.can_write else [READ_SCOPE]


READ_SCOPE = "bookings:read"
WRITE_SCOPE = "bookings:write"
