from django.db import models
from django.utils.translation import gettext_lazy as _


class BreakerState(models.TextChoices):
    CLOSED = "closed", _("Closed")
    OPEN = "open", _("Open")
    HALF_OPEN = "half_open", _("Half-open")


class CircuitBreakerState(models.Model):
    """Shared state of one external service's circuit breaker, for every process and machine.

    All transitions are conditional UPDATEs (see integrations.breaker), never read-modify-write.
    """

    service = models.CharField(_("service"), max_length=64, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED
    )
    failure_count = models.PositiveIntegerField(_("failure count"), default=0)
    success_count = models.PositiveIntegerField(_("success count"), default=0)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    half_open_probes = models.PositiveIntegerField(_("half-open probes"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["service"]
        verbose_name = _("circuit breaker state")
        verbose_name_plural = _("circuit breaker states")

    def __str__(self) -> str:
        return f"{self.service}: {self.state}"


class RateLimitWindow(models.Model):
    """Requests counted for one key in one fixed minute, for the database rate limiter.

    Used when there is no Redis (the embedded defaults): every process shares the counts through
    the database, and each count goes up only by a conditional UPDATE (integrations.ratelimit).
    """

    key = models.CharField(_("key"), max_length=120)
    window = models.BigIntegerField(_("window"), help_text=_("Unix time // window length"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate limit window")
        verbose_name_plural = _("rate limit windows")
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="ratelimit_unique_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"


class VendorHold(models.Model):
    """A vendor asked one of its accounts to wait (429 with Retry-After): until when, for every
    process and machine (integrations.holds; Redis holds it instead when it is the cache)."""

    key = models.CharField(_("key"), max_length=80, unique=True, help_text=_("service and key fingerprint"))
    until = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("vendor hold")
        verbose_name_plural = _("vendor holds")

    def __str__(self) -> str:
        return f"{self.key} until {self.until:%H:%M:%S}"
