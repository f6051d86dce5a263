import logging

import pytest
import time_machine

from askpro.logfilters import OncePerMinute
from companies.models import StaffRole
from companies.services import staff_member_add
from integrations.cache import clear_cached_data
from tests import timeline
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory, UserFactory

TEST_NOW = timeline.pinned_at()


def pytest_report_header(config):
    return f"clock pinned at {timeline.z(TEST_NOW)} (repeat with {timeline.ENV}={timeline.z(TEST_NOW)})"


@pytest.fixture(autouse=True)
def pinned_clock():
    """Every test runs at TEST_NOW, frozen, for the whole process (threads and in-process servers
    included). time-machine moves the C-level clocks, so `core.clock`, Django and the libraries
    all agree; monotonic time is left alone, so timeouts and polling still work. A test that must
    stand at another moment (a DST switch) moves it with `pinned_clock.move_to(...)`."""
    with time_machine.travel(TEST_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _english_unless_asked(request, settings):
    """Staff get German by default (settings.LANGUAGE_CODE); most tests read our English texts,
    so they ask for English. Tests marked `german` (and browser tests, whose browser sends
    Accept-Language: de-DE) meet the real default."""
    if request.node.get_closest_marker("german") is None:
        settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.25 s a user; tests prove permissions, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_log_throttles():
    """Outage warnings are let through once a minute per process; each test starts a new minute."""
    for logger in [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]:
        for throttle in logger.filters:
            if isinstance(throttle, OncePerMinute):
                throttle.reset()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (Redis in CI is shared between tests)."""
    clear_cached_data()
    yield
    clear_cached_data()


@pytest.fixture
def company_a(db):
    company = CompanyFactory(name="Alpha Praxis", slug="alpha")
    branch = BranchFactory(company=company, name="Alpha Mitte")
    PhoneNumberFactory(company=company, branch=branch, number="+493011111111")
    return company


@pytest.fixture
def company_b(db):
    company = CompanyFactory(name="Beta Salon", slug="beta")
    branch = BranchFactory(company=company, name="Beta Nord")
    PhoneNumberFactory(company=company, branch=branch, number="+493022222222")
    return company


@pytest.fixture
def alice(company_a):
    """Staff member of company A."""
    user = UserFactory(username="alice")
    staff_member_add(company=company_a, user=user)
    return user


@pytest.fixture
def olga(company_a):
    """Owner of company A: staff's work plus the set-up (keys, branches, numbers)."""
    user = UserFactory(username="olga")
    staff_member_add(company=company_a, user=user, role=StaffRole.OWNER)
    return user


@pytest.fixture
def bob(company_b):
    """Staff member of company B."""
    user = UserFactory(username="bob")
    staff_member_add(company=company_b, user=user)
    return user


@pytest.fixture
def charlie(db):
    """Superuser: sees every company."""
    return UserFactory(username="charlie", is_staff=True, is_superuser=True)
