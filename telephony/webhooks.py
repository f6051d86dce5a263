"""Retell webhook endpoints: verify, store, acknowledge. No Cal.com call in the request path."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from askpro import metrics
from askpro.ratelimit import allow
from companies.models import Company
from companies.phone_lookup import phone_number_owner
from telephony.events import HANDLED_EVENTS, dialed_number
from telephony.inbox import webhook_event_record
from telephony.retell_auth import Refused, check_signature, check_source, json_object, verified_company

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def company_webhook(request, webhook_key: str):
    """POST /api/retell/webhook/<company webhook key>"""
    try:
        company = verified_company(request, webhook_key)
        return _accept(request, company, json_object(request))
    except Refused as refused:
        metrics.webhook_total.labels("-", f"refused_{refused.status}").inc()
        return refused.response()


@csrf_exempt
@require_POST
def legacy_webhook(request):
    """POST /api/retell/webhook: the old single URL; the dialed number names the company."""
    try:
        check_source(request)
        payload = json_object(request)  # read before verifying only to learn whose key verifies it
        company = _company_for_call(payload.get("call") or {})
        check_signature(request, company)
        return _accept(request, company, payload)
    except Refused as refused:
        metrics.webhook_total.labels("-", f"refused_{refused.status}").inc()
        return refused.response()


def _company_for_call(call: dict) -> Company:
    owner = phone_number_owner(dialed_number(call)) if isinstance(call, dict) else None
    company = Company.objects.filter(pk=owner.company_id, is_active=True).first() if owner else None
    if company is None:
        raise Refused(404, "unknown number")
    return company


def _accept(request, company: Company, payload: dict) -> HttpResponse:
    event = str(payload.get("event", ""))
    if event not in HANDLED_EVENTS:
        metrics.webhook_total.labels(event[:40] or "-", "ignored").inc()
        return HttpResponse(status=204)
    call_id = (payload.get("call") or {}).get("call_id") if isinstance(payload.get("call"), dict) else None
    if not call_id or not isinstance(call_id, str):
        raise Refused(400, "call.call_id is missing")
    if not allow(f"webhook:{company.pk}", limit=settings.RETELL_WEBHOOK_RATE_LIMIT):
        raise Refused(429, "too many webhooks")
    _, created = webhook_event_record(
        company=company, event=event, call_id=call_id, body=request.body.decode("utf-8")
    )
    metrics.webhook_total.labels(event, "accepted" if created else "duplicate").inc()
    return HttpResponse(status=204)
