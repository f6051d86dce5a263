"""Cal.com's booking webhooks: POST /api/calcom/webhook/<company webhook key>.

The company comes from the key in the URL and is proven by `X-Cal-Signature-256` over the raw
body with that company's webhook secret (set by connecting the webhooks; an unsigned delivery,
`no-secret-provided`, is refused). The delivery is stored before anything is done with it and
answered 204 at once; a worker applies it (booking/notices.py). Anything we cannot verify gets
the same 401 with the same words, so the URL is no oracle.
"""

import logging

from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.response import Response

from askpro import metrics
from askpro.endpoints import CompanyEndpoint, check_body_size, raw_body
from booking.calendar.calcom import notice_from
from booking.notices import calendar_notice_record
from companies.crypto import DecryptionError
from companies.selectors import company_by_webhook_key
from integrations.calcom.signature import SIGNATURE_HEADER, InvalidSignature, verify

logger = logging.getLogger(__name__)
NOT_VERIFIED = "The request could not be verified."


class CalcomSender:
    """`request.user` on a verified Cal.com delivery; `request.auth` is the company."""

    is_authenticated = True

    def __init__(self, company):
        self.company = company


class CalcomSignatureAuthentication(BaseAuthentication):
    def authenticate(self, request):
        check_body_size(request)
        company = company_by_webhook_key((request.parser_context or {}).get("kwargs", {}).get("webhook_key"))
        if company is None:
            logger.warning("Cal.com notice for an unknown company refused")
            raise exceptions.AuthenticationFailed(NOT_VERIFIED)
        try:
            secret = company.calcom_webhook_secret.reveal() if company.calcom_webhook_secret else ""
            verify(body=raw_body(request), header=request.headers.get(SIGNATURE_HEADER), secret=secret)
        except (DecryptionError, InvalidSignature) as exc:
            logger.warning(
                "company %s: Cal.com notice refused (%s)", company.pk, getattr(exc, "reason", "secret")
            )
            raise exceptions.AuthenticationFailed(NOT_VERIFIED) from None
        return CalcomSender(company), company

    def authenticate_header(self, request) -> str:
        return f'Cal-Signature header="{SIGNATURE_HEADER}"'  # a 401 needs a challenge (RFC 9110)


class CalendarNoticeView(CompanyEndpoint):
    authentication_classes = [CalcomSignatureAuthentication]
    throttle_scope = "calendar"

    def post(self, request, webhook_key: str) -> Response:
        try:
            notice = notice_from(request.data)
        except ValueError as exc:
            raise exceptions.ValidationError({"payload": [str(exc)]}) from None
        if notice is None:  # a trigger we do not act on (a ping, meetings, forms): acknowledged
            metrics.calendar_notice_total.labels("other", "ignored").inc()
            return Response(status=status.HTTP_204_NO_CONTENT)
        _, created = calendar_notice_record(
            company=request.auth, notice=notice, body=raw_body(request).decode("utf-8")
        )
        metrics.calendar_notice_total.labels(notice.trigger, "accepted" if created else "duplicate").inc()
        return Response(status=status.HTTP_204_NO_CONTENT)
