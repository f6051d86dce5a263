"""Processed inbox rows older than INBOX_KEEP_DAYS are pruned by a daily task; failed and waiting
ones stay for staff (#15: the inboxes stay the size of recent traffic)."""

from datetime import timedelta

import pytest
from django_q.models import Schedule

from booking.models import CalendarNotice, WorkStatus
from booking.tasks import prune_calendar_notices
from core import clock
from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.tasks import prune_webhook_events

pytestmark = pytest.mark.django_db


def _event(company, status, age_days, n):
    event = WebhookEvent.objects.create(
        company=company, event="call_ended", call_id=f"call_{n}", body="{}", status=status
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=clock.now() - timedelta(days=age_days))
    return event.pk


def test_only_processed_events_older_than_the_keeping_days_go(company_a, settings):
    settings.INBOX_KEEP_DAYS = 30
    old_done = _event(company_a, WebhookEventStatus.PROCESSED, 31, 1)
    old_failed = _event(company_a, WebhookEventStatus.FAILED, 31, 2)
    recent_done = _event(company_a, WebhookEventStatus.PROCESSED, 29, 3)
    waiting = _event(company_a, WebhookEventStatus.RETRYING, 40, 4)

    assert prune_webhook_events() == 1

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_failed, recent_done, waiting}
    assert old_done not in WebhookEvent.objects.values_list("pk", flat=True)


def test_applied_calendar_notices_are_pruned_the_same_way(company_a, settings, monkeypatch):
    settings.INBOX_KEEP_DAYS = 7
    monkeypatch.setattr("askpro.inbox.PRUNE_BATCH", 2)  # several batches
    for n in range(5):
        notice = CalendarNotice.objects.create(
            company=company_a,
            trigger="BOOKING_CREATED",
            booking_uid=f"bk_{n}",
            delivery_key=f"k{n}",
            body="{}",
            status=WorkStatus.SUCCEEDED,
        )
        CalendarNotice.objects.filter(pk=notice.pk).update(received_at=clock.now() - timedelta(days=8))
    assert prune_calendar_notices() == 5 and not CalendarNotice.objects.exists()


def test_the_daily_prunes_are_scheduled():
    scheduled = set(Schedule.objects.filter(schedule_type="D").values_list("func", flat=True))
    assert {
        "telephony.tasks.prune_webhook_events",
        "booking.tasks.prune_calendar_notices",
        "notifications.tasks.prune_notifications",
    } <= scheduled
