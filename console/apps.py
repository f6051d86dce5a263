from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The staff console: the dashboard, the "needs attention" list and the set-up check."""

    default = True
    name = "console"
    verbose_name = _("Staff console")
    default_auto_field = "django.db.models.BigAutoField"


class AskProAdminConfig(admin_apps.AdminConfig):
    """Django's admin with AskPro's start page (console.site.AskProAdminSite)."""

    default = False
    default_site = "console.site.AskProAdminSite"
