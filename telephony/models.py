from django.db import models
from django.utils.translation import gettext_lazy as _

from askpro.work import WorkRow
from booking.models import Customer
from companies.fields import EncryptedTextField
from companies.models import Branch, Company
from companies.validators import validate_same_company


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallStatus(models.TextChoices):
    # Ordered: a call only ever moves forward (see telephony.services).
    REGISTERED = "registered", _("Registered")
    NOT_CONNECTED = "not_connected", _("Not connected")
    ONGOING = "ongoing", _("Ongoing")
    ENDED = "ended", _("Ended")
    ERROR = "error", _("Error")
    ANALYZED = "analyzed", _("Analyzed")


class Call(models.Model):
    """One Retell call, merged from its webhooks in whatever order they arrive."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="calls", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("branch"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("customer"),
    )
    retell_call_id = models.CharField(_("Retell call id"), max_length=100, unique=True)
    agent_id = models.CharField(_("Retell agent id"), max_length=100, blank=True)
    from_number = models.CharField(_("from number"), max_length=20, blank=True)
    to_number = models.CharField(_("to number"), max_length=20, blank=True)
    direction = models.CharField(_("direction"), max_length=8, choices=CallDirection.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.REGISTERED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    disconnection_reason = models.CharField(_("disconnection reason"), max_length=64, blank=True)
    # What was said, encrypted at rest (companies.fields): readable here and in admin, opaque to
    # SQL, so calls are searched by number, call id and customer, never by what was said.
    transcript = EncryptedTextField(_("transcript"), blank=True)
    summary = EncryptedTextField(_("summary"), blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=32, blank=True)
    successful = models.BooleanField(_("successful"), null=True, blank=True)
    analysis = models.JSONField(_("analysis"), default=dict, blank=True)
    dynamic_variables = models.JSONField(_("call variables"), default=dict, blank=True)
    # The booking funnel of a live call (the staff dashboard): how often the agent asked for free
    # times, and how many it was given to offer.
    availability_checks = models.PositiveIntegerField(_("availability checks"), default=0)
    slots_offered = models.PositiveIntegerField(_("slots offered"), default=0)
    # The one link between calls and appointments, kept here: booking knows calls only by the
    # call id its booking requests carry. A call can book several; a reschedule adds the new one.
    appointments = models.ManyToManyField(
        "booking.Appointment", related_name="calls", blank=True, verbose_name=_("appointments")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-created_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["company", "started_at"])]

    def __str__(self) -> str:
        return self.retell_call_id

    def clean(self) -> None:
        validate_same_company(self, "branch", "customer")


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, waiting for a worker
    PROCESSING = "processing", _("Processing")
    PROCESSED = "processed", _("Processed")
    RETRYING = "retrying", _("Waiting to retry")
    FAILED = "failed", _("Failed")


class WebhookEvent(WorkRow):
    """The raw inbox: every accepted Retell delivery, stored before any work is done.

    Retell has no event id and sends duplicates, so (company, call id, event) is the identity.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="webhook_events", verbose_name=_("company")
    )
    event = models.CharField(_("event"), max_length=40)
    call_id = models.CharField(_("call id"), max_length=100)
    body = models.TextField(_("body"), help_text=_("The raw body exactly as signed"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "call_id", "event"], name="webhookevent_unique_delivery"
            ),
        ]
        # The sweeper's (due retries; expired leases: a busy worker holds thousands of rows in
        # processing) and the daily prune's (askpro.inbox.inbox_prune), #15.
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "lease_until"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.call_id} ({self.status})"
