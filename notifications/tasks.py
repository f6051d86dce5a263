"""django-q2 tasks for notifications: they take ids and call one service."""

import logging

from askpro.correlation import bound
from askpro.inbox import inbox_prune, inbox_requeue
from askpro.worker_threads import io_bound
from notifications.services import SEND_TASK, notification_send, notifications_due

logger = logging.getLogger(__name__)


@io_bound
def send_notification(notification_id: int) -> dict:
    with bound(f"notification-{notification_id}"):
        return notification_send(notification_id=notification_id)


def requeue_due_notifications() -> int:
    """Every minute: hand due retries and stuck notifications back to the notifications queue."""
    from booking.models import WorkStatus
    from notifications.models import Notification

    with bound():
        return inbox_requeue(
            Notification,
            notifications_due(),
            task=SEND_TASK,
            queue="notifications",
            received_status=WorkStatus.RECEIVED,
        )


def prune_notifications() -> int:
    """Daily: forget sent texts older than INBOX_KEEP_DAYS."""
    from booking.models import WorkStatus
    from notifications.models import Notification

    return inbox_prune(Notification, done_status=WorkStatus.SUCCEEDED, stored_at="created_at")
