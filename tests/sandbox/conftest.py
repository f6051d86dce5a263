"""The sandbox tests' clock and server: the sandbox's own clock, a sandbox on a free port."""

import pytest

from sandbox.server import start_sandbox
from tests.sandbox.helpers import API_KEY, MON, FakeClock, wall


@pytest.fixture
def clock(pinned_clock):
    return FakeClock(wall(MON, "09:00"))


@pytest.fixture
def sandbox(clock):
    with start_sandbox(clock=clock, api_key=API_KEY, seed=7) as server:
        yield server
