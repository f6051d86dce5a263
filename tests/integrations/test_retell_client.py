"""RetellClient against a faked wire (`responses`); payloads are fixture files.

Fixtures in tests/fixtures/retell/, shaped after shared/contracts/retell-api.md ("contract") and
the saved OpenAPI spec (shared/contracts/retell-openapi.yaml):
- phone_numbers_page_{1,2}.json: GET /v2/list-phone-numbers `{items, has_more, pagination_key}`
  with PhoneNumberResponse items (§6.2, OpenAPI PaginatedResponseBase): weighted
  `inbound_agents: [{agent_id, agent_version?, weight}]` (AgentWeight), a number with only the
  required fields, and one still carrying the legacy `inbound_agent_id` removed 03/31/2026 (§6.3).
- agents_page_{1,2}.json: POST /v2/list-agents summaries `{agent_id, agent_name, channel, tags,
  user_modified_timestamp}` (§6.2), a chat agent on page 2.
- agent.json / agent_updated.json: AgentResponse with webhook_url, webhook_events,
  webhook_timeout_ms, response_engine (§1.1, §6.2).
- call.json: the call object of GET /v2/get-call, as in the call_analyzed webhook (§1.2, §1.3).
- error_*.json: `{"status": "error", "message"}` with the OpenAPI's example messages (§6.1).
"""

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from prometheus_client import REGISTRY
from urllib3.exceptions import MaxRetryError, NameResolutionError, ProtocolError

from integrations.errors import (
    AuthError,
    BadRequest,
    NotFound,
    RateLimited,
    TransientError,
)
from integrations.retell.client import RetellClient
from tests import retell_fakes, timeline

# Clients keep a vendor's Retry-After where every process sees it (integrations/holds.py).
pytestmark = pytest.mark.django_db

BASE = "https://api.retellai.com"
API_KEY = "key_live_5b2e8d1f4a7c9e0b3d6f8a1c2e4b"
AGENT_ID = "agent_9f3c2a7d1e5b4c8a6d0e2f4b1a"
CALL_ID = "call_7c1e9a4b2d6f3a8e5b0c1d7f4a"


def load(name: str) -> dict:
    """The contract fixture `name`, its {{date tokens}} rendered for the pinned now."""
    return retell_fakes.fixture(name.removesuffix(".json"))


def query(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def sent_json(call) -> dict:
    return json.loads(call.request.body)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client():
    return RetellClient(api_key=API_KEY)


# -- every endpoint: path, method, bearer key (contract §6.1, §6.2) ----------------------------

ENDPOINTS = [
    (
        "list_phone_numbers",
        lambda c: c.list_phone_numbers(),
        "GET",
        "/v2/list-phone-numbers",
        "phone_numbers_page_2.json",
    ),
    ("list_agents", lambda c: c.list_agents(), "POST", "/v2/list-agents", "agents_page_2.json"),
    ("get_agent", lambda c: c.get_agent(AGENT_ID), "GET", f"/get-agent/{AGENT_ID}", "agent.json"),
    (
        "update_agent",
        lambda c: c.update_agent(AGENT_ID, webhook_timeout_ms=8000),
        "PATCH",
        f"/update-agent/{AGENT_ID}",
        "agent_updated.json",
    ),
    ("get_call", lambda c: c.get_call(CALL_ID), "GET", f"/v2/get-call/{CALL_ID}", "call.json"),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "fixture"),
    [pytest.param(*row[1:], id=row[0]) for row in ENDPOINTS],
)
def test_each_endpoint_uses_its_current_path_and_the_bearer_key(wire, client, call, method, path, fixture):
    """Paths are mixed (unversioned, /v2) by endpoint; the legacy list endpoints are gone (§6.3)."""
    wire.add(method, BASE + path, json=load(fixture))

    call(client)

    sent = wire.calls[0].request
    assert sent.method == method
    assert urlsplit(sent.url).path == path
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Accept"] == "application/json"


