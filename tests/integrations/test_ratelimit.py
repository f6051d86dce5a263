"""The shared sliding-window rate limit, on both of its stores (the endpoints: tests/telephony)."""

import logging
import os
from datetime import timedelta

import pytest

from integrations import ratelimit
from tests import timeline

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "redis"])
def store(request, monkeypatch, settings):
    """Each test runs on the database store, and on Redis where the suite has one (CI's second
    pass). Redis is reached through the cache settings, as in production."""
    if request.param == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("Redis runs in the PostgreSQL + Redis pass (REDIS_URL)")
        settings.CACHES = {
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "rl-test"}
        }
        from django_redis import get_redis_connection

        get_redis_connection("default").flushdb()
    else:
        monkeypatch.setattr(ratelimit, "_store", ratelimit._DatabaseCounts)
    return request.param


def _minute_start():
    """The start of the next whole minute after the pinned now."""
    now = timeline.now()
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _hits(key: str, count: int, limit: int) -> list[bool]:
    return [ratelimit.rate_limit_hit(key, limit=limit).allowed for _ in range(count)]


def test_the_limit_passes_then_refuses_with_a_retry_after(store, pinned_clock):
    pinned_clock.move_to(_minute_start() + timedelta(seconds=20))
    assert _hits("k", 5, limit=5) == [True] * 5
    refused = ratelimit.rate_limit_hit("k", limit=5)
    assert not refused.allowed and refused.retry_after == 40


def test_a_burst_before_a_minute_boundary_still_counts_after_it(store, pinned_clock):
    """A fixed window would let 2 x 60 through within a second here."""
    boundary = _minute_start()
    pinned_clock.move_to(boundary - timedelta(milliseconds=500))
    assert all(_hits("k", 60, limit=60))
    pinned_clock.move_to(boundary + timedelta(milliseconds=500))
    assert not any(_hits("k", 60, limit=60))


def test_the_previous_minute_fades_out_as_the_window_slides(store, pinned_clock):
    boundary = _minute_start()
    pinned_clock.move_to(boundary - timedelta(seconds=1))
    assert all(_hits("k", 60, limit=60))
    pinned_clock.move_to(boundary + timedelta(seconds=30))  # half of the previous minute in view
    assert sum(_hits("k", 60, limit=60)) == 30
    pinned_clock.move_to(boundary + timedelta(seconds=60, milliseconds=1))
    # The refused requests were not counted: only the 30 let through weigh on the next minute.
    assert sum(_hits("k", 60, limit=60)) == 30


def test_keys_have_their_own_budgets_and_zero_means_unlimited(store, pinned_clock):
    pinned_clock.move_to(_minute_start())
    assert _hits("a", 3, limit=2) == [True, True, False]
    assert _hits("b", 2, limit=2) == [True, True]
    assert all(_hits("c", 50, limit=0))


def test_a_broken_store_lets_requests_through_and_says_so_once_a_minute(monkeypatch, caplog):
    class Broken:
        def hit(self, *args):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(ratelimit, "_store", Broken)
    with caplog.at_level(logging.WARNING, logger="integrations.ratelimit"):
        assert _hits("k", 3, limit=1) == [True, True, True]
    outages = [r for r in caplog.records if "rate limit store unavailable" in r.getMessage()]
    assert len(outages) == 1


def test_a_minute_opened_by_another_request_meanwhile_is_counted_in_not_taken_for_full(monkeypatch):
    """Two first requests of a minute: ours finds no row to count in, the other opens it just
    then. Ours must be counted in that row, not refused as if the minute were full."""
    from integrations.models import RateLimitWindow

    window = int(timeline.now().timestamp() // 60)
    counts = ratelimit._DatabaseCounts._count
    raced = []

    def count_while_another_opens(key, window_, weight, limit):
        if not raced:  # our first try: the row does not exist yet; the other request opens it now
            raced.append(True)
            RateLimitWindow.objects.create(key=key, window=window_, count=1)
            return False
        return counts(key, window_, weight, limit)

    monkeypatch.setattr(ratelimit._DatabaseCounts, "_count", staticmethod(count_while_another_opens))
    assert ratelimit._DatabaseCounts().hit("raced", window, 0.0, 100) is True
    assert RateLimitWindow.objects.get(key="raced").count == 2
