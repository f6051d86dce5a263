"""Prometheus metrics, one registry for the whole service.

With several worker processes per machine set PROMETHEUS_MULTIPROC_DIR (an empty directory per
machine, wiped at start) and the scrape aggregates them; across machines each one is scraped.
The integrations' own metrics (API durations, the shared circuit breakers) live in
integrations.metrics and are rendered here with the rest.
"""

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from integrations import metrics as integration_metrics

webhook_total = Counter(
    "mcp_webhook_total", "Retell webhook deliveries by event and outcome", ["event", "status"]
)
calendar_notice_total = Counter(
    "mcp_calendar_notice_total", "Cal.com booking webhooks by trigger and outcome", ["trigger", "status"]
)
calendar_repairs_total = Counter(
    "mcp_calendar_repairs_total", "Appointments reconciliation changed to agree with Cal.com", ["change"]
)
booking_total = Counter("mcp_booking_total", "Booking attempts by outcome", ["status"])
cache_hits_total = Counter("mcp_cache_hits_total", "Integration cache hits", ["cache"])
cache_misses_total = Counter("mcp_cache_misses_total", "Integration cache misses", ["cache"])
appointments_created_total = Counter(
    "appointments_created_total", "Appointments created by source", ["source"]
)
rate_limited_total = Counter(
    "mcp_rate_limited_total", "Vendor requests refused by a company's rate limit", ["endpoint"]
)
calls_processed_total = Counter("calls_processed_total", "Post-call processing outcomes", ["outcome"])
function_calls_total = Counter(
    "mcp_function_calls_total", "Retell custom function calls", ["function", "outcome"]
)
function_duration_seconds = Histogram(
    "mcp_function_duration_seconds",
    "Our own time answering a Retell custom function",
    ["function"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

mcp_tool_calls_total = Counter(
    "mcp_tool_calls_total", "MCP tool calls by AI agents, by tool and outcome", ["tool", "outcome"]
)
mcp_tool_duration_seconds = Histogram(
    "mcp_tool_duration_seconds",
    "Time answering an MCP tool call (calendar round trips included)",
    ["tool"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def cache_counted(cache_name: str, value) -> None:
    """Count a cache lookup as a hit (value is not None) or a miss."""
    (cache_hits_total if value is not None else cache_misses_total).labels(cache_name).inc()


def render() -> bytes:
    """The Prometheus text exposition of everything this service measures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(integration_metrics.breaker_registry)
