"""Receiving Retell webhooks: only verified deliveries are stored, once, and acknowledged fast."""

import time

import pytest

from telephony.models import WebhookEvent
from tests.retell_fakes import API_KEY, OTHER_API_KEY, as_body, sign, webhook_payload

pytestmark = pytest.mark.django_db
FIVE_MINUTES_MS = 5 * 60 * 1000
LEGACY = "/api/retell/webhook"
NOT_VERIFIED = {
    "success": False,
    "error": "authentication_failed",
    "message": "The request could not be verified.",
}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _headers(value: str | None) -> dict:
    headers = {"content_type": "application/json"}
    if value is not None:
        headers["HTTP_X_RETELL_SIGNATURE"] = value
    return headers


def test_a_valid_delivery_is_stored_and_acknowledged_with_204(clinic, deliver, calcom):
    response = deliver(clinic, webhook_payload("call_started"))
    assert response.status_code == 204
    stored = WebhookEvent.objects.get()
    assert (stored.company, stored.event, stored.status) == (clinic, "call_started", "received")
    assert not calcom.calls  # no Cal.com call in the request path


def test_non_ascii_transcripts_verify_over_the_raw_body(clinic, deliver):
    payload = webhook_payload(
        "call_ended", transcript="Grüß Gott! Ich möchte einen Termin für Öztürk, ß, €, 😀"
    )
    assert deliver(clinic, payload).status_code == 204
    assert "Öztürk" in WebhookEvent.objects.get().body


