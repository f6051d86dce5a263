"""A deadline (integrations/deadline.py) bounds every vendor call made inside it: a request gets
only the time left, a retry never waits past it, and with no time left nothing is sent."""

import time

import pytest
import responses

from integrations.calcom.client import CalcomClient
from integrations.deadline import deadline_within, seconds_left
from integrations.errors import RateLimited, TransientError
from integrations.retry import call_with_retry
from tests.processes import hanging_tcp_server


@pytest.fixture
def hanging_server():
    with hanging_tcp_server() as base:
        yield f"{base}/v2"


def test_a_request_inside_a_deadline_gets_only_the_time_left(hanging_server, settings):
    settings.HTTP_READ_TIMEOUT = 10.0
    client = CalcomClient(api_key="cal_live_test", base_url=hanging_server)
    started = time.monotonic()
    with deadline_within(0.4), pytest.raises(TransientError):
        client.list_event_types()
    assert time.monotonic() - started < 1.5  # not the 10 s read timeout


def test_with_no_time_left_nothing_is_sent():
    client = CalcomClient(api_key="cal_live_test")
    with responses.RequestsMock() as wire, deadline_within(0.0), pytest.raises(TransientError) as raised:
        client.list_event_types()
    assert raised.value.request_sent is False
    assert len(wire.calls) == 0


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for():
    slept = []

    def throttled():
        raise RateLimited("slow down", service="calcom", status=429, retry_after=20)

    with deadline_within(8.0), pytest.raises(RateLimited):
        call_with_retry(throttled, sleep=slept.append)
    assert slept == []


def test_without_a_deadline_a_short_retry_after_is_waited_for():
    slept, answers = [], iter([RateLimited("slow", service="calcom", status=429, retry_after=2), "ok"])

    def once_throttled():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_with_retry(once_throttled, sleep=slept.append) == "ok"
    assert slept == [2]


def test_an_inner_deadline_never_extends_an_outer_one():
    with deadline_within(1.0):
        with deadline_within(60.0):
            assert seconds_left() <= 1.0
        assert seconds_left() <= 1.0
    assert seconds_left() is None


@pytest.mark.django_db
def test_a_deadline_running_out_is_not_held_against_the_service(hanging_server):
    """Our clock, not Cal.com's health: the shared breaker stays closed for every tenant."""
    from integrations.breaker import breaker_for
    from integrations.resilience import Gateway

    gateway = Gateway(
        CalcomClient(api_key="cal_live_test", base_url=hanging_server), breaker_for("calcom:test")
    )
    for _ in range(6):
        with deadline_within(0.0), pytest.raises(TransientError):
            gateway.write("list_event_types")
    with deadline_within(0.2), pytest.raises(TransientError):
        gateway.write("list_event_types")  # cut short by the deadline while Cal.com is silent
    assert breaker_for("calcom:test").state() == "closed"
