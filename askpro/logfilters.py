"""Logging filters: what a log line must never carry, and how often an outage may repeat itself.

- Company webhook keys sit in our Retell URLs; Django's own request log lines ("Not Found:
  /api/retell/webhook/<key>") and the development server's access lines would write them out.
  Every line passes through `RedactWebhookKeys`, whoever logs it.
- While Redis is down, every cache operation fails and django-redis logs each one: the first of
  a kind per minute is enough (`OncePerMinute`).
"""

import logging
import re
import time

_KEY_IN_PATH = re.compile(r"(/api/retell/(?:webhook|inbound|functions)/)[^/\s?\"']+")
REDACTED = r"\1<key>"


def redact_keys(text: str) -> str:
    return _KEY_IN_PATH.sub(REDACTED, text)


class RedactWebhookKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_keys(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class OncePerMinute(logging.Filter):
    """Lets one record per logger and message through each minute (per process)."""

    interval = 60.0

    def __init__(self, name: str = ""):
        super().__init__(name)
        self._last: dict[tuple[str, str], float] = {}

    def reset(self) -> None:
        self._last.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -self.interval) < self.interval:
            return False
        self._last[key] = now
        return True
