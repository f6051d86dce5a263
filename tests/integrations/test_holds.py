"""One 429 with Retry-After holds back every request with that key, from any process, until it
has passed (integrations/holds.py); other keys go on. Two clients stand for two processes: they
share nothing but the store (the database here, Redis in the PostgreSQL + Redis pass)."""

from datetime import timedelta

import pytest
import responses

from integrations.calcom.client import CalcomClient
from integrations.errors import RateLimited
from tests import calcom_fakes

pytestmark = pytest.mark.django_db
BASE = calcom_fakes.BASE


def _throttled(wire, seconds: int) -> None:
    wire.get(
        f"{BASE}/event-types",
        status=429,
        json={
            "status": "error",
            "error": {"code": "TooManyRequestsException", "message": "Too many requests"},
        },
        headers={"Retry-After": str(seconds)},
    )


def test_a_retry_after_holds_every_client_of_that_key_and_no_other(pinned_clock):
    first, second = CalcomClient(api_key="cal_live_a"), CalcomClient(api_key="cal_live_a")
    other = CalcomClient(api_key="cal_live_b")
    with responses.RequestsMock() as wire:
        _throttled(wire, 20)
        with pytest.raises(RateLimited):
            first.list_event_types()
        wire.get(f"{BASE}/event-types", json=calcom_fakes.fixture("event_types"))

        with pytest.raises(RateLimited) as held:
            second.list_event_types()  # another process, same key: not sent
        assert 19 <= held.value.retry_after <= 20
        assert len(wire.calls) == 1

        assert other.list_event_types()  # another account is not held
        assert len(wire.calls) == 2


def test_once_the_wait_has_passed_the_key_asks_again(pinned_clock):
    client = CalcomClient(api_key="cal_live_a")
    with responses.RequestsMock() as wire:
        _throttled(wire, 5)
        with pytest.raises(RateLimited):
            client.list_event_types()
        pinned_clock.shift(timedelta(seconds=6))
        wire.get(f"{BASE}/event-types", json=calcom_fakes.fixture("event_types"))
        assert client.list_event_types()
        assert len(wire.calls) == 2


def test_a_shorter_wait_never_shortens_a_longer_one(pinned_clock):
    from integrations.holds import hold_key, vendor_hold, vendor_hold_left

    key = hold_key("calcom", "cal_live_a")
    vendor_hold(key, 30)
    vendor_hold(key, 2)
    assert vendor_hold_left(key) > 25
