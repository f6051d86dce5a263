"""Phone-number sync, webhook-configuration check, agent cache and their command and admin faces.

Retell is faked at the wire with `responses`; payloads are fixture files in tests/fixtures/retell
shaped after shared/contracts/retell-api.md ("contract"):
- phone_numbers_page_{1,2}.json: GET /v2/list-phone-numbers pages `{items, has_more,
  pagination_key}` (§6.2) with weighted `inbound_agents` (§6.3), a number carrying only the
  required fields, and one with `inbound_agents: null` plus the legacy `inbound_agent_id` (§6.3).
- agent.json: GET /get-agent with a foreign `webhook_url` (§6.2, §1.1).
- agent_default_events.json: our URL, `webhook_events` unset, i.e. Retell's default
  call_started/call_ended/call_analyzed (§1.1).
- agent_extra_events.json / agent_missing_events.json: our URL, plus the opt-in
  `transcript_updated` / without `call_analyzed` (§1.1).
- agent_fixed_draft.json: what PATCH /update-agent answers: the new draft, unpublished (§6.2, §8.15).
- error_unauthorized.json, error_internal.json, error_unprocessable.json: `{status, message}` (§6.1).
"""

import json

import pytest
import responses
from django.core.management import CommandError, call_command
from django.urls import reverse
from responses import matchers

from companies.models import PhoneNumber
from integrations.breaker import breaker_for
from integrations.errors import TransientError
from telephony.retell.agents import webhook_configuration_validate
from telephony.retell.gateway import RetellNotConfigured, retell_agent_get, retell_agent_update
from telephony.retell.phone_sync import phone_numbers_sync
from tests.factories import PhoneNumberFactory
from tests.retell_fakes import AGENT_ID, BASE, fixture

pytestmark = pytest.mark.django_db

OTHER_AGENT_ID = "agent_4b7e1d9c2a6f3e8b5c0d7a1f2e"
WEBHOOK_KEY = "wk_alpha_Q7m2Xc9R"
OUR_WEBHOOK_URL = f"https://askpro.example.com/api/retell/webhook/{WEBHOOK_KEY}"
LIST_NUMBERS = f"{BASE}/v2/list-phone-numbers"
EVENTS = ["call_started", "call_ended", "call_analyzed"]


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _retell_setup(settings, monkeypatch):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    settings.RETELL_BASE_URL = BASE
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.fixture
def alpha(company_a):
    """company_a with the webhook key the agent fixtures point at."""
    company_a.webhook_key = WEBHOOK_KEY
    company_a.save()
    return company_a


def _both_pages(wire):
    wire.get(
        LIST_NUMBERS,
        match=[matchers.query_param_matcher({"limit": "1000"})],
        json=fixture("phone_numbers_page_1"),
    )
    wire.get(
        LIST_NUMBERS,
        match=[matchers.query_param_matcher({"limit": "1000", "pagination_key": "+493011111112"})],
        json=fixture("phone_numbers_page_2"),
    )


def _one_page(wire, items):
    wire.get(LIST_NUMBERS, json={"items": items, "has_more": False})


def _agent(wire, name, agent_id=AGENT_ID):
    wire.get(f"{BASE}/get-agent/{agent_id}", json=fixture(name))


def _route(company, *agent_ids):
    number = company.phone_numbers.get()
    number.inbound_agent_ids = list(agent_ids)
    number.save()


# -- phone-number sync ------------------------------------------------------------------------------


def test_sync_follows_both_pages_and_updates_creates_and_reports(wire, company_a, company_b):
    gone = PhoneNumberFactory(company=company_a, branch=company_a.branches.get(), number="+493011111199")
    _both_pages(wire)

    report = phone_numbers_sync(company=company_a)

    assert report.updated == ["+493011111111"]
    assert report.created == ["+493011111112"]
    assert report.unchanged == []
    assert report.missing == [gone.number]
    assert report.conflicts == ["+493022222222"]
    assert PhoneNumber.objects.filter(number=gone.number, is_active=True).exists()  # reported, kept


def test_sync_keeps_the_branch_and_takes_weighted_agents_in_order(wire, company_a):
    branch = company_a.branches.get()
    _both_pages(wire)
    phone_numbers_sync(company=company_a)

    number = PhoneNumber.objects.get(number="+493011111111")
    assert number.branch == branch and number.is_active
    assert number.nickname == "Alpha Mitte Empfang"
    assert number.inbound_agent_ids == [AGENT_ID, OTHER_AGENT_ID]  # weights 0.7/0.3 ignored


def test_new_number_is_created_inactive_without_branch_and_tolerates_missing_fields(wire, company_a):
    _both_pages(wire)
    phone_numbers_sync(company=company_a)

    new = PhoneNumber.objects.get(number="+493011111112")  # only the required fields in Retell
    assert new.company == company_a
    assert new.branch is None and not new.is_active
    assert new.nickname == "" and new.inbound_agent_ids == []


