"""The Retell webhook inbox: each delivery stored once, per (company, call, event)."""

from askpro.inbox import inbox_store
from telephony.models import WebhookEvent

PROCESS_TASK = "telephony.tasks.process_webhook_event"


def webhook_event_record(*, company, event: str, call_id: str, body: str) -> tuple[WebhookEvent | None, bool]:
    """(event, True) when new; (None, False) for a duplicate delivery, which changes nothing."""
    return inbox_store(
        WebhookEvent, task=PROCESS_TASK, company=company, event=event, call_id=call_id, body=body
    )
