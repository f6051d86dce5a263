"""Endpoints a vendor calls for one company (Retell's webhooks and functions, Cal.com's notices):
the shared rules, so each vendor's views name only their authentication and scope."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from askpro.api import EnvelopeRenderer, JSONOnly, PayloadTooLarge, StrictJSONParser
from askpro.throttles import CompanyRateThrottle


def check_body_size(request) -> None:
    """Refuse a body over RETELL_WEBHOOK_MAX_BYTES before it is read (413)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.RETELL_WEBHOOK_MAX_BYTES:
        raise PayloadTooLarge()


def raw_body(request) -> bytes:
    """The body exactly as signed (Django keeps it, so DRF's parser can still read it later)."""
    try:
        return request._request.body
    except RequestDataTooBig:
        raise PayloadTooLarge() from None


class IsVerifiedCompany(BasePermission):
    """Authentication proved which company sends (`request.auth`)."""

    def has_permission(self, request, view) -> bool:
        return request.auth is not None


class CompanyEndpoint(APIView):
    """A vendor's endpoint for one company: its authentication proves the company; the company's
    limit for `throttle_scope` counts the request; the body is strict JSON; errors are the
    envelope. Subclasses name their authentication and scope."""

    permission_classes = [IsVerifiedCompany]
    throttle_classes = [CompanyRateThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [EnvelopeRenderer]
    content_negotiation_class = JSONOnly
    throttle_scope = ""

    def validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
