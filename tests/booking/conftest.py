import pytest
import responses

from tests.factories import BranchFactory, CompanyFactory

EVENT_TYPE_ID = 50


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    """Read retries back off 1 s, 2 s; tests record the pauses instead of sleeping."""
    pauses = []
    monkeypatch.setattr("integrations.resilience.retry_sleep", pauses.append)
    return pauses


@pytest.fixture
def calcom():
    """Cal.com faked at the wire; every registered response must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def company(db):
    company = CompanyFactory(slug="praxis", calcom_api_key="cal_live_praxis")
    BranchFactory(company=company, name="Mitte", calcom_event_type_id=EVENT_TYPE_ID)
    return company


@pytest.fixture
def branch(company):
    return company.branches.get()


@pytest.fixture
def other_company(db):
    other = CompanyFactory(slug="other", calcom_api_key="cal_live_other")
    BranchFactory(company=other, name="Elsewhere", calcom_event_type_id=77)
    return other
