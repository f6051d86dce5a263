"""Opaque appointment references for callers and agents: never a Cal.com uid or our row id.

A reference is six characters of an HMAC over (company, appointment) with SECRET_KEY: short
enough to repeat on the phone, meaningless outside its company, and not guessable. It is
checked by computing the references of the candidates a caller may mean (booking.selectors).
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
