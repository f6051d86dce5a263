"""The API's shared rules: the strict JSON parser, one error envelope for every status, JSON
errors for unknown API paths, and webhook keys kept out of the logs."""

import json
import logging

import pytest
from rest_framework import exceptions

from askpro.api import MAX_DEPTH, api_exception_handler, strict_json_object
from askpro.logfilters import redact_keys
from tests.factories import CompanyFactory
from tests.retell_fakes import API_KEY, sign

pytestmark = pytest.mark.django_db


def _envelope(response) -> dict:
    body = response.json()
    assert set(body) >= {"success", "error", "message"} and body["success"] is False
    return body


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"a": -Infinity}', "not valid JSON"),
        (b'{"a": 1e999}', "number out of range"),
        (b'{"a": "\\u0000"}', "NUL character"),
        (b'{"\\ud83d": 1}', "lone surrogate"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests deeper"),
        (b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", "nests deeper"),
        (b'{"a": ' + b"1" * 5000 + b"}", "number out of range"),
    ],
)
def test_the_parser_refuses_what_we_could_not_store_and_says_why(raw, reason):
    with pytest.raises(exceptions.ParseError) as refused:
        strict_json_object(raw)
    assert reason in str(refused.value.detail)


def test_the_parser_accepts_what_retell_sends():
    text = {
        "call": {"transcript": "Grüß Gott 😀", "pair": "\ud83d\ude00", "n": 1.5, "deep": [[[{"ok": True}]]]}
    }
    raw = json.dumps(text).encode()  # surrogate pairs as \u escapes, as JSON allows
    assert strict_json_object(raw)["call"]["pair"] == "😀"
    assert strict_json_object(b'{"a": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}")


@pytest.mark.parametrize(
    ("exc", "status", "error"),
    [
        (exceptions.ValidationError({"call": {"call_id": ["Too long."]}}), 400, "validation_error"),
        (exceptions.ParseError("bad"), 400, "validation_error"),
        (exceptions.AuthenticationFailed("no"), 401, "authentication_failed"),
        (exceptions.PermissionDenied("no"), 403, "forbidden"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("GET"), 405, "method_not_allowed"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
        (exceptions.Throttled(wait=7.2), 429, "rate_limited"),
    ],
)
def test_every_drf_error_becomes_the_envelope_with_its_status(exc, status, error):
    response = api_exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["success"] is False and response.data["error"] == error and response.data["message"]
    if status == 429:
        assert response["Retry-After"] == "8"
    if isinstance(exc, exceptions.ValidationError):
        assert response.data["message"] == "Invalid request: call.call_id: Too long."


def test_our_own_failures_are_an_envelope_too_and_logged(caplog):
    from django.db import OperationalError

    with caplog.at_level(logging.ERROR):
        crashed = api_exception_handler(RuntimeError("boom"), {})
        database = api_exception_handler(OperationalError("gone"), {})
    assert (crashed.status_code, crashed.data["error"]) == (500, "exception")
    assert (database.status_code, database.data["error"]) == (503, "service_unavailable")
    assert database["Retry-After"] == "5"
    assert len([r for r in caplog.records if r.exc_info]) == 2


def test_a_get_is_refused_in_the_envelope_unverified_401_verified_405(client):
    company = CompanyFactory(retell_api_key=API_KEY)
    url = f"/api/retell/webhook/{company.webhook_key}"
    assert _envelope(client.get(url))["error"] == "authentication_failed"  # who asks comes first
    signed = client.get(url, HTTP_X_RETELL_SIGNATURE=sign(b"", API_KEY))
    assert signed.status_code == 405 and _envelope(signed)["error"] == "method_not_allowed"


def test_an_unknown_api_path_is_a_json_404(client, settings):
    settings.DEBUG = False
    response = client.get("/api/retell/nothing/here")
    assert response.status_code == 404 and _envelope(response)["error"] == "not_found"
    assert response["Content-Type"] == "application/json"


def test_asking_for_html_still_gets_json(client):
    company = CompanyFactory()
    response = client.post(
        f"/api/retell/webhook/{company.webhook_key}",
        b"{}",
        content_type="application/json",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")


def test_webhook_keys_in_paths_never_reach_a_log_line(client, caplog):
    """Django logs every 4xx with its path ("Unauthorized: /api/retell/webhook/<key>")."""
    company = CompanyFactory()
    with caplog.at_level(logging.DEBUG):
        for kind in ("webhook", "inbound", "functions"):
            client.post(f"/api/retell/{kind}/{company.webhook_key}", b"{}", content_type="application/json")
        client.get(f"/api/retell/webhook/{company.webhook_key}")
    request_lines = [r for r in caplog.records if r.name == "django.request"]
    assert len(request_lines) == 4
    text = "\n".join(handler.format(r) for r in caplog.records for handler in logging.getLogger().handlers)
    assert company.webhook_key not in text
    assert "/api/retell/webhook/<key>" in text


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        ("Not Found: /api/retell/webhook/abc-DEF_123", "Not Found: /api/retell/webhook/<key>"),
        (
            '"POST /api/retell/functions/k3y?x=1 HTTP/1.1" 401',
            '"POST /api/retell/functions/<key>?x=1 HTTP/1.1" 401',
        ),
        (
            "/api/retell/inbound/k and /api/retell/webhook",
            "/api/retell/inbound/<key> and /api/retell/webhook",
        ),
        ("/healthz is fine", "/healthz is fine"),
    ],
)
def test_key_redaction(line, redacted):
    assert redact_keys(line) == redacted