def test_default_timeout_comes_from_settings(wire, settings):
    settings.HTTP_CONNECT_TIMEOUT = 1.5
    settings.HTTP_READ_TIMEOUT = 7.0
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", json=load("call.json"))

    RetellClient(api_key=API_KEY).get_call(CALL_ID)

    assert wire.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


def test_explicit_base_url_timeout_and_session_are_used(wire):
    session = requests.Session()
    wire.get(f"https://retell.test/v2/get-call/{CALL_ID}", json=load("call.json"))
    client = RetellClient(
        api_key=API_KEY, base_url="https://retell.test/", timeout=(2.0, 5.0), session=session
    )

    client.get_call(CALL_ID)

    assert wire.calls[0].request.req_kwargs["timeout"] == (2.0, 5.0)
    assert "Authorization" not in session.headers  # a shared session never keeps our key


@pytest.mark.parametrize("api_key", ["", " key_x", "key_x\n"])
def test_a_missing_or_padded_api_key_is_refused(api_key):
    with pytest.raises(ValueError):
        RetellClient(api_key=api_key)


def test_repr_never_shows_the_api_key(client):
    assert API_KEY not in repr(client)


# -- phone numbers (§6.2, §6.3) ----------------------------------------------------------------


def test_list_phone_numbers_follows_pagination_key_until_has_more_is_false(wire, client):
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_1.json"))
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_2.json"))

    numbers = client.list_phone_numbers()

    assert [n["phone_number"] for n in numbers] == ["+493011111111", "+493011111112", "+493022222222"]
    first, second = wire.calls
    assert query(first) == {"limit": "1000"}
    # The key is sent back as given; a "+" must survive the query string (encoded as %2B).
    assert "pagination_key=%2B493011111112" in second.request.url
    assert query(second) == {"limit": "1000", "pagination_key": "+493011111112"}
    assert first.request.body is None and second.request.body is None


def test_phone_numbers_keep_weighted_inbound_agents_and_tolerate_missing_optional_fields(wire, client):
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_1.json"))
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_2.json"))

    clinic, bare, legacy = client.list_phone_numbers()

    assert clinic["inbound_agents"] == [
        {"agent_id": AGENT_ID, "agent_version": 3, "weight": 0.7},
        {"agent_id": "agent_4b7e1d9c2a6f3e8b5c0d7a1f2e", "weight": 0.3},
    ]
    assert clinic["nickname"] == "Alpha Mitte Empfang"
    assert set(bare) == {"phone_number", "phone_number_type", "last_modification_timestamp"}
    assert legacy["inbound_agents"] is None
    assert legacy["inbound_agent_id"] == "agent_4b7e1d9c2a6f3e8b5c0d7a1f2e"


def test_list_phone_numbers_sends_the_page_size_it_is_given(wire, client):
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_2.json"))

    client.list_phone_numbers(limit=50)

    assert query(wire.calls[0]) == {"limit": "50"}


def test_list_stops_at_max_pages_even_if_more_remain(wire, client, caplog):
    wire.get(BASE + "/v2/list-phone-numbers", json=load("phone_numbers_page_1.json"))

    with caplog.at_level(logging.WARNING, logger="integrations.retell"):
        numbers = client.list_phone_numbers(max_pages=1)

    assert len(numbers) == 2
    assert "stopped after 1 pages" in caplog.text


@pytest.mark.parametrize("next_key", [None, ""])
def test_has_more_without_a_pagination_key_stops(wire, client, caplog, next_key):
    page = {**load("phone_numbers_page_1.json"), "pagination_key": next_key}
    wire.get(BASE + "/v2/list-phone-numbers", json=page)

    with caplog.at_level(logging.WARNING, logger="integrations.retell"):
        numbers = client.list_phone_numbers()

    assert len(numbers) == 2
    assert "has_more without a new pagination_key" in caplog.text


