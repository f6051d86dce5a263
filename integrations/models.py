from django.db import models


class BreakerState(models.TextChoices):
    CLOSED = "closed", "Closed"
    OPEN = "open", "Open"
    HALF_OPEN = "half_open", "Half-open"


class CircuitBreakerState(models.Model):
    """Shared state of one external service's circuit breaker, for every process and machine.

    All transitions are conditional UPDATEs (see integrations.breaker), never read-modify-write.
    """

    service = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED)
    failure_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    half_open_probes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service"]

    def __str__(self) -> str:
        return f"{self.service}: {self.state}"


class RateLimitWindow(models.Model):
    """Requests counted for one key in one fixed minute, for the database rate limiter.

    Used when there is no Redis (the embedded defaults): every process shares the counts through
    the database, and each count goes up only by a conditional UPDATE (integrations.ratelimit).
    """

    key = models.CharField(max_length=120)
    window = models.BigIntegerField(help_text="Unix time // window length")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="ratelimit_unique_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
