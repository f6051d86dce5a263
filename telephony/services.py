"""Processing of stored Retell events: idempotent, safe to run twice, never loses an event."""

import json

from askpro import metrics
from askpro.api import error_body, success_body
from askpro.inbox import inbox_work, not_in_queue
from booking.customers import customer_upsert
from companies.models import Company
from companies.validators import normalize_e164
from core.rows import by_pk
from telephony.booking_wish import caller_told
from telephony.call_branch import call_branch, number_branch
from telephony.calls import call_upsert
from telephony.events import BOOKING_EVENTS, caller_number, dialed_number
from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.post_call import BookingOutcome, CannotBook, post_call_booking

RETRYABLE = [WebhookEventStatus.RECEIVED, WebhookEventStatus.RETRYING]
WORK = inbox_work(
    WebhookEvent,
    processing=WebhookEventStatus.PROCESSING,
    retrying=WebhookEventStatus.RETRYING,
    done=WebhookEventStatus.PROCESSED,
    failed=WebhookEventStatus.FAILED,
)


def webhook_event_process(*, event_id: int, include_failed: bool = False) -> dict:
    """Process one stored event (a replay of a processed one is a no-op returning its result)."""
    statuses = RETRYABLE + (
        [WebhookEventStatus.FAILED, WebhookEventStatus.PROCESSED] if include_failed else []
    )
    event = WORK.claimed(event_id, statuses=statuses)  # the claim counts the attempt
    if event is None:
        return WebhookEvent.objects.get(pk=event_id).result or {}
    return WORK.run(event, _handle, failure_result=_failure_result, ended=_counted)


def _failure_result(event: WebhookEvent, reason: str) -> dict:
    return _result(event, failure=reason)


def _counted(event: WebhookEvent, status: str) -> None:
    metrics.webhook_total.labels(event.event, status).inc()


def _handle(event: WebhookEvent) -> dict:
    data = json.loads(event.body).get("call") or {}
    company = by_pk(Company, event.company_id)  # as event.company, with its SQL built once
    number = dialed_number(data)
    # A web call (Retell's dashboard test) dials no number: its agent says which branch.
    branch = number_branch(company, number, active_only=False) if number else call_branch(company, data)
    customer = _customer_of(company, data)
    call = call_upsert(company=company, branch=branch, customer=customer, event=event.event, data=data)
    outcome = BookingOutcome()
    if event.event in BOOKING_EVENTS:
        try:
            outcome = post_call_booking(
                company=company, branch=branch, call=call, customer=customer, data=data
            )
        except CannotBook:
            metrics.calls_processed_total.labels("failed").inc()
            raise
        metrics.calls_processed_total.labels(outcome.outcome).inc()
    return _result(event, customer=customer, outcome=outcome)


def _customer_of(company, data: dict):
    try:
        phone = normalize_e164(caller_number(data))
    except Exception:  # anonymous or web calls have no usable number
        return None
    name, email = caller_told(data)
    return customer_upsert(company=company, phone=phone, name=name, email=email)


def _result(event, *, failure: str = "", customer=None, outcome: BookingOutcome | None = None) -> dict:
    """What processing did, in the one envelope, with the old system's fields kept for staff."""
    appointment = outcome.appointment if outcome else None
    fields = {
        "call_id": event.call_id,
        "customer_id": customer.pk if customer else None,
        "appointment_created": bool(outcome and outcome.created),
        "appointment_data": {
            "id": appointment.pk,
            "calcom_booking_id": appointment.calcom_booking_id,
            "starts_at": appointment.start.isoformat(),
        }
        if appointment
        else None,
        "processed": not failure,
    }
    if failure:
        return error_body("processing_failed", failure, **fields)
    return success_body("Call recorded with appointment." if appointment else "Call recorded.", **fields)


def webhook_events_due() -> list[int]:
    """Due retries, abandoned claims, and received events the queue never had (askpro.inbox)."""
    return WORK.due(extra=not_in_queue(WebhookEventStatus.RECEIVED))
