"""What the data-protection tests share: the clinic Jana called, the salon beside it, her rows,
and the wire (any request not registered on it fails the test)."""

import pytest
import responses

from companies.models import Company
from tests.privacy import people


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.fixture
def alpha(db) -> Company:
    return people.clinic()


@pytest.fixture
def beta(db) -> Company:
    return people.salon()


@pytest.fixture
def her(client, alpha) -> people.Jana:
    return people.jana(client, alpha)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
