from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from askpro.work import WorkRow
from companies.models import Branch, Company
from companies.validators import normalize_e164, validate_same_company
from core.shown import shown_local

# The mark erasure (privacy/scrub.py) leaves on an appointment's metadata and on a work row's
# payload: the person asked to be forgotten, so nothing may copy them back from Cal.com or run
# their wish again. Here, below privacy, so booking can honour it without importing privacy.
ERASED_PAYLOAD: dict = {"erased": True}


def is_erased(value: dict | None) -> bool:
    """Whether `value` (metadata or a payload) carries the erasure mark; a move keeps the mark
    beside the moved booking's own keys, so the mark, not equality, decides."""
    return isinstance(value, dict) and value.get("erased") is True


def erased_rows(field: str) -> Q:
    """is_erased as a filter on the JSON column `field`. has_key first: a row without the key
    would otherwise read as NULL, and drop out of an exclude() as NOT (NULL = true) does."""
    return Q(**{f"{field}__has_key": "erased", f"{field}__erased": True})


class Customer(models.Model):
    """A caller, known within one company by their phone number."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="customers", verbose_name=_("company")
    )
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "phone"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "phone"],
                name="customer_unique_phone",
                violation_error_message=_("A customer with this phone number already exists."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})" if self.name else self.phone

    def clean(self) -> None:
        if self.phone:
            self.phone = normalize_e164(self.phone)


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # recorded, not yet sent to Cal.com
    PENDING = "pending", _("Pending confirmation")  # Cal.com holds it until the host confirms
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")  # replaced by a newer appointment
    REJECTED = "rejected", _("Rejected")  # the host declined it in Cal.com
    FAILED = "failed", _("Failed")


class AppointmentSource(models.TextChoices):
    LIVE_CALL = "live_call", _("Live call")
    POST_CALL = "post_call", _("After the call")
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    CALENDAR = "calendar", _("Cal.com")  # made in Cal.com itself (its booking page, the practice)


class Appointment(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("branch")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("customer"),
    )
    # The name as booked: people share phones, and a later caller renames the customer, not this.
    attendee_name = models.CharField(_("attendee name"), max_length=200, blank=True)
    # The email as booked: customers are known by phone, and many book with an email only.
    attendee_email = models.EmailField(_("attendee email"), blank=True)
    event_type_id = models.PositiveIntegerField(_("Cal.com event type id"), null=True, blank=True)
    start = models.DateTimeField(_("start"), help_text=_("Stored in UTC"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.REQUESTED
    )
    source = models.CharField(_("source"), max_length=16, choices=AppointmentSource.choices)
    calcom_booking_id = models.BigIntegerField(_("Cal.com booking id"), null=True, blank=True)
    calcom_booking_uid = models.CharField(_("Cal.com booking uid"), max_length=100, blank=True)
    # The host who holds it in Cal.com: naming them when rescheduling keeps it confirmed.
    host_email = models.EmailField(_("host email"), blank=True)
    # When Cal.com last changed it, as far as we have applied (older news is not applied).
    calendar_changed_at = models.DateTimeField(_("changed in Cal.com"), null=True, blank=True)
    no_show = models.BooleanField(
        _("no-show"), null=True, blank=True, help_text=_("Marked absent in Cal.com")
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        verbose_name=_("rescheduled from"),
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # Slots staff can offer when a post-call booking found its wish taken.
    alternatives = models.JSONField(_("alternatives"), default=list, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
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

    RECEIVED = "received", _("Received")  # a notice stored, waiting for a worker
    PROCESSING = "processing", _("Processing")  # claimed; a worker is on it
    RETRYING = "retrying", _("Waiting to retry")  # transient failure; a task will try again
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # permanent: slot taken, bad data, configuration


BookingRequestStatus = WorkStatus  # the name booking requests have always used


class BookingRequest(WorkRow):
    """A booking wish, recorded before Cal.com is called, so nothing is lost and nothing doubles.

    The unique `idempotency_key` is the lock: whoever inserts the row does the work; everyone
    else with the same key gets that work's result.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="booking_requests", verbose_name=_("company")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=BookingRequestStatus.choices,
        default=BookingRequestStatus.PROCESSING,
    )
    source = models.CharField(_("source"), max_length=16, choices=AppointmentSource.choices)
    call_id = models.CharField(_("call id"), max_length=100, blank=True, db_index=True)
    payload = models.JSONField(_("payload"), help_text=_("The validated request, enough to replay it"))
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booking_request",
        verbose_name=_("appointment"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("booking request")
        verbose_name_plural = _("booking requests")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.idempotency_key[:12]}… ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {BookingRequestStatus.SUCCEEDED, BookingRequestStatus.FAILED}


class AppointmentChangeKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("Reschedule")
    CANCEL = "cancel", _("Cancel")


class AppointmentChange(WorkRow):
    """A move or cancellation, recorded before Cal.com is called, like a BookingRequest: a
    change whose answer was lost (or whose worker died) is looked up and finished, never lost."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="appointment_changes", verbose_name=_("company")
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("appointment")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AppointmentChangeKind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    source = models.CharField(_("source"), max_length=16, choices=AppointmentSource.choices)
    call_id = models.CharField(_("call id"), max_length=100, blank=True)
    payload = models.JSONField(_("payload"), help_text=_("The validated change, enough to replay it"))
    status = models.CharField(
        _("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.PROCESSING
    )
    # The appointment a reschedule made (Cal.com gives the moved booking a new uid).
    replacement = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replacement"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment change")
        verbose_name_plural = _("appointment changes")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return _("%(kind)s of appointment %(appointment)s (%(status)s)") % {
            "kind": self.get_kind_display(),
            "appointment": self.appointment_id,
            "status": self.get_status_display(),
        }


class CalendarNotice(WorkRow):
    """The calendar's inbox: every Cal.com booking webhook we accepted, stored before any work
    is done. Cal.com sends no event id and never retries, so (trigger, booking uid, when Cal.com
    sent it) identifies a delivery, and reconciliation repairs what never arrived."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="calendar_notices", verbose_name=_("company")
    )
    trigger = models.CharField(_("trigger"), max_length=40)
    booking_uid = models.CharField(_("Cal.com booking uid"), max_length=100, blank=True)
    delivery_key = models.CharField(
        _("delivery key"), max_length=64, help_text=_("sha256 of trigger, uid and createdAt")
    )
    body = models.TextField(_("body"), help_text=_("The raw body exactly as signed"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.RECEIVED
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("calendar notice")
        verbose_name_plural = _("calendar notices")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "delivery_key"], name="calendarnotice_unique_delivery"
            ),
        ]
        # The sweeper's index, and the daily prune's (askpro.inbox.inbox_prune, #15).
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} {self.booking_uid} ({self.status})"
