from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        # The request page joins the staff console's admin (console.site), offered to owners.
        from console.site import ConsolePage, console_page_add
        from privacy.admin_views import may_answer_requests, privacy_urls

        console_page_add(
            ConsolePage(
                key="privacy",
                url_name="privacy_request",
                title=_("Data protection request"),
                when=_("A caller asks what we store about them, or to be erased."),
                urls=privacy_urls,
                offered_to=may_answer_requests,
            )
        )
