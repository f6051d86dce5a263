from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")

    def ready(self):
        from django_q.signals import post_spawn

        from askpro import worker_threads

        # The lowest app with tasks that wait on Cal.com or Retell (telephony's and
        # notifications' too run on them): each task worker process gets its I/O threads (#15).
        post_spawn.connect(worker_threads.started, dispatch_uid="askpro-worker-io-threads")
