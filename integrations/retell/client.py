"""Retell AI REST client for the admin sync: HTTP only, plain data in and out, one typed error out.

Reference: https://docs.retellai.com/api-references (our notes: shared/contracts/retell-api.md §6).
Retell versions per endpoint in the path, not in a header, and mixes unversioned, /v2 and /v3
paths (§6.3); only the current endpoints are used: the legacy unversioned list endpoints are gone
since 06/15/2026 and 07/31/2026 (§6.3 "Deprecations to respect").

Every method raises an `IntegrationError` subclass for a transport failure or a status >= 400
(integrations/retell/errors.py). Nothing retries here; `integrations.retry.call_with_retry` may
wrap any of these calls but `delete_call` (the others are reads, or an idempotent PATCH).

Logs name the method, the path *template*, the status and the duration; never the API key, bodies
or query strings.
"""

import logging
from urllib.parse import quote

import requests

from integrations.errors import TransientError
from integrations.http import JsonHttpClient
from integrations.retell.errors import SERVICE, error_from_response

__all__ = ["SERVICE", "RetellClient"]

logger = logging.getLogger("integrations.retell")

DEFAULT_BASE_URL = "https://api.retellai.com"

# Paths as the SDK's api.md lists them at 5.60.0 (https://github.com/RetellAI/retell-python-sdk,
# api.md; contract §6.2). GET with query parameters:
LIST_PHONE_NUMBERS_PATH = "/v2/list-phone-numbers"
# POST with a JSON body; the items are summaries (contract §6.2).
LIST_AGENTS_PATH = "/v2/list-agents"
GET_AGENT_PATH = "/get-agent/{agent_id}"
# Edits the latest *draft* version (SDK src/retell/resources/agent.py, contract §6.2).
UPDATE_AGENT_PATH = "/update-agent/{agent_id}"
# https://docs.retellai.com/api-references/get-call
GET_CALL_PATH = "/v2/get-call/{call_id}"
# Deletes the call and what Retell keeps of it (recording, transcript, analysis); 204, no body.
# https://docs.retellai.com/api-references/delete-call
DELETE_CALL_PATH = "/v2/delete-call/{call_id}"

# Both list endpoints: `limit` defaults to 50, at most 1000 (contract §6.2, OpenAPI LimitParam).
MAX_PAGE_LIMIT = 1000
DEFAULT_MAX_PAGES = 10


