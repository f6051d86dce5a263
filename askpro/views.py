"""Operational endpoints: liveness with dependencies, and Prometheus metrics."""

import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from askpro import metrics
from askpro.api import api_not_found, api_server_error

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz:probe", "1", timeout=10)
        return cache.get("healthz:probe") == "1"
    except Exception:
        logger.exception("healthz: cache unreachable")
        return False


@never_cache
@require_GET
def healthz(request):
    """200 "ok"; 200 "degraded" while only the cache is down (we still store and answer, more
    slowly); 503 "unavailable" without the database, where nothing can be kept."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    degraded = [name for name, ok in checks.items() if not ok]
    state = "unavailable" if "database" in degraded else "degraded" if degraded else "ok"
    body = {"status": state, "checks": checks, "degraded": degraded}
    return JsonResponse(body, status=503 if state == "unavailable" else 200)


def _token_from(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@never_cache
@require_GET
def metrics_view(request):
    expected = settings.METRICS_TOKEN
    # No configured token means the endpoint is closed, not open.
    if not expected or not hmac.compare_digest(_token_from(request).encode(), expected.encode()):
        return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)
