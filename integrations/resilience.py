"""How every service reaches an external API: a vendor client behind its shared circuit breaker.

Reads are retried (1 s, 2 s with jitter; 429 waits for Retry-After). Writes are not: Cal.com has
no idempotency key, and a staff action must never repeat a PATCH behind their back.
"""

import time
from dataclasses import dataclass

from integrations.breaker import CircuitBreaker
from integrations.retry import call_with_retry


def retry_sleep(seconds: float) -> None:
    """The pause between read retries (tests replace it so they never sleep)."""
    time.sleep(seconds)


def guarded_read(client, breaker: CircuitBreaker, method: str, /, *args, **kwargs):
    return call_with_retry(
        lambda: breaker.call(getattr(client, method), *args, **kwargs),
        sleep=lambda seconds: retry_sleep(seconds),
    )


def guarded_write(client, breaker: CircuitBreaker, method: str, /, *args, **kwargs):
    return breaker.call(getattr(client, method), *args, **kwargs)


@dataclass(frozen=True)
class Gateway:
    """One vendor client (one account, its key decrypted once) behind its breaker, for the span
    of one operation: `read` for calls that are safe to repeat, `write` for those that are not."""

    client: object
    breaker: CircuitBreaker

    def read(self, method: str, /, *args, **kwargs):
        return guarded_read(self.client, self.breaker, method, *args, **kwargs)

    def write(self, method: str, /, *args, **kwargs):
        return guarded_write(self.client, self.breaker, method, *args, **kwargs)
