"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

- `browser`: one headless Chromium for this package (/usr/bin/chromium, or ASKPRO_CHROMIUM);
  nothing is downloaded, `playwright install` is never run.
- `page`: a fresh context and page per test, 1400x900, locale de-DE, time zone Europe/Berlin,
  its base URL the live server (pytest-django's `live_server`, so the test is transactional:
  the server's thread sees the rows the test commits). A failed test leaves a screenshot,
  FAILED-<test>.png, beside the others (helpers.screenshot_dir()); passing again removes it.
- `sandbox`, `sandbox_company`: the Cal.com sandbox in-process on a free port, and a company
  booking in it; `make_staff(company, username, role=...)` adds a staff member to log in as.
- helpers.py: `login(page, username, password)`, `screenshot(page, name)`.

The clock: tests/conftest.py pins the whole process's wall clock (time-machine), the live server
included; Playwright's timeouts run on monotonic time, which is left alone. Chromium, another
process, keeps the real time: that does not matter to logins, as Django's session and CSRF
cookies carry Max-Age, which Chromium prefers to their Expires date (counted from the pinned
clock); checked with ASKPRO_TEST_NOW years in the past.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

from companies.models import Company, StaffRole
from companies.services import staff_member_add
from sandbox.server import SandboxServer, start_sandbox
from tests.browser.helpers import chromium_path, screenshot, screenshot_dir
from tests.factories import BranchFactory, CompanyFactory, PhoneNumberFactory, UserFactory

VIEWPORT = {"width": 1400, "height": 900}
# Each Playwright call waits at most this long (its default, 30 s, makes a broken page slow to fail).
TIMEOUT_MS = 10_000
_outcomes = pytest.StashKey[dict]()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the browser tests, closed when the last of them is done.

    Package scope, not session: while Playwright's sync API runs, its asyncio loop counts as
    running on the test thread, and later tests that start a loop of their own (anyio, the MCP
    client) would be refused ("cannot be called from a running event loop").
    """
    executable = chromium_path()
    if not Path(executable).exists():
        pytest.fail(
            f"no Chromium at {executable}: apt-get install chromium chromium-driver "
            "(.ci/run does), or point ASKPRO_CHROMIUM at one",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        # That same loop makes Django refuse the ORM on the test thread (SynchronousOnlyOperation)
        # although nothing async runs there: the loop only waits for Chromium's answers between
        # our calls. Factories in tests and pytest-django's flush between them need the ORM.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            # As root (CI, containers) Chromium's own sandbox cannot start: Playwright passes
            # --no-sandbox unless chromium_sandbox is true; said here so it is not a surprise.
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, chromium_sandbox=False
            )
            yield chromium
            chromium.close()
            # While that loop runs, Django keeps this thread's connections in a context variable
            # (asgiref's Local), not in the thread-local it uses afterwards, and the variable
            # stays set in this thread's context: later tests that run a loop (anyio) would
            # inherit the connection and leave it open, so PostgreSQL's test database outlives
            # the suite ("being accessed by other users"). Closed and forgotten here, still in
            # reach; an in-memory SQLite database ignores the close.
            connections.close_all()
            for alias in connections:
                del connections[alias]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test, so `page` can tell at teardown that it failed."""
    report = yield
    item.stash.setdefault(_outcomes, {})[report.when] = report
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, live_server) -> Iterator[Page]:
    """A fresh page (own cookies) on the live server, as a German-speaking browser sees it."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="de-DE",  # Accept-Language: de-DE; LocaleMiddleware picks German from it
        timezone_id="Europe/Berlin",
    )
    context.set_default_timeout(TIMEOUT_MS)
    # Chromium asks every site for one; Django's 404 would only add a warning to each test's log.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    tab = context.new_page()
    yield tab
    call = request.node.stash.get(_outcomes, {}).get("call")
    failure_shot = screenshot_dir() / f"FAILED-{request.node.name}.png"
    if call is not None and call.failed:
        try:
            screenshot(tab, failure_shot.stem)
        except Exception as error:  # the failure itself matters more than its picture
            print(f"no failure screenshot: {error}")
    else:
        failure_shot.unlink(missing_ok=True)  # an earlier run's, no longer true
    context.close()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """The Cal.com sandbox on a free port of 127.0.0.1 (its built-in calendar, any API key)."""
    with start_sandbox(seed=12) as server:
        yield server


@pytest.fixture
def sandbox_company(sandbox: SandboxServer, transactional_db) -> Company:
    """A company booking in the sandbox: branch "Berlin Mitte" on event type 1001 (Beratung,
    Mon-Fri), its number +493055555555."""
    company = CompanyFactory(
        name="Praxis Sandbox", slug="sandbox", calcom_base_url=sandbox.base_url, calcom_api_key="cal_sandbox"
    )
    branch = BranchFactory(
        company=company, name="Berlin Mitte", calcom_event_type_id=1001, opening_hours="Mo-Fr 9-17"
    )
    PhoneNumberFactory(company=company, branch=branch, number="+493055555555")
    return company


@pytest.fixture
def make_staff(transactional_db) -> Callable:
    """`make_staff(company, "erika", role=StaffRole.OWNER)`: a member of `company` who can log in
    with helpers.PASSWORD."""

    def make(company: Company, username: str, *, role: str = StaffRole.STAFF):
        user = UserFactory(username=username)
        staff_member_add(company=company, user=user, role=role)
        return user

    return make
