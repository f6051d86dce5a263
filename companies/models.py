import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from companies.fields import EncryptedSecretField
from companies.validators import (
    normalize_e164,
    validate_calcom_base_url,
    validate_same_company,
    validate_timezone,
)

DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_APPOINTMENT_RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 3650


class Language(models.TextChoices):
    GERMAN = "de", "Deutsch"
    ENGLISH = "en", "English"


def new_webhook_key() -> str:
    return secrets.token_urlsafe(32)


class Company(models.Model):
    """A tenant: a business with branches, numbers, and its own Cal.com and Retell accounts."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short name"), max_length=80, unique=True, help_text=_("Used in commands and URLs.")
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIMEZONE, validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.GERMAN
    )
    calcom_base_url = models.URLField(
        _("Cal.com API address"),
        default=settings.CALCOM_DEFAULT_BASE_URL,
        validators=[validate_calcom_base_url],
    )
    calcom_api_key = EncryptedSecretField()
    # Cal.com signs its booking webhooks with this (set by connecting them: connect_calcom_webhooks).
    calcom_webhook_secret = EncryptedSecretField()
    # Retell signs webhooks with the API key that carries the webhook badge: this is that key.
    retell_api_key = EncryptedSecretField()
    # Appears in the company's webhook and function URLs; unguessable, rotatable.
    webhook_key = models.CharField(_("webhook key"), max_length=64, unique=True, default=new_webhook_key)
    retell_rate_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        verbose_name=_("Retell requests per minute"),
        help_text=_("Per endpoint (webhooks, inbound calls, functions). Blank: the service default."),
    )
    # How long personal data is kept (privacy/retention.py, run daily). Two periods, because
    # what was said on a call is needed for days, while an appointment's who is needed as long
    # as the practice may ask about past visits.
    retention_days = models.PositiveIntegerField(
        _("keep call contents and raw messages (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_(
            "After this many days, a call's transcript, summary, analysis and call variables are "
            "removed, and so are the raw Retell and Cal.com messages (which hold the recording "
            "links), the details of finished booking requests and the texts sent to callers."
        ),
    )
    appointment_retention_days = models.PositiveIntegerField(
        _("keep callers on appointments and calls (days)"),
        default=DEFAULT_APPOINTMENT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_(
            "After this many days, an appointment loses the attendee's name, email and notes, a call "
            "loses the caller's number, and a customer with no appointment or call in this time is "
            "deleted. Times, branches and statuses stay, so counts and statistics do not change."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            # 0 days would remove everything at the next run, the calls of this morning included.
            models.CheckConstraint(condition=Q(retention_days__gte=1), name="company_retention_days_min"),
            models.CheckConstraint(
                condition=Q(appointment_retention_days__gte=1), name="company_appointment_retention_days_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="branches", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Blank: the company's time zone."),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        help_text=_("Blank: the company's language."),
    )
    calcom_event_type_id = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("Cal.com event type id")
    )
    calcom_team_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("Cal.com team id"),
        help_text=_("Only for team event types; used to list them."),
    )
    # Free text, because practices state hours with exceptions a schema would not hold
    # ("Mo-Fr 8-18, Wed afternoon closed"). Shown to AI agents (MCP list_branches).
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=300,
        blank=True,
        help_text=_(
            "As you would tell a caller, e.g. 'Mo-Fr 8:00-18:00, Sa 9:00-13:00'. Shown to AI agents."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["company__name", "name"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"],
                name="branch_unique_name",
                violation_error_message=_("This company already has a branch with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} / {self.name}"

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.company.timezone

    @property
    def effective_language(self) -> str:
        return self.language or self.company.language


class Service(models.Model):
    """Something a branch offers callers ("Beratung", "Kontrolle", "Zahnreinigung"), booked in
    its own Cal.com event type. Callers name it in their words: the names and synonyms are what
    the agent's `service` (post-call `dienstleistung`) is matched against (companies.services_offered)."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="services", verbose_name=_("branch")
    )
    name_de = models.CharField(_("German name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    synonyms = models.CharField(
        _("synonyms"),
        max_length=300,
        blank=True,
        help_text=_("Other words callers use, separated by commas, e.g. 'Prophylaxe, PZR, cleaning'."),
    )
    calcom_event_type_id = models.PositiveIntegerField(_("Cal.com event type id"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["branch", "name_de"]
        # "service" alone is also a vendor's service (the circuit breaker's): another word in German.
        verbose_name = pgettext_lazy("offered by a branch", "service")
        verbose_name_plural = pgettext_lazy("offered by a branch", "services")
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "name_de"],
                name="service_unique_name",
                violation_error_message=_("This branch already offers a service with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name_de

    def names(self) -> list[str]:
        """Every word a caller may use for it, lower case."""
        words = [self.name_de, self.name_en, *self.synonyms.split(",")]
        return [word.strip().lower() for word in words if word and word.strip()]

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_de


class PhoneNumber(models.Model):
    """A dialable number rented in Retell; calls to it belong to its branch."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="phone_numbers", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phone_numbers",
        verbose_name=_("branch"),
    )
    # Unique across companies; the message must not tell a tenant that another one owns it.
    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        help_text=_("E.164, e.g. +493083793369, or as people write it"),
        error_messages={"unique": _("This number cannot be used.")},
    )
    nickname = models.CharField(_("nickname"), max_length=200, blank=True)
    inbound_agent_ids = models.JSONField(_("Retell agents"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            # A number that takes calls must know which branch it books for.
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(branch__isnull=False),
                name="phonenumber_active_needs_branch",
                violation_error_message=_("An active number needs a branch."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.nickname})" if self.nickname else self.number

    def save(self, *args, **kwargs):
        # Normalising here too keeps uniqueness honest for rows created outside forms.
        if self.number:
            self.number = normalize_e164(self.number)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.number:
            self.number = normalize_e164(self.number)
        validate_same_company(self, "branch")
        if self.is_active and not self.branch_id:
            raise ValidationError({"branch": _("An active number needs a branch.")})


class StaffRole(models.TextChoices):
    """What each may do: companies/roles.py."""

    VIEWER = "viewer", _("Viewer")
    STAFF = "staff", _("Staff")
    OWNER = "owner", _("Owner")


class StaffMembership(models.Model):
    """A staff user works for exactly one company and sees only its rows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    role = models.CharField(
        _("role"),
        max_length=8,
        choices=StaffRole.choices,
        default=StaffRole.STAFF,
        help_text=_(
            "Viewer: reads everything of the company, changes nothing. Staff: the daily work "
            "(appointments, retries, callbacks). Owner: also the set-up (keys, branches, numbers, "
            "MCP tokens)."
        ),
    )

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"
