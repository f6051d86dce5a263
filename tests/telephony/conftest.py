import pytest
import responses

from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory
from tests.retell_fakes import API_KEY, OTHER_API_KEY, as_body, signed_headers

EVENT_TYPE_ID = 50


@pytest.fixture
def clinic(db):
    """Company A as Retell knows it: its webhook key, its number +493011111111, event type 50."""
    company = CompanyFactory(
        slug="alpha", name="Alpha Praxis", retell_api_key=API_KEY, calcom_api_key="cal_live_alpha"
    )
    branch = BranchFactory(company=company, name="Alpha Mitte", calcom_event_type_id=EVENT_TYPE_ID)
    PhoneNumberFactory(company=company, branch=branch, number="+493011111111")
    return company


@pytest.fixture
def salon(db):
    """Company B, with its own key and number."""
    company = CompanyFactory(slug="beta", retell_api_key=OTHER_API_KEY, calcom_api_key="cal_live_beta")
    branch = BranchFactory(company=company, name="Beta Nord", calcom_event_type_id=77)
    PhoneNumberFactory(company=company, branch=branch, number="+493022222222")
    return company


@pytest.fixture
def calcom():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.fixture
def deliver(client):
    """Post a payload to a company's webhook URL, signed with `key` (default: company A's)."""

    def post(company, payload, *, key=API_KEY, url=None, ts_ms=None, body=None):
        raw = body if body is not None else as_body(payload)
        target = url or f"/api/retell/webhook/{company.webhook_key}"
        return client.post(target, raw, **signed_headers(raw, key, ts_ms))

    return post


def process_received() -> list[dict]:
    """Run the worker's job for everything waiting in the inbox, oldest first."""
    waiting = WebhookEvent.objects.filter(status=WebhookEventStatus.RECEIVED).order_by("pk")
    return [webhook_event_process(event_id=pk) for pk in waiting.values_list("pk", flat=True)]
