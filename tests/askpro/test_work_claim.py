"""askpro.work: a work row claimed and read in one statement (UPDATE … RETURNING, #15), with the
same rules as the claim that returns only whether it won."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.services import WORK
from tests.factories import CompanyFactory

WAITING = [WebhookEventStatus.RECEIVED, WebhookEventStatus.RETRYING]


def _event(**fields) -> WebhookEvent:
    company = CompanyFactory(slug="claims")
    return WebhookEvent.objects.create(
        company=company, event="call_ended", call_id="call_claim", body='{"call": {}}', **fields
    )


def test_the_claimed_row_comes_back_as_the_claim_left_it_in_one_statement(db):
    stored = _event()
    with CaptureQueriesContext(connection) as captured:
        row = WORK.claimed(stored.pk, statuses=WAITING)
    assert len(captured.captured_queries) == 1
    assert captured.captured_queries[0]["sql"].startswith('UPDATE "telephony_webhookevent"')
    assert (row.pk, row.status, row.attempts) == (stored.pk, WebhookEventStatus.PROCESSING, 1)
    assert row.lease_until == clock.now() + WORK.lease
    assert (row.body, row.call_id, row.company_id) == (stored.body, stored.call_id, stored.company_id)
    assert row.result is None  # JSON read back as Python, not text
    assert WebhookEvent.objects.get(pk=stored.pk).status == WebhookEventStatus.PROCESSING


def test_a_row_another_worker_holds_is_not_claimed_and_not_changed(db):
    held = _event(status=WebhookEventStatus.PROCESSING, lease_until=clock.now() + timedelta(minutes=1))
    assert WORK.claimed(held.pk, statuses=WAITING) is None
    assert WebhookEvent.objects.get(pk=held.pk).attempts == 0


def test_a_row_whose_lease_ran_out_is_taken_over(db):
    abandoned = _event(
        status=WebhookEventStatus.PROCESSING, attempts=1, lease_until=clock.now() - timedelta(seconds=1)
    )
    row = WORK.claimed(abandoned.pk, statuses=WAITING)
    assert (row.status, row.attempts) == (WebhookEventStatus.PROCESSING, 2)


def test_a_finished_row_is_claimed_only_when_its_status_is_asked_for(db):
    done = _event(status=WebhookEventStatus.PROCESSED, result={"success": True})
    assert WORK.claimed(done.pk, statuses=WAITING) is None
    again = WORK.claimed(done.pk, statuses=[*WAITING, WebhookEventStatus.PROCESSED])
    assert again.result == {"success": True} and again.attempts == 1


def test_a_missing_row_is_not_claimed(db):
    assert WORK.claimed(987654, statuses=WAITING) is None
