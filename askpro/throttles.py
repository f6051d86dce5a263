"""Per-company request limits for the endpoints vendors call, shared by every process.

Each endpoint kind (Retell webhooks, inbound calls, functions; Cal.com's notices) has its own
budget, so a flood of webhooks never starves the live call; the company's `retell_rate_limit`
(staff can raise it) or RETELL_RATE_LIMIT applies to each.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from askpro import metrics
from integrations.ratelimit import Decision, rate_limit_hit


class CompanyRateThrottle(BaseThrottle):
    """Runs after authentication: `request.auth` is the verified company."""

    def __init__(self):
        self.decision = Decision(True)

    def allow_request(self, request, view) -> bool:
        company = request.auth
        if company is None:
            return True
        limit = company.retell_rate_limit or settings.RETELL_RATE_LIMIT
        self.decision = rate_limit_hit(f"company:{view.throttle_scope}:{company.pk}", limit=limit)
        if not self.decision.allowed:
            metrics.rate_limited_total.labels(view.throttle_scope).inc()
        return self.decision.allowed

    def wait(self) -> float | None:
        return self.decision.retry_after if not self.decision.allowed else None
