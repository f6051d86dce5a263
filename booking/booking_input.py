"""A booking wish, validated once, stored on the BookingRequest, replayable from there."""

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from booking.errors import BookingError, ErrorType
from booking.times import parse_datetime, zone
from companies.validators import normalize_e164


@dataclass
class BookingInput:
    company_id: int
    branch_id: int
    event_type_id: int
    start: str  # ISO, UTC
    end: str | None
    name: str
    email: str
    phone: str
    notes: str
    timezone: str
    source: str
    call_id: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def start_utc(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def end_utc(self) -> datetime | None:
        return datetime.fromisoformat(self.end) if self.end else None

    def as_payload(self) -> dict:
        return asdict(self)


def booking_input_build(
    *,
    company,
    branch,
    event_type_id,
    start,
    end,
    name,
    email,
    phone,
    notes,
    timezone,
    metadata,
    call_id,
    source,
) -> BookingInput:
    tz = zone(timezone)
    start_utc = parse_datetime(start, tz)
    end_utc = parse_datetime(end, tz, field="end") if end else None
    if end_utc and end_utc <= start_utc:
        raise BookingError(ErrorType.VALIDATION, "end must be after start.", fields=("end",))
    return BookingInput(
        company_id=company.pk,
        branch_id=branch.pk,
        event_type_id=int(event_type_id),
        start=start_utc.isoformat(),
        end=end_utc.isoformat() if end_utc else None,
        name=_name(name),
        email=checked_email(email),
        phone=_phone(phone),
        notes=(notes or "").strip()[:2000],
        timezone=timezone,
        source=source,
        call_id=(call_id or "").strip(),
        metadata=metadata_as_text(metadata or {}),
    )


def normalized_name(value) -> str:
    """A name as a booking keeps it: spaces collapsed, at most 200 characters ("" for none)."""
    return " ".join(str(value or "").split())[:200]


def _name(value) -> str:
    name = normalized_name(value)
    if not name:
        raise BookingError(ErrorType.VALIDATION, "A name is required to book.", fields=("name",))
    return name


def checked_email(value) -> str:
    """The address stripped ("" for none); BookingError (VALIDATION) if it is not one."""
    email = str(value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise BookingError(
                ErrorType.VALIDATION, f"{email!r} is not an email address.", fields=("email",)
            ) from exc
    return email


def _phone(value) -> str:
    if not value:
        return ""
    try:
        return normalize_e164(str(value))
    except ValidationError as exc:
        raise BookingError(
            ErrorType.VALIDATION, f"{value!r} is not a phone number.", fields=("phone",)
        ) from exc


def metadata_as_text(metadata: dict) -> dict[str, str]:
    """The wish's own metadata as text, which every calendar keeps (the calendar adapter applies
    its own limits when it sends it)."""
    return {str(key): value if isinstance(value, str) else _to_text(value) for key, value in metadata.items()}


def _to_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def idempotency_key_for(booking: BookingInput, given: str | None) -> str:
    """The caller's key, or one derived from what makes two requests 'the same booking'."""
    if given:
        basis = f"key|{booking.company_id}|{given.strip()}"
    elif booking.call_id:
        basis = f"call|{booking.company_id}|{booking.call_id}|{booking.event_type_id}|{booking.start}"
    else:
        who = booking.email.lower() or booking.phone or booking.name.lower()
        basis = f"who|{booking.company_id}|{booking.event_type_id}|{booking.start}|{who}"
    return hashlib.sha256(basis.encode()).hexdigest()
