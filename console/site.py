from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ConsolePage:
    """A page an app above the console adds to the admin, so the console never imports it: its
    URLs (given the site's view wrapper) and, for the users it is `offered_to`, a button on the
    start page (`#<key>-link`) with a line saying when to use it."""

    key: str
    url_name: str  # of one of `urls`, without the "admin:" namespace
    title: str
    when: str
    urls: Callable[[Callable], list]
    offered_to: Callable[[object], bool]


PAGES: dict[str, ConsolePage] = {}


def console_page_add(page: ConsolePage) -> None:
    """Called from the adding app's AppConfig.ready(), before any URL is resolved."""
    PAGES[page.key] = page


class AskProAdminSite(admin.AdminSite):
    """Django's admin with the staff console: the dashboard as its start page, the "needs
    attention" list and the set-up check beside the model pages (console/views.py), and the
    pages apps above it add (`console_page_add`: privacy's data protection request)."""

    site_header = _("AskPro administration")
    site_title = "AskPro"
    index_title = _("Dashboard")
    index_template = "console/index.html"
    site_url = None  # no public site to view: the admin is the product

    def index(self, request, extra_context=None):
        from console.views import dashboard_context

        offered = [page for page in PAGES.values() if page.offered_to(request.user)]
        context = {**dashboard_context(request), "console_pages": offered, **(extra_context or {})}
        return super().index(request, context)

    def get_urls(self):
        from console import views

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
            *(url for page in PAGES.values() for url in page.urls(view)),
            *super().get_urls(),
        ]
