from django.db import models

from askpro.work import WorkRow
from booking.models import Customer
from companies.models import Branch, Company
from companies.validators import validate_same_company


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallStatus(models.TextChoices):
    # Ordered: a call only ever moves forward (see telephony.services).
    REGISTERED = "registered", "Registered"
    NOT_CONNECTED = "not_connected", "Not connected"
    ONGOING = "ongoing", "Ongoing"
    ENDED = "ended", "Ended"
    ERROR = "error", "Error"
    ANALYZED = "analyzed", "Analyzed"


class Call(models.Model):
    """One Retell call, merged from its webhooks in whatever order they arrive."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="calls")
    branch = models.ForeignKey(Branch, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    retell_call_id = models.CharField(max_length=100, unique=True)
    agent_id = models.CharField(max_length=100, blank=True)
    from_number = models.CharField(max_length=20, blank=True)
    to_number = models.CharField(max_length=20, blank=True)
    direction = models.CharField(max_length=8, choices=CallDirection.choices, blank=True)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.REGISTERED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    disconnection_reason = models.CharField(max_length=64, blank=True)
    transcript = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    sentiment = models.CharField(max_length=32, blank=True)
    successful = models.BooleanField(null=True, blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    dynamic_variables = models.JSONField(default=dict, blank=True)
    # The booking funnel of a live call (the staff dashboard): how often the agent asked for free
    # times, and how many it was given to offer.
    availability_checks = models.PositiveIntegerField(default=0)
    slots_offered = models.PositiveIntegerField(default=0)
    # The one link between calls and appointments, kept here: booking knows calls only by the
    # call id its booking requests carry. A call can book several; a reschedule adds the new one.
    appointments = models.ManyToManyField("booking.Appointment", related_name="calls", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-created_at"]
        indexes = [models.Index(fields=["company", "started_at"])]

    def __str__(self) -> str:
        return self.retell_call_id

    def clean(self) -> None:
        validate_same_company(self, "branch", "customer")


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored, waiting for a worker
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    RETRYING = "retrying", "Waiting to retry"
    FAILED = "failed", "Failed"


class WebhookEvent(WorkRow):
    """The raw inbox: every accepted Retell delivery, stored before any work is done.

    Retell has no event id and sends duplicates, so (company, call id, event) is the identity.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_events")
    event = models.CharField(max_length=40)
    call_id = models.CharField(max_length=100)
    body = models.TextField(help_text="The raw body exactly as signed")
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "call_id", "event"], name="webhookevent_unique_delivery"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.call_id} ({self.status})"
