"""Validators and normalisers for tenant configuration."""

import zoneinfo
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_PHONE_REGION = "DE"


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value and value not in _timezones():
        raise ValidationError(
            _("%(value)s is not a time zone we know; choose one such as Europe/Berlin."),
            params={"value": value},
        )


def normalize_e164(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """'030 83793369' -> '+493083793369'; raises ValidationError for anything not dialable."""
    if not isinstance(raw, str) or len(raw) > 40:  # JSON hands us numbers, lists, 10 KB strings
        raise ValidationError(
            _("%(value)s is not a phone number."), params={"value": str(raw)[:40]}, code="invalid_phone"
        )
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("%(value)s is not a phone number."), params={"value": raw}, code="invalid_phone"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("%(value)s is not a valid phone number."), params={"value": raw}, code="invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_calcom_base_url(value: str) -> None:
    """Only Cal.com's hosted APIs, plus loopback while DEBUG (the local sandbox)."""
    if value.rstrip("/") in [u.rstrip("/") for u in settings.CALCOM_ALLOWED_BASE_URLS]:
        return
    host = urlsplit(value).hostname or ""
    if settings.DEBUG and host in {"127.0.0.1", "localhost"}:
        return
    raise ValidationError(
        _("The Cal.com API address must be one of %(allowed)s."),
        params={"allowed": ", ".join(settings.CALCOM_ALLOWED_BASE_URLS)},
    )


def validate_same_company(instance, *relations: str) -> None:
    """Every related row named in `relations` must belong to the instance's company."""
    errors = {}
    for name in relations:
        related = getattr(instance, name, None)
        if related is not None and related.company_id != instance.company_id:
            errors[name] = _("This belongs to another company.")
    if errors:
        raise ValidationError(errors)
