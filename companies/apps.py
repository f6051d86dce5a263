from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies and branches"

    def ready(self):
        from companies import checks  # noqa: F401  (registers the deploy checks)
