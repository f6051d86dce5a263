from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from django_q.signals import post_spawn

        from askpro import worker_threads

        # Each task worker process waits on these services from its own threads (#15).
        post_spawn.connect(worker_threads.started, dispatch_uid="askpro-worker-io-threads")
