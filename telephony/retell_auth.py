"""Who may post to our Retell endpoints: checks shared by webhooks, inbound calls and functions.

Order matters: cheap refusals first (source address, size), then the tenant from the URL key,
then the signature over the raw body with that company's Retell key. Nothing is stored before
all of them pass.
"""

import ipaddress
import json
import logging

from django.conf import settings
from django.http import JsonResponse

from companies.crypto import DecryptionError
from companies.models import Company
from companies.selectors import company_by_webhook_key
from integrations.retell.signature import SIGNATURE_HEADER, InvalidSignature, verify

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A request we answer with an error status and a short JSON reason, storing nothing."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason

    def response(self) -> JsonResponse:
        return JsonResponse({"success": False, "error": self.reason}, status=self.status)


def check_source(request) -> None:
    allowed = settings.RETELL_ALLOWED_IPS
    if allowed and not _address_allowed(request.META.get("REMOTE_ADDR", ""), allowed):
        raise Refused(403, "source address not allowed")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.RETELL_WEBHOOK_MAX_BYTES:
        raise Refused(413, "request too large")


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
        raise Refused(401, "signature cannot be checked") from None
    try:
        verify(body=request.body, header=request.headers.get(SIGNATURE_HEADER), api_key=api_key)
    except InvalidSignature as exc:
        logger.warning("company %s: Retell signature refused (%s)", company.pk, exc.reason)
        raise Refused(401, "invalid signature") from None


def verified_company(request, webhook_key: str) -> Company:
    """The company whose URL this is, once the source, size and signature checks have passed."""
    check_source(request)
    company = company_by_webhook_key(webhook_key)
    if company is None:
        raise Refused(404, "unknown url")
    check_signature(request, company)
    return company


def json_object(request) -> dict:
    """The body as a JSON object, or a 400 (read after the signature check, never before it
    except where the body itself names the company: the legacy webhook URL)."""
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "body is not JSON") from None
    if not isinstance(payload, dict):
        raise Refused(400, "body is not a JSON object")
    return payload
