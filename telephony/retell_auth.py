"""Who may post to our Retell endpoints: DRF authentication shared by webhooks, inbound calls
and functions.

Order matters: cheap refusals first (source address, size), then the tenant (from the URL key,
or on the old single URL from the dialed number), then Retell's signature over the raw body with
that company's key, before the body is parsed for use. Anything we cannot verify, an unknown key
or number included, gets the same 401 with the same words: the URL is no oracle.
"""

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from askpro.api import strict_json_object
from askpro.endpoints import check_body_size, raw_body
from companies.crypto import DecryptionError
from companies.models import Company
from companies.phone_lookup import phone_number_owner
from companies.selectors import company_by_webhook_key
from integrations.retell.signature import SIGNATURE_HEADER, InvalidSignature, verify
from telephony.events import dialed_number
from telephony.serializers import NUMBER_MAX

logger = logging.getLogger(__name__)
NOT_VERIFIED = "The request could not be verified."


@dataclass(frozen=True)
class RetellCaller:
    """`request.user` on a verified Retell request; `request.auth` is the company."""

    company: Company
    is_authenticated: bool = True


class RetellSignatureAuthentication(BaseAuthentication):
    """The company whose URL this is (its webhook key), proven by Retell's signature."""

    def authenticate(self, request):
        check_source(request)
        company = self.company_for(request)
        if company is None:
            logger.warning("Retell request for an unknown company refused")
            raise exceptions.AuthenticationFailed(NOT_VERIFIED)
        check_signature(request, company)
        return RetellCaller(company), company

    def company_for(self, request) -> Company | None:
        return company_by_webhook_key((request.parser_context or {}).get("kwargs", {}).get("webhook_key"))

    def authenticate_header(self, request) -> str:
        # A 401 needs a challenge (RFC 9110 §11.6.1); DRF turns a 401 without one into a 403.
        return 'Retell-Signature header="x-retell-signature"'


class LegacyRetellAuthentication(RetellSignatureAuthentication):
    """The old single URL: the dialed number names the company whose key must verify the body.

    The body is read before it is trusted only for that number, through the strict parser (size,
    depth, types bounded) and a type check of the number itself.
    """

    def company_for(self, request) -> Company | None:
        try:
            call = strict_json_object(raw_body(request)).get("call")
        except exceptions.ParseError:
            return None
        number = dialed_number(call) if isinstance(call, dict) else None
        if not isinstance(number, str) or not 0 < len(number) <= NUMBER_MAX:
            return None
        owner = phone_number_owner(number)
        if owner is None:
            return None
        return Company.objects.filter(pk=owner.company_id, is_active=True).first()


def check_source(request) -> None:
    allowed = settings.RETELL_ALLOWED_IPS
    if allowed and not _address_allowed(request.META.get("REMOTE_ADDR", ""), allowed):
        raise exceptions.PermissionDenied("Source address not allowed.")
    check_body_size(request)


def _address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)
    except ValueError:
        return False


def check_signature(request, company: Company) -> None:
    """Verify Retell's x-retell-signature over the raw body with the company's Retell key."""
    try:
        api_key = company.retell_api_key.reveal() if company.retell_api_key else ""
    except DecryptionError:
        logger.error("company %s: Retell key cannot be decrypted", company.pk)
        raise exceptions.AuthenticationFailed(NOT_VERIFIED) from None
    try:
        verify(body=raw_body(request), header=request.headers.get(SIGNATURE_HEADER), api_key=api_key)
    except InvalidSignature as exc:
        logger.warning("company %s: Retell signature refused (%s)", company.pk, exc.reason)
        raise exceptions.AuthenticationFailed(NOT_VERIFIED) from None
