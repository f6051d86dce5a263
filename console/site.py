from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


class AskProAdminSite(admin.AdminSite):
    """Django's admin with the staff console: the dashboard as its start page, the "needs
    attention" list and the set-up check beside the model pages (console/views.py)."""

    site_header = _("AskPro administration")
    site_title = "AskPro"
    index_title = _("Dashboard")
    index_template = "console/index.html"
    site_url = None  # no public site to view: the admin is the product

    def index(self, request, extra_context=None):
        from console.views import dashboard_context
        from privacy.admin_views import privacy_links

        context = {**dashboard_context(request), **privacy_links(request), **(extra_context or {})}
        return super().index(request, context)

    def get_urls(self):
        from console import views
        from privacy.admin_views import privacy_urls

        def view(function):
            return self.admin_view(lambda request, **kwargs: function(self, request, **kwargs))

        return [
            path("attention/", view(views.attention_list), name="attention"),
            path(
                "attention/<str:subject>/follow-up/",
                view(views.attention_follow_up_view),
                name="attention_follow_up",
            ),
            path("attention/<str:subject>/book/", view(views.attention_book_view), name="attention_book"),
            path("setup-check/<int:company_id>/", view(views.setup_check_view), name="setup_check"),
            *privacy_urls(view),  # the data-protection request page (privacy/admin_views.py)
            *super().get_urls(),
        ]
