"""The HTTP API's shared rules: strict JSON in, one error envelope out.

Every error any endpoint answers, ours or Django REST framework's, is
`{"success": false, "error": <type>, "message": <text>}` with the status that fits (and
`details` for field errors). Bodies are JSON objects in UTF-8 with no NaN or Infinity, no NUL
character, no lone surrogate and no deeper nesting than MAX_DEPTH: what a column, a log line or
`json.dumps` could choke on later is refused here, before anything is stored.
"""

import logging
import math
import re

import orjson
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

logger = logging.getLogger(__name__)

MAX_DEPTH = 32  # Retell's deepest payload (tool calls in a transcript) is about 6 levels
_CONTAINERS = (dict, list)
# A \u0000 escape that is not itself an escaped backslash followed by "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# What orjson says, and what we tell the sender.
_REASONS = (
    ("not valid UTF-8", "The body is not UTF-8 text."),
    ("surrogate", "The body contains a lone surrogate."),
    ("depth limit", f"The body nests deeper than {MAX_DEPTH} levels."),
    ("infinity", "The body holds a number out of range."),
)

# (status, error type) for the errors DRF raises; anything else an APIException subclass says.
_DRF_ERRORS = {
    exceptions.ValidationError: (400, "validation_error"),
    exceptions.ParseError: (400, "validation_error"),
    exceptions.AuthenticationFailed: (401, "authentication_failed"),
    exceptions.NotAuthenticated: (401, "authentication_failed"),
    exceptions.PermissionDenied: (403, "forbidden"),
    exceptions.NotFound: (404, "not_found"),
    exceptions.MethodNotAllowed: (405, "method_not_allowed"),
    exceptions.NotAcceptable: (406, "not_acceptable"),
    exceptions.UnsupportedMediaType: (415, "unsupported_media_type"),
    exceptions.Throttled: (429, "rate_limited"),
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; please retry."
    default_code = "service_unavailable"


INTERNAL_ERROR = "Internal error; it has been logged."


def error_body(error: str, message: str, **extra) -> dict:
    """The one error envelope: HTTP answers, stored service results and live answers alike."""
    return {"success": False, "error": error, "message": message, **extra}


def success_body(message: str, **fields) -> dict:
    """The same envelope for what worked: `success`, a `message`, and what the answer carries."""
    return {"success": True, "message": message, **fields}


# -- parsing -----------------------------------------------------------------------------------


def strict_json_object(raw: bytes) -> dict:
    """The body as a JSON object, or a ParseError saying in plain words what is wrong with it.

    orjson refuses what JSON does not allow (NaN, Infinity, numbers beyond a double, invalid
    UTF-8, lone surrogates, nesting beyond 1024) at three times the speed of the json module;
    NUL and our own depth limit are checked here.
    """
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise exceptions.ParseError(_reason(str(exc))) from None
    if not isinstance(payload, dict):
        raise exceptions.ParseError("The body must be a JSON object.")
    if b"\\u0000" in raw and _NUL_ESCAPE.search(raw):  # JSON can carry NUL only as an escape
        raise exceptions.ParseError("The body contains a NUL character.")
    _check_depth(payload)
    return payload


def _reason(message: str) -> str:
    for fragment, reason in _REASONS:
        if fragment in message:
            return reason
    return f"The body is not valid JSON ({message.split(':')[0]})."


def _check_depth(payload: dict) -> None:
    """Level by level, containers only: a 200 KB transcript takes about a millisecond."""
    level, depth = [payload], 1
    while level:
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(f"The body nests deeper than {MAX_DEPTH} levels.")
        deeper = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) in _CONTAINERS:
                    deeper.append(item)
        level, depth = deeper, depth + 1


class StrictJSONParser(BaseParser):
    """application/json only (what Retell sends); anything else is 415 before it is read."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return strict_json_object(stream.read() if stream is not None else b"")


class JSONOnly(BaseContentNegotiation):
    """We answer JSON whatever Accept says: a caller that asks for HTML still gets an answer."""

    def select_parser(self, request, parsers):
        given = request.content_type.split(";")[0].strip().lower()
        return next((parser for parser in parsers if parser.media_type == given), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# -- errors ------------------------------------------------------------------------------------


def api_exception_handler(exc, context) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error becomes the envelope with the right status."""
    headers = {}
    if isinstance(exc, exceptions.APIException):
        status_code, error = _classify(exc)
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
        extra = {"details": exc.detail} if isinstance(exc, exceptions.ValidationError) else {}
        return Response(error_body(error, _message(exc), **extra), status=status_code, headers=headers)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.exception("database unavailable while answering %s", _view_name(context))
        return Response(
            error_body("service_unavailable", ServiceUnavailable.default_detail),
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error while answering %s", _view_name(context))
    else:
        logger.exception("unexpected error while answering %s", _view_name(context))
    return Response(error_body("exception", INTERNAL_ERROR), status=500)


def _classify(exc: exceptions.APIException) -> tuple[int, str]:
    for kind, (status_code, error) in _DRF_ERRORS.items():
        if isinstance(exc, kind):
            return status_code, error
    return exc.status_code, str(exc.default_code)


def _message(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "Invalid request: " + "; ".join(_flatten(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return "Too many requests; retry later."
    return str(exc.detail)


def _flatten(detail, path: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [line for key, value in detail.items() for line in _flatten(value, f"{path}{key}.")]
    if isinstance(detail, list):
        return [line for value in detail for line in _flatten(value, path)]
    return [f"{path.rstrip('.')}: {detail}" if path else str(detail)]


def _view_name(context) -> str:
    view = (context or {}).get("view")
    return type(view).__name__ if view is not None else "-"


class EnvelopeRenderer(JSONRenderer):
    """UTF-8 JSON with non-ASCII text as is (German answers stay readable)."""

    charset = "utf-8"


# -- Django's own error pages for /api/ --------------------------------------------------------


def api_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)


def api_server_error(request):
    return JsonResponse(error_body("exception", INTERNAL_ERROR), status=500)
