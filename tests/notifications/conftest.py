import pytest
import responses
from django.utils.module_loading import import_string

from tests.factories import BranchFactory, CompanyFactory
from tests.notifications import twilio_fakes

EVENT_TYPE_ID = 50


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    """Cal.com reads are retried after 1 s, 2 s; tests do not sleep."""
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.fixture
def wire():
    """Cal.com and Twilio faked at the wire; every registered response must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def twilio(settings):
    settings.NOTIFICATION_SENDER = "notifications.senders.TwilioSmsSender"
    settings.TWILIO_ACCOUNT_SID = twilio_fakes.ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = twilio_fakes.AUTH_TOKEN
    settings.TWILIO_FROM = twilio_fakes.FROM


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """Tasks enqueued after commit run at once, as the worker would run them."""
    monkeypatch.setattr("askpro.inbox.enqueue", lambda func, *args, queue: import_string(func)(*args))
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def practice(db):
    company = CompanyFactory(name="Praxis Sonnenschein", slug="sonnenschein", calcom_api_key="cal_live_sonne")
    BranchFactory(company=company, name="Mitte", calcom_event_type_id=EVENT_TYPE_ID)
    return company