def test_a_page_repeating_the_key_it_was_sent_stops_instead_of_looping(wire, client, caplog):
    page = load("phone_numbers_page_1.json")
    wire.get(BASE + "/v2/list-phone-numbers", json=page)
    wire.get(BASE + "/v2/list-phone-numbers", json=page)  # has_more again, with the same key

    with caplog.at_level(logging.WARNING, logger="integrations.retell"):
        numbers = client.list_phone_numbers()

    assert len(numbers) == 4
    assert "has_more without a new pagination_key" in caplog.text


@pytest.mark.parametrize(("limit", "max_pages"), [(0, 1), (1001, 1), (50, 0)])
def test_list_refuses_a_page_size_or_page_cap_out_of_range(wire, client, limit, max_pages):
    with pytest.raises(ValueError):
        client.list_phone_numbers(limit=limit, max_pages=max_pages)


def test_a_list_answer_without_items_is_transient(wire, client):
    wire.get(BASE + "/v2/list-phone-numbers", json=[])  # the removed legacy endpoint's bare array

    with pytest.raises(TransientError):
        client.list_phone_numbers()


# -- agents (§6.2) -----------------------------------------------------------------------------


def test_list_agents_posts_the_pagination_key_in_the_json_body(wire, client):
    wire.post(BASE + "/v2/list-agents", json=load("agents_page_1.json"))
    wire.post(BASE + "/v2/list-agents", json=load("agents_page_2.json"))

    agents = client.list_agents()

    assert [(a["agent_id"], a["channel"]) for a in agents] == [
        (AGENT_ID, "voice"),
        ("agent_4b7e1d9c2a6f3e8b5c0d7a1f2e", "voice"),
        ("agent_c2d8e4f6a1b3c5d7e9f0a2b4c6", "chat"),
    ]
    first, second = wire.calls
    assert sent_json(first) == {"limit": 1000}
    # No pagination_key_version: the 07/31/2026 notice says to stop sending it.
    assert sent_json(second) == {"limit": 1000, "pagination_key": "agent_4b7e1d9c2a6f3e8b5c0d7a1f2e"}
    assert urlsplit(second.request.url).query == ""
    assert second.request.headers["Content-Type"] == "application/json"


def test_list_agents_can_ask_retell_for_one_channel(wire, client):
    wire.post(BASE + "/v2/list-agents", json=load("agents_page_2.json"))

    client.list_agents(channel="voice")

    assert sent_json(wire.calls[0]) == {
        "filter_criteria": {"channel": {"op": "eq", "type": "string", "value": "voice"}},
        "limit": 1000,
    }


def test_get_agent_returns_the_full_agent_with_its_webhook_settings(wire, client):
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=load("agent.json"))

    agent = client.get_agent(AGENT_ID)

    assert agent["webhook_url"] == "https://askpro.example.com/retell/alpha/wk_2Q9xLr7T/webhook"
    assert agent["webhook_events"] == ["call_started", "call_ended", "call_analyzed"]
    assert agent["webhook_timeout_ms"] == 10000
    assert agent["response_engine"]["type"] == "retell-llm"
    assert query(wire.calls[0]) == {}


def test_get_agent_asks_for_a_version_only_when_given(wire, client):
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=load("agent.json"))

    client.get_agent(AGENT_ID, version=0)

    assert query(wire.calls[0]) == {"version": "0"}


@pytest.mark.parametrize("version", [-1, True, "3"])
def test_get_agent_refuses_a_version_that_is_not_a_whole_number(wire, client, version):
    with pytest.raises(ValueError):
        client.get_agent(AGENT_ID, version=version)


def test_update_agent_patches_exactly_the_fields_given(wire, client):
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=load("agent_updated.json"))
    fields = {
        "webhook_url": "https://askpro.example.com/retell/alpha/wk_9Hn4Pz1K/webhook",
        "webhook_events": ["call_started", "call_ended", "call_analyzed"],
        "webhook_timeout_ms": 8000,
    }

    agent = client.update_agent(AGENT_ID, **fields)

    assert sent_json(wire.calls[0]) == fields
    assert agent["webhook_url"] == fields["webhook_url"]
    assert agent["version"] == 4 and agent["is_published"] is False  # a draft (§6.2)


