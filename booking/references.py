"""Opaque appointment references for callers and agents: never a Cal.com uid alone.

For callers, a reference is six characters of an HMAC over (company, appointment) with
SECRET_KEY: short enough to repeat on the phone, meaningless outside its company, and not
guessable; it is checked by computing the references of the candidates a caller may mean
(booking.selectors). Agents get a handle they can hand back for any appointment of the company
(`appointment_handle`), checked the same way against the company that asks.
"""

import base64
import hashlib
import hmac

from django.conf import settings

from booking.models import Appointment


def appointment_reference(appointment: Appointment) -> str:
    message = f"{appointment.company_id}:{appointment.pk}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest)[:6].decode()


# -- handles for agents (MCP): reversible, bound to the company, not forgeable ------------------

HANDLE_PREFIX = "apt_"
_HANDLE_TAG_LENGTH = 10


def appointment_handle(appointment: Appointment) -> str:
    """An id an agent may keep and hand back: `apt_<n>_<tag>`, the tag an HMAC over company and
    appointment, so a handle made up, altered or of another company finds nothing."""
    return f"{HANDLE_PREFIX}{appointment.pk}_{_tag(appointment.company_id, appointment.pk)}"


def appointment_by_handle(*, company, handle: str) -> Appointment | None:
    """The company's appointment behind `handle`, or None for anything else."""
    if not isinstance(handle, str) or not handle.startswith(HANDLE_PREFIX):
        return None
    number, _, tag = handle.removeprefix(HANDLE_PREFIX).partition("_")
    if not number.isdigit() or len(number) > 18:
        return None
    if not hmac.compare_digest(tag, _tag(company.pk, int(number))):
        return None
    return Appointment.objects.filter(company=company, pk=int(number)).select_related("branch").first()


def _tag(company_id: int, appointment_id: int) -> str:
    message = f"handle:{company_id}:{appointment_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest)[:_HANDLE_TAG_LENGTH].decode().lower()
