import logging
from unittest import mock

import pytest

from integrations.models import CircuitBreakerState

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "cache": True}, "degraded": []}


def test_healthz_says_degraded_but_serving_when_the_cache_is_down(client):
    """Webhooks are still stored and calls answered without the cache: no reason to take this
    instance out of the load balancer, but a reason to page someone."""
    with mock.patch("askpro.views.cache.set", side_effect=ConnectionError("redis down")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "cache": False},
        "degraded": ["cache"],
    }


def test_healthz_is_503_when_the_database_is_down(client):
    with mock.patch("askpro.views.connection.cursor", side_effect=RuntimeError("db down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
    assert response.json()["status"] == "unavailable"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "test-metrics-token", "Basic abc"])
def test_metrics_refuse_requests_without_the_token(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert b"mcp_" not in response.content


def test_metrics_are_closed_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_metrics_serve_prometheus_text_with_the_token(client):
    CircuitBreakerState.objects.create(service="calcom", state="open")
    response = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'mcp_circuit_breaker_state{service="calcom"} 2.0' in body
    assert "# TYPE mcp_booking_total counter" in body


def test_request_id_is_taken_from_the_caller_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response["X-Request-ID"] == "abc-123"


def test_request_id_is_generated_when_missing_or_unsafe(client):
    first = client.get("/healthz")["X-Request-ID"]
    unsafe = client.get("/healthz", headers={"X-Request-ID": "x\nforged log line"})["X-Request-ID"]
    assert len(first) == 32 and len(unsafe) == 32 and first != unsafe


def test_log_lines_carry_the_correlation_id(client, caplog):
    from askpro.correlation import CorrelationIdFilter

    caplog.handler.addFilter(CorrelationIdFilter())
    caplog.set_level(logging.ERROR, logger="askpro.views")
    with mock.patch("askpro.views.cache.set", side_effect=ConnectionError("down")):
        client.get("/healthz", headers={"X-Request-ID": "trace-me"})
    assert any(getattr(r, "correlation_id", None) == "trace-me" for r in caplog.records)
