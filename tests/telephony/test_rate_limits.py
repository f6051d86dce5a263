"""Per-company limits on the Retell endpoints: the envelope, Retry-After, budgets per endpoint."""

from datetime import timedelta

import pytest

from telephony.models import WebhookEvent
from tests import timeline
from tests.retell_fakes import OTHER_API_KEY, as_body, function_call_payload, signed_headers, webhook_payload

pytestmark = pytest.mark.django_db


def _minute_start():
    return timeline.now().replace(second=0, microsecond=0) + timedelta(minutes=1)


def test_a_throttled_webhook_gets_the_envelope_and_retry_after(clinic, deliver, settings, pinned_clock):
    pinned_clock.move_to(_minute_start() + timedelta(seconds=45))
    settings.RETELL_RATE_LIMIT = 1
    assert deliver(clinic, webhook_payload("call_started", call_id="c1")).status_code == 204
    throttled = deliver(clinic, webhook_payload("call_started", call_id="c2"))
    assert throttled.status_code == 429 and throttled["Retry-After"] == "15"
    assert throttled.json() == {
        "success": False,
        "error": "rate_limited",
        "message": "Too many requests; retry later.",
    }
    assert WebhookEvent.objects.count() == 1


def test_a_webhook_flood_does_not_starve_the_live_call(clinic, deliver, client, settings):
    settings.RETELL_RATE_LIMIT = 2
    codes = [deliver(clinic, webhook_payload("call_started", call_id=f"c{i}")).status_code for i in range(3)]
    assert codes == [204, 204, 429]
    body = as_body(function_call_payload("find_my_appointments", {}))
    answer = client.post(f"/api/retell/functions/{clinic.webhook_key}", body, **signed_headers(body))
    assert answer.status_code == 200


def test_staff_can_raise_a_companys_limit(clinic, salon, deliver, settings):
    settings.RETELL_RATE_LIMIT = 1
    clinic.retell_rate_limit = 3
    clinic.save()
    codes = [deliver(clinic, webhook_payload("call_started", call_id=f"c{i}")).status_code for i in range(4)]
    assert codes == [204, 204, 204, 429]
    other = webhook_payload("call_started", call_id="s1", to_number="+493022222222")
    assert deliver(salon, other, key=OTHER_API_KEY).status_code == 204
    assert (
        deliver(salon, {**other, "call": {**other["call"], "call_id": "s2"}}, key=OTHER_API_KEY).status_code
        == 429
    )
