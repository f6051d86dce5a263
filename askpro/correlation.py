"""A correlation id per request or task, carried into every log line and echoed to the caller."""

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

HEADER = "X-Request-ID"
_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
# Accept a caller's id only if it is short and tame: it ends up in every log line.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current() -> str:
    return _correlation_id.get()


def new_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound(correlation_id: str | None = None) -> Iterator[str]:
    """Run a block (a task, a command) under one correlation id."""
    value = correlation_id if correlation_id and _ACCEPTABLE.match(correlation_id) else new_id()
    token = _correlation_id.set(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)


class CorrelationIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with bound(request.headers.get(HEADER)) as correlation_id:
            request.correlation_id = correlation_id
            response = self.get_response(request)
            response[HEADER] = correlation_id
            return response


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current()
        return True
