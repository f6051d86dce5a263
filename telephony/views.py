"""The Retell endpoints, on Django REST framework: verify, validate, call one service, answer.

- POST /api/retell/webhook/<key>     call events: stored in the inbox, 204 (no Cal.com call here)
- POST /api/retell/webhook           the old single URL, the company found by the dialed number
- POST /api/retell/inbound/<key>     variables for the agent before the call is answered
- POST /api/retell/functions/<key>   live-call functions, answered aloud

Authentication (telephony.retell_auth) runs first and proves the company; the throttle then
counts the request against that company's budget; only then is the body parsed and validated.
What a request writes is the Retell call's in the audit trail (its id from the body).
Errors are the envelope of askpro.api.
"""

import logging
import time

from rest_framework import status
from rest_framework.response import Response

from askpro import metrics
from askpro.endpoints import CompanyEndpoint
from audit.actors import acting_as, retell_call
from telephony.functions import function_answer
from telephony.inbound import inbound_variables
from telephony.inbox import webhook_event_record
from telephony.live import HANDLERS
from telephony.retell_auth import LegacyRetellAuthentication, RetellSignatureAuthentication
from telephony.serializers import (
    FunctionCallSerializer,
    InboundSerializer,
    WebhookSerializer,
)

logger = logging.getLogger(__name__)


class RetellView(CompanyEndpoint):
    authentication_classes = [RetellSignatureAuthentication]


class WebhookView(RetellView):
    """Call events, stored once per (company, call, event) before any work is done."""

    throttle_scope = "webhook"

    def post(self, request, webhook_key: str = "") -> Response:
        webhook = WebhookSerializer(data=request.data)
        webhook.is_valid(raise_exception=True)
        if not webhook.handled:
            # Acknowledged and dropped; never a metric label of its own (names are unbounded).
            metrics.webhook_total.labels("other", "ignored").inc()
            return Response(status=status.HTTP_204_NO_CONTENT)
        payload = webhook.validated_data
        with acting_as(retell_call(payload["call"]["call_id"])):
            _, created = webhook_event_record(
                company=request.auth,
                event=payload["event"],
                call_id=payload["call"]["call_id"],
                body=request._request.body.decode("utf-8"),
            )
        metrics.webhook_total.labels(payload["event"], "accepted" if created else "duplicate").inc()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        metrics.webhook_total.labels("-", f"refused_{response.status_code}").inc()
        return response


class LegacyWebhookView(WebhookView):
    authentication_classes = [LegacyRetellAuthentication]


class InboundCallView(RetellView):
    """Dynamic variables for the agent (contract §4.2); every value a string."""

    throttle_scope = "inbound"

    def post(self, request, webhook_key: str) -> Response:
        inbound = self.validated(InboundSerializer)["call_inbound"]
        with acting_as(retell_call("")):  # before the call is answered: no call id yet
            variables = inbound_variables(request.auth, inbound)
        return Response({"call_inbound": {"dynamic_variables": variables}})


class FunctionView(RetellView):
    """One custom function; the answer is always 200 with a message the agent can read aloud."""

    throttle_scope = "functions"

    def post(self, request, webhook_key: str) -> Response:
        started = time.perf_counter()
        # `?function=` names the function of a tool configured with `args_at_root` (its body
        # holds the arguments alone); telephony.serializers.function_envelope.
        context = {"function": request.query_params.get("function", "")}
        envelope = FunctionCallSerializer(data=request.data, context=context)
        envelope.is_valid(raise_exception=True)
        call = envelope.validated_data
        with acting_as(retell_call(call["call"].get("call_id", ""))):
            result = function_answer(
                company=request.auth, name=call["name"], args=call["args"], call=call["call"]
            )
        label = call["name"] if call["name"] in HANDLERS else "unknown"
        outcome = "ok" if result["success"] else result["data"].get("error", "failed")
        metrics.function_calls_total.labels(label, outcome).inc()
        metrics.function_duration_seconds.labels(label).observe(time.perf_counter() - started)
        return Response(result)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        metrics.function_calls_total.labels("-", f"refused_{response.status_code}").inc()
        return response
