"""The integrations' own metrics: external API durations and the shared circuit breakers.

askpro.metrics renders them with everything else at /metrics.
"""

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily

api_duration_seconds = Histogram(
    "mcp_api_duration_seconds",
    "Duration of calls to external APIs",
    ["service", "method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}


class CircuitBreakerCollector:
    """mcp_circuit_breaker_state{service}: 0 closed, 1 half-open, 2 open (from the DB rows).

    Read at scrape time, so every process reports the same, shared truth.
    """

    def collect(self):
        from integrations.models import CircuitBreakerState

        family = GaugeMetricFamily(
            "mcp_circuit_breaker_state",
            "Circuit breaker state per external service (0 closed, 1 half-open, 2 open)",
            labels=["service"],
        )
        for service, state in CircuitBreakerState.objects.values_list("service", "state"):
            family.add_metric([service], BREAKER_STATE_VALUES.get(state, -1))
        yield family


breaker_registry = CollectorRegistry()
breaker_registry.register(CircuitBreakerCollector())