def test_another_companys_number_is_left_alone(wire, company_a, company_b):
    theirs = PhoneNumber.objects.get(number="+493022222222")
    before = (
        theirs.company_id,
        theirs.branch_id,
        theirs.nickname,
        theirs.inbound_agent_ids,
        theirs.updated_at,
    )
    _both_pages(wire)
    report = phone_numbers_sync(company=company_a)

    theirs.refresh_from_db()
    assert (
        theirs.company_id,
        theirs.branch_id,
        theirs.nickname,
        theirs.inbound_agent_ids,
        theirs.updated_at,
    ) == before
    assert report.conflicts == ["+493022222222"]


def test_legacy_single_agent_field_is_read_when_inbound_agents_is_null(wire, company_b):
    _one_page(wire, fixture("phone_numbers_page_2")["items"])
    report = phone_numbers_sync(company=company_b)

    number = PhoneNumber.objects.get(number="+493022222222")
    assert report.updated == ["+493022222222"]
    assert number.inbound_agent_ids == [OTHER_AGENT_ID] and number.nickname == "Beta Nord"


def test_second_sync_reports_everything_unchanged(wire, company_a):
    page = fixture("phone_numbers_page_1")["items"]
    _one_page(wire, page)
    _one_page(wire, page)
    phone_numbers_sync(company=company_a)
    report = phone_numbers_sync(company=company_a)
    assert report.unchanged == ["+493011111111", "+493011111112"]
    assert report.created == report.updated == []


def test_a_number_without_nickname_in_retell_keeps_ours(wire, company_a):
    number = company_a.phone_numbers.get()
    number.nickname = "Empfang"
    number.save()
    _one_page(
        wire,
        [{"phone_number": "+493011111111", "phone_number_type": "custom", "last_modification_timestamp": 1}],
    )
    phone_numbers_sync(company=company_a)
    number.refresh_from_db()
    assert number.nickname == "Empfang"


def test_unreadable_items_are_skipped_not_fatal(wire, company_a):
    # Defensive, not per contract (phone_number is required there): a bad item must not stop the rest.
    items = fixture("phone_numbers_page_1")["items"] + [{"phone_number": "12"}, {"nickname": "x"}]
    _one_page(wire, items)
    report = phone_numbers_sync(company=company_a)
    assert report.skipped == ["12", ""]
    assert report.created == ["+493011111112"]


def test_numbers_whose_inbound_webhook_is_not_ours_are_reported(wire, alpha):
    items = fixture("phone_numbers_page_1")["items"]
    items[1]["inbound_webhook_url"] = f"https://askpro.example.com/api/retell/inbound/{WEBHOOK_KEY}"
    _one_page(wire, items)
    report = phone_numbers_sync(company=alpha)
    assert report.inbound_webhook_elsewhere == ["+493011111111"]


def test_dry_run_changes_nothing(wire, company_a, company_b):
    before = list(PhoneNumber.objects.order_by("pk").values())
    _both_pages(wire)
    report = phone_numbers_sync(company=company_a, dry_run=True)

    assert report.created == ["+493011111112"] and report.updated == ["+493011111111"]
    assert list(PhoneNumber.objects.order_by("pk").values()) == before


def test_sync_without_a_retell_key_is_a_configuration_error(wire, company_a):
    company_a.retell_api_key = None
    company_a.save()
    with pytest.raises(RetellNotConfigured):
        phone_numbers_sync(company=company_a)


# -- sync command -----------------------------------------------------------------------------------


def test_sync_command_prints_the_report(wire, company_a, company_b, capsys):
    _both_pages(wire)
    call_command("sync_phone_numbers", "--company", "alpha")
    out = capsys.readouterr().out
    assert "created (inactive until a branch is assigned): +493011111112" in out
    assert "stored for another company (left alone): +493022222222" in out
    assert "Beta" not in out  # nothing about the other company but the number


def test_sync_command_dry_run_says_so(wire, company_a, capsys):
    _both_pages(wire)
    call_command("sync_phone_numbers", "--company", "alpha", "--dry-run")
    assert "Dry run: nothing was changed." in capsys.readouterr().out
    assert not PhoneNumber.objects.filter(number="+493011111112").exists()


def test_sync_command_fails_when_retell_refuses_the_key(wire, company_a):
    wire.get(LIST_NUMBERS, json=fixture("error_unauthorized"), status=401)
    with pytest.raises(CommandError, match="Retell refused the company's API key"):
        call_command("sync_phone_numbers", "--company", "alpha")