def _signature_cases():
    body = as_body(webhook_payload("call_ended"))
    now = _now_ms()
    good = sign(body, API_KEY, now)
    version, digest = good.split(",")
    return body, {
        "wrong key": sign(body, "key_wrong", now),
        "another company's key": sign(body, OTHER_API_KEY, now),
        "uppercase hex": f"{version},d={digest[2:].upper()}",
        "timestamp in seconds": sign(body, API_KEY, now // 1000),
        "5 minutes and 1 s old": sign(body, API_KEY, now - FIVE_MINUTES_MS - 1000),
        "5 minutes and 1 s ahead": sign(body, API_KEY, now + FIVE_MINUTES_MS + 1000),
        "missing": None,
        "empty": "",
        "garbled": "v=,d=",
        "digest only": f"d={digest[2:]}",
        "swapped parts": f"d={digest[2:]},{version}",
    }


@pytest.mark.parametrize("case", list(_signature_cases()[1]))
def test_bad_signatures_get_401_and_store_nothing(clinic, client, case):
    body, cases = _signature_cases()
    response = client.post(f"/api/retell/webhook/{clinic.webhook_key}", body, **_headers(cases[case]))
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_by_one_byte_is_refused(clinic, client):
    body = as_body(webhook_payload("call_ended"))
    header = sign(body, API_KEY)
    tampered = body.replace(b"11:00", b"12:00", 1)
    assert tampered != body
    response = client.post(f"/api/retell/webhook/{clinic.webhook_key}", tampered, **_headers(header))
    assert response.status_code == 401 and not WebhookEvent.objects.exists()


@pytest.mark.parametrize("offset_ms", [-FIVE_MINUTES_MS + 2000, FIVE_MINUTES_MS - 2000])
def test_timestamps_within_five_minutes_either_way_are_accepted(clinic, deliver, offset_ms):
    assert deliver(clinic, webhook_payload("call_started"), ts_ms=_now_ms() + offset_ms).status_code == 204


def test_another_companys_key_cannot_post_to_this_companys_url(clinic, salon, deliver):
    assert deliver(clinic, webhook_payload("call_started"), key=OTHER_API_KEY).status_code == 401
    assert deliver(salon, webhook_payload("call_started"), key=API_KEY).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_an_unknown_webhook_key_is_answered_like_a_bad_signature(clinic, deliver):
    unknown = deliver(clinic, webhook_payload("call_started"), url="/api/retell/webhook/not-a-key")
    forged = deliver(clinic, webhook_payload("call_started"), key=OTHER_API_KEY)
    assert unknown.status_code == forged.status_code == 401
    assert unknown.json() == forged.json() == NOT_VERIFIED
    assert not WebhookEvent.objects.exists()


def test_the_same_event_three_times_is_stored_once(clinic, deliver, django_capture_on_commit_callbacks):
    payload = webhook_payload("call_ended")
    with django_capture_on_commit_callbacks() as callbacks:
        statuses = [deliver(clinic, payload).status_code for _ in range(3)]
    assert statuses == [204, 204, 204]
    assert WebhookEvent.objects.count() == 1
    assert len(callbacks) == 1  # processing is enqueued once


def test_processing_is_enqueued_after_commit(
    clinic, deliver, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("askpro.inbox.enqueue", lambda func, *args, queue: queued.append((func, args, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(clinic, webhook_payload("call_started"))
    event = WebhookEvent.objects.get()
    assert queued == [("telephony.tasks.process_webhook_event", (event.pk,), "webhooks")]


@pytest.mark.parametrize("event", ["transcript_updated", "transfer_started", "chat_ended", "something_new"])
def test_events_we_do_not_act_on_get_2xx_and_are_not_stored(clinic, deliver, event):
    assert deliver(clinic, webhook_payload(event)).status_code == 204
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_that_is_not_json_is_400(clinic, deliver):
    assert deliver(clinic, None, body=b"not json").status_code == 400


def test_a_delivery_without_call_id_is_400(clinic, deliver):
    payload = webhook_payload("call_started")
    del payload["call"]["call_id"]
    assert deliver(clinic, payload).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_legacy_url_finds_the_company_by_the_dialed_number(clinic, salon, deliver):
    assert deliver(clinic, webhook_payload("call_started"), url="/api/retell/webhook").status_code == 204
    assert WebhookEvent.objects.get().company == clinic


def test_legacy_url_uses_from_number_for_outbound_calls(clinic, salon, deliver):
    payload = webhook_payload(
        "call_started", direction="outbound", from_number="+493022222222", to_number="+4915112345678"
    )
    assert deliver(salon, payload, key=OTHER_API_KEY, url="/api/retell/webhook").status_code == 204
    assert WebhookEvent.objects.get().company == salon


def test_legacy_url_verifies_with_the_number_owners_key(clinic, salon, deliver):
    payload = webhook_payload("call_started")  # dialed +493011111111: company A's number
    assert deliver(clinic, payload, key=OTHER_API_KEY, url="/api/retell/webhook").status_code == 401
    assert not WebhookEvent.objects.exists()


def test_legacy_url_answers_an_unknown_number_like_a_bad_signature(clinic, deliver):
    """The URL is no oracle: whether a number is ours cannot be told from the answer."""
    unknown = deliver(clinic, webhook_payload("call_started", to_number="+493099999999"), url=LEGACY)
    forged = deliver(clinic, webhook_payload("call_started"), key=OTHER_API_KEY, url=LEGACY)
    assert unknown.status_code == forged.status_code == 401
    assert unknown.json() == forged.json() == NOT_VERIFIED
    assert not WebhookEvent.objects.exists()


def test_source_allowlist(clinic, deliver, settings):
    settings.RETELL_ALLOWED_IPS = ["100.20.5.228"]
    assert deliver(clinic, webhook_payload("call_started")).status_code == 403
    settings.RETELL_ALLOWED_IPS = ["127.0.0.0/8"]
    assert deliver(clinic, webhook_payload("call_started")).status_code == 204


def test_oversized_requests_are_refused(clinic, deliver, settings):
    settings.RETELL_WEBHOOK_MAX_BYTES = 1000
    assert deliver(clinic, webhook_payload("call_ended")).status_code == 413
    assert not WebhookEvent.objects.exists()


def test_a_flood_is_cut_off_per_company(clinic, salon, deliver, settings):
    settings.RETELL_RATE_LIMIT = 2
    codes = [
        deliver(clinic, webhook_payload("call_started", call_id=f"call_{i}")).status_code for i in range(4)
    ]
    assert codes == [204, 204, 429, 429]
    assert WebhookEvent.objects.count() == 2
    other = deliver(salon, webhook_payload("call_started", to_number="+493022222222"), key=OTHER_API_KEY)
    assert other.status_code == 204  # another company's budget is its own


def test_webhook_metrics_count_outcomes(clinic, deliver, client):
    deliver(clinic, webhook_payload("call_started"))
    deliver(clinic, webhook_payload("call_started"))
    text = client.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"}).content.decode()
    assert 'mcp_webhook_total{event="call_started",status="accepted"}' in text
    assert 'mcp_webhook_total{event="call_started",status="duplicate"}' in text
