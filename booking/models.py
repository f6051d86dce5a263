from django.db import models
from django.db.models import F, Q

from askpro.work import WorkRow
from companies.models import Branch, Company
from companies.validators import normalize_e164, validate_same_company
from core.shown import shown_local


class Customer(models.Model):
    """A caller, known within one company by their phone number."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customers")
    phone = models.CharField(max_length=20, help_text="E.164")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "phone"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "phone"],
                name="customer_unique_phone",
                violation_error_message="A customer with this phone number already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})" if self.name else self.phone

    def clean(self) -> None:
        if self.phone:
            self.phone = normalize_e164(self.phone)


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"  # recorded, not yet sent to Cal.com
    PENDING = "pending", "Pending confirmation"  # Cal.com holds it until the host confirms
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    RESCHEDULED = "rescheduled", "Rescheduled"  # replaced by a newer appointment
    REJECTED = "rejected", "Rejected"  # the host declined it in Cal.com
    FAILED = "failed", "Failed"


class AppointmentSource(models.TextChoices):
    LIVE_CALL = "live_call", "Live call"
    POST_CALL = "post_call", "After the call"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    CALENDAR = "calendar", "Cal.com"  # made in Cal.com itself (its booking page, the practice)


class Appointment(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="appointments")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="appointments")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    # The name as booked: people share phones, and a later caller renames the customer, not this.
    attendee_name = models.CharField(max_length=200, blank=True)
    # The email as booked: customers are known by phone, and many book with an email only.
    attendee_email = models.EmailField(blank=True)
    event_type_id = models.PositiveIntegerField(null=True, blank=True)
    start = models.DateTimeField(help_text="Stored in UTC")
    end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.REQUESTED
    )
    source = models.CharField(max_length=16, choices=AppointmentSource.choices)
    calcom_booking_id = models.BigIntegerField(null=True, blank=True)
    calcom_booking_uid = models.CharField(max_length=100, blank=True)
    # The host who holds it in Cal.com: naming them when rescheduling keeps it confirmed.
    host_email = models.EmailField(blank=True)
    # When Cal.com last changed it, as far as we have applied (older news is not applied).
    calendar_changed_at = models.DateTimeField(null=True, blank=True)
    no_show = models.BooleanField(null=True, blank=True, help_text="Marked absent in Cal.com")
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to"
    )
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # Slots staff can offer when a post-call booking found its wish taken.
    alternatives = models.JSONField(default=list, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start"]
        indexes = [
            models.Index(fields=["company", "start"]),
            models.Index(fields=["company", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "calcom_booking_uid"],
                condition=~Q(calcom_booking_uid=""),
                name="appointment_unique_calcom_uid",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="appointment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        # On the branch's clock with its zone named: staff read this in messages and titles.
        return f"{self.branch.name}, {shown_local(self.start, self.branch.effective_timezone)}"

    def clean(self) -> None:
        validate_same_company(self, "branch", "customer")

    @property
    def is_active(self) -> bool:
        """Booked or waiting for the host: what a caller still has."""
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)


class WorkStatus(models.TextChoices):
    """The life of a recorded calendar write or calendar notice (askpro.work.RetriedWork)."""

    RECEIVED = "received", "Received"  # a notice stored, waiting for a worker
    PROCESSING = "processing", "Processing"  # claimed; a worker is on it
    RETRYING = "retrying", "Waiting to retry"  # transient failure; a task will try again
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # permanent: slot taken, bad data, configuration


BookingRequestStatus = WorkStatus  # the name booking requests have always used


class BookingRequest(WorkRow):
    """A booking wish, recorded before Cal.com is called, so nothing is lost and nothing doubles.

    The unique `idempotency_key` is the lock: whoever inserts the row does the work; everyone
    else with the same key gets that work's result.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="booking_requests")
    idempotency_key = models.CharField(max_length=128, unique=True)
    status = models.CharField(
        max_length=12, choices=BookingRequestStatus.choices, default=BookingRequestStatus.PROCESSING
    )
    source = models.CharField(max_length=16, choices=AppointmentSource.choices)
    call_id = models.CharField(max_length=100, blank=True, db_index=True)
    payload = models.JSONField(help_text="The validated request, enough to replay it")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking_request"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.idempotency_key[:12]}… ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {BookingRequestStatus.SUCCEEDED, BookingRequestStatus.FAILED}


class AppointmentChangeKind(models.TextChoices):
    RESCHEDULE = "reschedule", "Reschedule"
    CANCEL = "cancel", "Cancel"


class AppointmentChange(WorkRow):
    """A move or cancellation, recorded before Cal.com is called, like a BookingRequest: a
    change whose answer was lost (or whose worker died) is looked up and finished, never lost."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="appointment_changes")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=AppointmentChangeKind.choices)
    idempotency_key = models.CharField(max_length=128, unique=True)
    source = models.CharField(max_length=16, choices=AppointmentSource.choices)
    call_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(help_text="The validated change, enough to replay it")
    status = models.CharField(max_length=12, choices=WorkStatus.choices, default=WorkStatus.PROCESSING)
    # The appointment a reschedule made (Cal.com gives the moved booking a new uid).
    replacement = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of appointment {self.appointment_id} ({self.status})"


class CalendarNotice(WorkRow):
    """The calendar's inbox: every Cal.com booking webhook we accepted, stored before any work
    is done. Cal.com sends no event id and never retries, so (trigger, booking uid, when Cal.com
    sent it) identifies a delivery, and reconciliation repairs what never arrived."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="calendar_notices")
    trigger = models.CharField(max_length=40)
    booking_uid = models.CharField(max_length=100, blank=True)
    delivery_key = models.CharField(max_length=64, help_text="sha256 of trigger, uid and createdAt")
    body = models.TextField(help_text="The raw body exactly as signed")
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=WorkStatus.choices, default=WorkStatus.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "delivery_key"], name="calendarnotice_unique_delivery"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.trigger} {self.booking_uid} ({self.status})"