def test_sync_command_fails_when_retell_is_down_after_three_attempts(wire, company_a):
    for _ in range(3):
        wire.get(LIST_NUMBERS, json=fixture("error_internal"), status=500)
    with pytest.raises(CommandError, match="Retell unavailable"):
        call_command("sync_phone_numbers", "--company", "alpha")


def test_sync_command_fails_fast_while_the_breaker_is_open(wire, company_a):
    breaker = breaker_for("retell")
    for _ in range(5):
        with pytest.raises(TransientError):
            breaker.call(_fail)
    with pytest.raises(CommandError, match="Retell unavailable"):
        call_command("sync_phone_numbers", "--company", "alpha")
    assert len(wire.calls) == 0


def test_sync_command_fails_for_an_unknown_company(db):
    with pytest.raises(CommandError, match="No company"):
        call_command("sync_phone_numbers", "--company", "nope")


def _fail():
    raise TransientError("down", service="retell")


# -- agent cache ------------------------------------------------------------------------------------


def test_second_get_agent_is_served_from_the_cache(wire, company_a):
    _agent(wire, "agent")
    first = retell_agent_get(company=company_a, agent_id=AGENT_ID)
    second = retell_agent_get(company=company_a, agent_id=AGENT_ID)
    assert first == second and len(wire.calls) == 1


def test_agent_cache_is_per_company(wire, company_a, company_b):
    _agent(wire, "agent")
    _agent(wire, "agent")
    retell_agent_get(company=company_a, agent_id=AGENT_ID)
    retell_agent_get(company=company_b, agent_id=AGENT_ID)
    assert len(wire.calls) == 2


def test_update_agent_drops_the_cached_agent(wire, company_a):
    _agent(wire, "agent")
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=fixture("agent_updated"))
    _agent(wire, "agent_updated")
    retell_agent_get(company=company_a, agent_id=AGENT_ID)
    retell_agent_update(company=company_a, agent_id=AGENT_ID, webhook_timeout_ms=8000)
    assert retell_agent_get(company=company_a, agent_id=AGENT_ID)["version"] == 4


def test_update_agent_is_not_retried(wire, company_a):
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=fixture("error_internal"), status=500)
    with pytest.raises(TransientError):
        retell_agent_update(company=company_a, agent_id=AGENT_ID, webhook_timeout_ms=8000)
    assert len(wire.calls) == 1


# -- webhook configuration ----------------------------------------------------------------------------


