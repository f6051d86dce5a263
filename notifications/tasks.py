"""django-q2 tasks for notifications: they take ids and call one service."""

import logging

from askpro.correlation import bound
from askpro.queues import enqueue
from notifications.services import SEND_TASK, notification_send, notifications_due

logger = logging.getLogger(__name__)


def send_notification(notification_id: int) -> dict:
    with bound(f"notification-{notification_id}"):
        return notification_send(notification_id=notification_id)


def requeue_due_notifications() -> int:
    """Every minute: hand due retries and stuck notifications back to the notifications queue."""
    with bound():
        due = notifications_due()
        for notification_id in due:
            enqueue(SEND_TASK, notification_id, queue="notifications")
        if due:
            logger.info("re-queued %d notifications", len(due))
        return len(due)