def test_update_agent_sends_none_as_null_to_remove_the_agent_webhook(wire, client):
    """OpenAPI AgentRequest.webhook_url: "Set to `null` to remove webhook url from this agent"."""
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=load("agent.json"))

    client.update_agent(AGENT_ID, webhook_url=None)

    assert wire.calls[0].request.body == b'{"webhook_url": null}'


def test_update_agent_needs_a_field(wire, client):
    with pytest.raises(ValueError):
        client.update_agent(AGENT_ID)


# -- calls (§1.3, §6.2) ------------------------------------------------------------------------


def test_get_call_returns_the_call_with_its_analysis(wire, client):
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", json=load("call.json"))

    call = client.get_call(CALL_ID)

    assert call["call_id"] == CALL_ID
    assert call["call_analysis"]["custom_analysis_data"]["datum"] == timeline.booking_day().isoformat()
    assert "Grüß Gott" in call["transcript"]


@pytest.mark.parametrize("bad_id", ["", "   ", None, 42])
def test_ids_are_required_before_anything_is_sent(wire, client, bad_id):
    with pytest.raises(ValueError):
        client.get_call(bad_id)
    with pytest.raises(ValueError):
        client.get_agent(bad_id)


def test_an_id_is_sent_as_one_path_segment(wire, client):
    wire.get(f"{BASE}/v2/get-call/..%2Fget-agent%2Fx%3Fy", json=load("call.json"))

    client.get_call("../get-agent/x?y")

    assert urlsplit(wire.calls[0].request.url).path == "/v2/get-call/..%2Fget-agent%2Fx%3Fy"


# -- errors (§6.1) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fixture", "expected"),
    [
        (400, "error_bad_request.json", BadRequest),
        (401, "error_unauthorized.json", AuthError),
        (402, "error_payment_required.json", BadRequest),
        (403, "error_forbidden.json", AuthError),
        (404, "error_not_found.json", NotFound),
        (409, "error_bad_request.json", BadRequest),
        (422, "error_unprocessable.json", NotFound),
        (429, "error_rate_limited.json", RateLimited),
        (500, "error_internal.json", TransientError),
        (503, "error_internal.json", TransientError),
    ],
)
def test_each_retell_error_maps_to_its_typed_error(wire, client, status, fixture, expected):
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=load(fixture), status=status)

    with pytest.raises(expected) as raised:
        client.get_agent(AGENT_ID)

    error = raised.value
    assert type(error) is expected
    assert (error.service, error.status) == ("retell", status)
    assert error.message == load(fixture)["message"]
    assert error.permanent is (expected not in (RateLimited, TransientError))


def test_a_422_that_is_not_a_missing_asset_is_a_bad_request(wire, client):
    wire.patch(
        f"{BASE}/update-agent/{AGENT_ID}",
        json={"status": "error", "message": "webhook_timeout_ms must be a positive integer"},
        status=422,
    )

    with pytest.raises(BadRequest):
        client.update_agent(AGENT_ID, webhook_timeout_ms=-1)


def test_a_5xx_says_the_request_was_sent(wire, client):
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=load("error_internal.json"), status=502)

    with pytest.raises(TransientError) as raised:
        client.update_agent(AGENT_ID, webhook_timeout_ms=8000)

    assert raised.value.request_sent is True


def test_a_non_json_gateway_error_keeps_its_raw_text(wire, client):
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", body="<html>502 Bad Gateway</html>", status=502)

    with pytest.raises(TransientError) as raised:
        client.get_call(CALL_ID)

    assert raised.value.message == "<html>502 Bad Gateway</html>"


def test_rate_limited_takes_retry_after_seconds(wire, client):
    wire.get(
        f"{BASE}/get-agent/{AGENT_ID}",
        json=load("error_rate_limited.json"),
        status=429,
        headers={"Retry-After": "12"},
    )

    with pytest.raises(RateLimited) as raised:
        client.get_agent(AGENT_ID)

    assert raised.value.retry_after == 12.0


