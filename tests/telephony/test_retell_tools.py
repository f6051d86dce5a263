"""`manage.py retell_tools`: what staff paste into Retell for a company.

Tool definitions follow Retell's custom functions (`type: "custom"`, `url`, `method`, `timeout_ms`
within 1,000..600,000 ms, `parameters` a JSON Schema with a top-level `"type": "object"`:
https://docs.retellai.com/build/single-multi-prompt/custom-function); the inbound webhook URL is
configured per number (https://docs.retellai.com/features/inbound-call-webhook); webhook URL and
events per agent (https://docs.retellai.com/features/webhook).
"""

import json

import pytest
from django.core.management import CommandError, call_command

from telephony.retell.tools import FUNCTIONS

pytestmark = pytest.mark.django_db

SIX_TOOLS = [
    "check_availability",
    "find_alternatives",
    "book_appointment",
    "find_my_appointments",
    "reschedule_appointment",
    "cancel_appointment",
]


def _setup(capsys, *args) -> dict:
    call_command("retell_tools", "--company", "alpha", *args)
    return json.loads(capsys.readouterr().out)


def test_output_is_json_with_all_six_tools_as_custom_functions(company_a, capsys, settings):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com"
    setup = _setup(capsys)
    functions_url = f"https://askpro.example.com/api/retell/functions/{company_a.webhook_key}"

    assert [tool["name"] for tool in setup["tools"]] == SIX_TOOLS == list(FUNCTIONS)
    for tool in setup["tools"]:
        assert tool["type"] == "custom" and tool["method"] == "POST"
        assert tool["url"] == functions_url
        assert tool["parameters"]["type"] == "object"
        assert set(tool["parameters"]["required"]) <= set(tool["parameters"]["properties"])
        assert 1000 <= tool["timeout_ms"] <= 600000


def test_output_carries_the_companys_urls_events_and_timeouts(company_a, capsys, settings):
    settings.PUBLIC_BASE_URL = "https://askpro.example.com/"
    setup = _setup(capsys)
    key = company_a.webhook_key

    assert setup["inbound_webhook_url"] == f"https://askpro.example.com/api/retell/inbound/{key}"
    assert setup["webhook_url"] == f"https://askpro.example.com/api/retell/webhook/{key}"
    assert setup["webhook_events"] == ["call_started", "call_ended", "call_analyzed"]
    assert setup["timeouts"]["webhook_timeout_ms"] == 10000
    assert setup["timeouts"]["tools_ms"]["book_appointment"] == FUNCTIONS["book_appointment"]["timeout_ms"]
    assert "caller_name" in setup["dynamic_variables"]


def test_base_url_option_overrides_the_public_base_url(company_a, company_b, capsys):
    setup = _setup(capsys, "--base-url", "https://tunnel.example.net")
    assert setup["webhook_url"] == f"https://tunnel.example.net/api/retell/webhook/{company_a.webhook_key}"
    assert company_b.webhook_key not in json.dumps(setup)


def test_a_base_url_that_is_not_http_is_refused(company_a):
    with pytest.raises(CommandError, match="--base-url"):
        call_command("retell_tools", "--company", "alpha", "--base-url", "askpro.example.com")


def test_unknown_company_is_refused(db):
    with pytest.raises(CommandError, match="No company"):
        call_command("retell_tools", "--company", "nope")


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:9000", "http://localhost:8000", "https://192.168.1.20", "http://askpro.example.com"],
)
def test_a_url_retell_cannot_reach_is_printed_with_a_warning(company_a, capsys, settings, base_url):
    settings.PUBLIC_BASE_URL = base_url
    call_command("retell_tools", "--company", "alpha")
    printed = capsys.readouterr()

    setup = json.loads(printed.out)  # the warning goes to stderr: stdout stays JSON
    assert setup["webhook_url"].startswith(base_url)
    assert "WARNING" in printed.err and "public https address" in printed.err


def test_a_public_https_url_is_printed_without_a_warning(company_a, capsys):
    call_command("retell_tools", "--company", "alpha", "--base-url", "https://askpro.example.com")
    assert capsys.readouterr().err == ""
