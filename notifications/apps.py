from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from booking.create import booking_request_finished_later

        # Booking sits below us and imports no app above it: it announces an outcome that came
        # after the call, and we tell the caller.
        booking_request_finished_later.connect(_tell_caller, dispatch_uid="notifications-booking-outcome")


def _tell_caller(sender, booking_request, **kwargs):
    from notifications.services import booking_outcome_notify

    booking_outcome_notify(booking_request=booking_request)