def test_rate_limited_without_retry_after_has_none(wire, client):
    wire.get(f"{BASE}/get-agent/{AGENT_ID}", json=load("error_rate_limited.json"), status=429)

    with pytest.raises(RateLimited) as raised:
        client.get_agent(AGENT_ID)

    assert raised.value.retry_after is None


def _name_resolution_failure() -> requests.exceptions.ConnectionError:
    reason = NameResolutionError("api.retellai.com", None, OSError("Name or service not known"))
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/v2/get-call/x", reason))


def _reset_while_reading() -> requests.exceptions.ConnectionError:
    reason = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    return requests.exceptions.ConnectionError(reason)


@pytest.mark.parametrize(
    ("failure", "request_sent"),
    [
        pytest.param(requests.exceptions.ConnectTimeout("connect timed out"), False, id="connect-timeout"),
        pytest.param(_name_resolution_failure(), False, id="dns-failure"),
        pytest.param(_reset_while_reading(), True, id="reset-while-reading"),
        pytest.param(requests.exceptions.ReadTimeout("read timed out"), True, id="read-timeout"),
    ],
)
def test_transport_failures_are_transient_and_say_whether_the_request_left(
    wire, client, failure, request_sent
):
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", body=failure)

    with pytest.raises(TransientError) as raised:
        client.get_call(CALL_ID)

    assert raised.value.request_sent is request_sent
    assert (raised.value.service, raised.value.status) == ("retell", None)
    assert raised.value.message == f"{type(failure).__name__} on GET /v2/get-call/{{call_id}}"
    assert raised.value.__cause__ is None


def test_an_unusable_base_url_is_a_permanent_bad_request():
    client = RetellClient(api_key=API_KEY, base_url="api.retellai.com")  # no scheme

    with pytest.raises(BadRequest) as raised:
        client.get_call(CALL_ID)

    assert raised.value.service == "retell"


def test_a_2xx_that_is_not_a_json_object_is_transient(wire, client):
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", body="<html>proxy</html>", content_type="text/html")

    with pytest.raises(TransientError) as raised:
        client.get_call(CALL_ID)

    assert (raised.value.status, raised.value.request_sent) == (200, True)


# -- logs and metrics ---------------------------------------------------------------------------


def test_logs_name_method_path_template_and_status_but_never_the_key(wire, client, caplog):
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", json=load("call.json"))
    wire.patch(f"{BASE}/update-agent/{AGENT_ID}", json=load("error_unauthorized.json"), status=401)

    with caplog.at_level(logging.DEBUG, logger="integrations.retell"):
        client.get_call(CALL_ID)
        with pytest.raises(AuthError):
            client.update_agent(
                AGENT_ID, webhook_url="https://askpro.example.com/retell/alpha/wk_secret/webhook"
            )

    ok, failed = caplog.records
    assert ok.levelno == logging.INFO
    assert "get_call GET /v2/get-call/{call_id} -> 200" in ok.getMessage()
    assert failed.levelno == logging.WARNING
    assert "update_agent PATCH /update-agent/{agent_id} failed: AuthError status=401" in failed.getMessage()
    for secret in (API_KEY, "wk_secret", "Jana", "+4915112345678"):
        assert secret not in caplog.text


def test_every_call_is_timed_in_the_api_duration_histogram(wire, client):
    def count() -> float:
        labels = {"service": "retell", "method": "get_call"}
        return REGISTRY.get_sample_value("mcp_api_duration_seconds_count", labels) or 0.0

    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", json=load("call.json"))
    wire.get(f"{BASE}/v2/get-call/{CALL_ID}", body=requests.exceptions.ReadTimeout("read timed out"))
    before = count()

    client.get_call(CALL_ID)
    with pytest.raises(TransientError):
        client.get_call(CALL_ID)

    assert count() == before + 2