def test_wrong_webhook_url_is_a_problem(wire, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    [check] = webhook_configuration_validate(company=alpha)
    assert not check.ok
    assert check.agent_name == "Alpha Praxis Rezeption" and check.numbers == ["+493011111111"]
    assert check.problems == [
        "webhook_url is https://askpro.example.com/retell/alpha/wk_2Q9xLr7T/webhook, "
        f"expected {OUR_WEBHOOK_URL}"
    ]


def test_unset_webhook_events_mean_retells_default_and_are_ok(wire, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent_default_events")
    [check] = webhook_configuration_validate(company=alpha)
    assert check.ok and check.problems == [] and check.notes == []


def test_extra_events_are_ok_with_a_note(wire, alpha):
    _route(alpha, OTHER_AGENT_ID)
    _agent(wire, "agent_extra_events", OTHER_AGENT_ID)
    [check] = webhook_configuration_validate(company=alpha)
    assert check.ok
    assert check.notes == ["also subscribed to transcript_updated, which we acknowledge and ignore"]


def test_missing_event_is_a_problem(wire, alpha):
    _route(alpha, OTHER_AGENT_ID)
    _agent(wire, "agent_missing_events", OTHER_AGENT_ID)
    [check] = webhook_configuration_validate(company=alpha)
    assert not check.ok and check.problems == ["webhook_events lack call_analyzed"]


def test_every_distinct_agent_is_checked_once(wire, alpha):
    _route(alpha, AGENT_ID)
    PhoneNumberFactory(
        company=alpha, branch=alpha.branches.get(), inbound_agent_ids=[OTHER_AGENT_ID, AGENT_ID]
    )
    _agent(wire, "agent_default_events")
    _agent(wire, "agent_extra_events", OTHER_AGENT_ID)
    checks = webhook_configuration_validate(company=alpha)
    assert [c.agent_id for c in checks] == sorted([AGENT_ID, OTHER_AGENT_ID])
    assert len(checks[1].numbers) == 2  # AGENT_ID serves both numbers


def test_validation_reads_agents_fresh_not_from_the_cache(wire, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    _agent(wire, "agent_default_events")
    retell_agent_get(company=alpha, agent_id=AGENT_ID)  # cached: the wrong URL
    [check] = webhook_configuration_validate(company=alpha)  # staff fixed it in Retell meanwhile
    assert check.ok


def test_an_agent_retell_does_not_know_is_reported_not_fatal(wire, alpha):
    _route(alpha, AGENT_ID)
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=fixture("error_unprocessable"), status=422)
    [check] = webhook_configuration_validate(company=alpha)
    assert not check.ok and "does not know this agent" in check.error


def test_fix_patches_url_and_events_and_says_it_is_a_draft(wire, alpha, capsys):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    patch = wire.patch(
        f"{BASE}/update-agent/{AGENT_ID}",
        match=[matchers.json_params_matcher({"webhook_url": OUR_WEBHOOK_URL, "webhook_events": EVENTS})],
        json=fixture("agent_fixed_draft"),
    )

    call_command("validate_webhook_configuration", "--company", "alpha", "--fix")

    assert patch.call_count == 1
    assert json.loads(wire.calls[1].request.body) == {
        "webhook_url": OUR_WEBHOOK_URL,
        "webhook_events": EVENTS,
    }
    out = capsys.readouterr().out
    assert "FIXED: webhook_url is" in out
    assert "draft version (4)" in out and "publish the agent" in out


def test_fix_leaves_correct_agents_alone(wire, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent_default_events")
    [check] = webhook_configuration_validate(company=alpha, fix=True)  # no PATCH registered
    assert check.ok and not check.fixed


def test_fix_that_retell_does_not_apply_is_an_error(wire, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=fixture("agent_updated"))  # still a foreign URL
    [check] = webhook_configuration_validate(company=alpha, fix=True)
    assert not check.ok and "still reports" in check.error


def test_validate_command_fails_when_an_agent_is_wrong(wire, alpha, capsys):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    with pytest.raises(CommandError, match=r"1 of 1 agents .* --fix"):
        call_command("validate_webhook_configuration", "--company", "alpha")
    assert "WRONG: webhook_url is" in capsys.readouterr().out


def test_validate_command_succeeds_when_all_agents_are_ours(wire, alpha, capsys):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent_default_events")
    call_command("validate_webhook_configuration", "--company", "alpha")
    assert "1 agents send their webhooks to us." in capsys.readouterr().out


def test_validate_command_fails_without_agents(wire, alpha):
    with pytest.raises(CommandError, match="sync_phone_numbers first"):
        call_command("validate_webhook_configuration", "--company", "alpha")


def test_validate_command_fails_when_retell_refuses_the_key(wire, alpha):
    _route(alpha, AGENT_ID)
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=fixture("error_unauthorized"), status=401)
    with pytest.raises(CommandError, match="Retell refused the company's API key"):
        call_command("validate_webhook_configuration", "--company", "alpha")


# -- admin actions -----------------------------------------------------------------------------------


def _run_action(client, action, *companies):
    return client.post(
        reverse("admin:companies_company_changelist"),
        {"action": action, "_selected_action": [c.pk for c in companies]},
        follow=True,
    )


def test_superuser_syncs_numbers_from_admin(wire, client, charlie, company_a, company_b):
    _both_pages(wire)
    client.force_login(charlie)
    response = _run_action(client, "sync_phone_numbers", company_a)
    html = response.content.decode()
    assert "Alpha Praxis: 1 created" in html and "assign a branch to +493011111112" in html
    assert PhoneNumber.objects.get(number="+493011111112").company == company_a


def test_superuser_validates_webhooks_from_admin(wire, client, charlie, alpha):
    _route(alpha, AGENT_ID)
    _agent(wire, "agent")
    client.force_login(charlie)
    html = _run_action(client, "validate_webhook_configuration", alpha).content.decode()
    assert "WRONG: webhook_url is" in html


def test_admin_action_reports_retell_errors(wire, client, charlie, company_a):
    wire.get(LIST_NUMBERS, json=fixture("error_unauthorized"), status=401)
    client.force_login(charlie)
    html = _run_action(client, "sync_phone_numbers", company_a).content.decode()
    assert "Retell refused the company&#x27;s API key." in html


def test_staff_syncs_their_own_company(wire, client, olga, company_a):
    _both_pages(wire)
    client.force_login(olga)
    _run_action(client, "sync_phone_numbers", company_a)
    assert PhoneNumber.objects.filter(number="+493011111112", company=company_a).exists()


def test_staff_cannot_sync_another_company(wire, client, alice, company_a, company_b):
    client.force_login(alice)
    changelist = client.get(reverse("admin:companies_company_changelist"))
    assert [c.pk for c in changelist.context["cl"].result_list] == [company_a.pk]  # b is not offered

    for action in ("sync_phone_numbers", "validate_webhook_configuration"):
        _run_action(client, action, company_b)  # a forged selection

    assert len(wire.calls) == 0  # Retell was never asked
    assert not PhoneNumber.objects.filter(number="+493011111112").exists()
