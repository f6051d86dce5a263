from django.db import models
from django.utils.translation import gettext_lazy as _

from askpro.work import WorkRow
from booking.models import Appointment, BookingRequest, WorkStatus
from companies.models import Company


class NotificationKind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
    BOOKING_PENDING = "booking_pending", _("Booking awaiting the host's confirmation")
    BOOKING_FAILED = "booking_failed", _("Booking failed")


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("SMS")


class Notification(WorkRow):
    """A text to a caller, stored before it is sent (the outbox): a sender that is away is tried
    again later, and the unique `idempotency_key` lets each outcome be told only once."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("company")
    )
    booking_request = models.ForeignKey(
        BookingRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("booking request"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("appointment"),
    )
    # What is told about what, e.g. "booking_request:42:booking_confirmed": a repeat is not stored.
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    channel = models.CharField(
        _("channel"), max_length=8, choices=NotificationChannel.choices, default=NotificationChannel.SMS
    )
    recipient = models.CharField(_("recipient"), max_length=20, help_text=_("E.164"))
    language = models.CharField(_("language"), max_length=8)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.RECEIVED
    )
    provider_id = models.CharField(
        _("provider id"), max_length=64, blank=True, help_text=_("The sender's id for the message")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # The sweeper's index, and the daily prune's (askpro.inbox.inbox_prune, #15).
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
