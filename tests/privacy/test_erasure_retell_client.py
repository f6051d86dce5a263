"""RetellClient.delete_call, the one Retell endpoint erasure uses: `DELETE /v2/delete-call/{call_id}`,
204 without a body (https://docs.retellai.com/api-references/delete-call), faked at the wire."""

import logging

import pytest

from integrations.errors import AuthError, NotFound, TransientError
from integrations.retell.client import RetellClient
from tests import retell_fakes

pytestmark = pytest.mark.django_db  # a Retry-After would be kept where every process sees it
BASE = retell_fakes.BASE
KEY = retell_fakes.API_KEY


def test_a_deleted_call_is_a_204_and_nothing_comes_back(wire, caplog):
    wire.delete(f"{BASE}/v2/delete-call/call_abc", status=204)
    with caplog.at_level(logging.INFO, logger="integrations.retell"):
        assert RetellClient(api_key=KEY).delete_call("call_abc") is None
    request = wire.calls[0].request
    assert request.method == "DELETE" and request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in caplog.text


def test_the_call_id_is_one_path_segment(wire):
    wire.delete(f"{BASE}/v2/delete-call/a%2F..%2Fb", status=204)
    RetellClient(api_key=KEY).delete_call("a/../b")
    with pytest.raises(ValueError):
        RetellClient(api_key=KEY).delete_call(" ")


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [
        (422, "error_unprocessable", NotFound),  # "Cannot find requested asset": gone already
        (404, "error_not_found", NotFound),
        (401, "error_unauthorized", AuthError),
        (500, "error_internal", TransientError),
    ],
)
def test_a_refusal_is_a_typed_error(wire, status, fixture, error):
    body = retell_fakes.fixture(fixture)
    wire.delete(f"{BASE}/v2/delete-call/call_abc", status=status, json=body)
    with pytest.raises(error) as raised:
        RetellClient(api_key=KEY).delete_call("call_abc")
    assert raised.value.status == status