class RetellClient(JsonHttpClient):
    """One Retell workspace, reached with its API key."""

    service = SERVICE
    logger = logger

    def __init__(self, *, api_key: str, base_url: str = DEFAULT_BASE_URL, **kwargs):
        super().__init__(api_key=api_key, base_url=base_url, **kwargs)

    # -- phone numbers ----------------------------------------------------------------------

    def list_phone_numbers(
        self, *, limit: int = MAX_PAGE_LIMIT, max_pages: int = DEFAULT_MAX_PAGES
    ) -> list[dict]:
        """Every phone number of the workspace (PhoneNumberResponse dicts), following pages.

        Map a number to its agents via `inbound_agents: [{agent_id, agent_version?, weight}]`;
        with A/B weights one number has several agents. The single `inbound_agent_id` field was
        removed on 03/31/2026 and may still appear on old data (contract §6.3).
        """
        return self._all_pages("list_phone_numbers", "GET", LIST_PHONE_NUMBERS_PATH, {}, limit, max_pages)

    # -- agents -----------------------------------------------------------------------------

    def list_agents(
        self,
        *,
        channel: str | None = None,
        limit: int = MAX_PAGE_LIMIT,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> list[dict]:
        """Every agent as a summary `{agent_id, agent_name, channel, tags, user_modified_timestamp}`.

        Summaries carry no `webhook_url`: call `get_agent` for that (contract §6.2, §8.15). The
        endpoint lists voice and chat agents; `channel="voice"` asks Retell to filter.
        """
        criteria = {}
        if channel is not None:
            criteria["filter_criteria"] = {"channel": {"op": "eq", "type": "string", "value": channel}}
        return self._all_pages("list_agents", "POST", LIST_AGENTS_PATH, criteria, limit, max_pages)

    def get_agent(self, agent_id: str, *, version: int | None = None) -> dict:
        """The full agent (AgentResponse): `webhook_url`, `webhook_events`, `response_engine`, ...

        Without `version` Retell answers the latest version, which may be an unpublished draft.
        """
        params = {} if version is None else {"version": _version(version)}
        path = GET_AGENT_PATH.format(agent_id=_segment(agent_id, "agent_id"))
        return self._call("get_agent", "GET", path, GET_AGENT_PATH, params=params)

    def update_agent(self, agent_id: str, **fields) -> dict:
        """PATCH the agent's latest draft with `fields` (AgentRequest names) and return the agent.

        Fields go out as given, `None` included: `webhook_url=None` is how Retell removes an
        agent-level webhook (contract §6.2). The change reaches live calls only once the draft is
        published, or for numbers bound to the latest version (contract §8.15).
        """
        if not fields:
            raise ValueError("update_agent needs at least one field to change")
        path = UPDATE_AGENT_PATH.format(agent_id=_segment(agent_id, "agent_id"))
        return self._call("update_agent", "PATCH", path, UPDATE_AGENT_PATH, body=fields)

    # -- calls ------------------------------------------------------------------------------

    def get_call(self, call_id: str) -> dict:
        """The call object as webhooks carry it (contract §1.3), with recording and analysis."""
        path = GET_CALL_PATH.format(call_id=_segment(call_id, "call_id"))
        return self._call("get_call", "GET", path, GET_CALL_PATH)

    def delete_call(self, call_id: str) -> None:
        """Delete the call at Retell, for an erasure request. Not idempotent in its answer: a call
        already gone is a NotFound (Retell answers 404, or 422 "Cannot find requested asset")."""
        path = DELETE_CALL_PATH.format(call_id=_segment(call_id, "call_id"))
        self._exchange(
            "delete_call", "DELETE", path, DELETE_CALL_PATH, read=_no_content, headers=self._headers()
        )

    # -- transport --------------------------------------------------------------------------

    def _all_pages(
        self, name: str, method: str, path: str, criteria: dict, limit: int, max_pages: int
    ) -> list[dict]:
        """Every item of a `{items, has_more, pagination_key}` list, for at most `max_pages` pages.

        The next page is asked for with the `pagination_key` the previous one returned, while
        `has_more` is true (contract §6.2; docs deprecation-notice 2026/07-31). GET sends it in
        the query, POST in the JSON body.
        """
        if not 1 <= limit <= MAX_PAGE_LIMIT or max_pages < 1:
            raise ValueError(f"limit must be 1..{MAX_PAGE_LIMIT} and max_pages at least 1")
        items: list[dict] = []
        pagination_key = None
        for _ in range(max_pages):
            request = {**criteria, "limit": limit}
            if pagination_key:
                request["pagination_key"] = pagination_key
            if method == "GET":
                page = self._call(name, method, path, path, params=request)
            else:
                page = self._call(name, method, path, path, body=request)
            items.extend(_page_items(page))
            if not page.get("has_more"):
                return items
            next_key = page.get("pagination_key")
            if not next_key or next_key == pagination_key:
                # Asking again would loop on the same page.
                logger.warning("retell %s: has_more without a new pagination_key; stopping", name)
                return items
            pagination_key = next_key
        logger.warning("retell %s stopped after %d pages; more items exist", name, max_pages)
        return items

    def _call(
        self,
        name: str,
        method: str,
        path: str,
        template: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
    ) -> dict:
        """Send one request; return its JSON object or raise a typed error."""
        return self._exchange(
            name, method, path, template, read=_json_object, headers=self._headers(), params=params, body=body
        )


def _json_object(response: requests.Response) -> dict:
    if not response.ok:
        raise error_from_response(response)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # A 2xx we cannot read (a proxy page, a truncated body): worth another try later.
        raise TransientError(
            f"Retell answered {response.status_code} without a JSON object",
            service=SERVICE,
            status=response.status_code,
            request_sent=True,
        )
    return answer


def _no_content(response: requests.Response) -> None:
    if not response.ok:
        raise error_from_response(response)


def _page_items(page: dict) -> list[dict]:
    items = page.get("items")
    if not isinstance(items, list):
        raise TransientError("Retell answered a list request without `items`", service=SERVICE)
    return items


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is required")
    return quote(value, safe="")  # an id is one path segment, never a path


def _version(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a non-negative integer agent version, got {value!r}")
    return value
