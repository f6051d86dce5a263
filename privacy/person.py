"""Who a data-protection request is about, and every row that holds them: the one place that says
which tables hold a person. Export and erasure both read it.

A person is asked for by phone number (and/or email) within one company. Their rows, and why:

- customers: their number, or their email;
- calls: from their number (inbound), to it (outbound), or linked to their customer row;
- appointments: their customer's, booked with their email, made or moved in their calls, wished
  for in their booking requests, and what a move made of those (both ways);
- booking requests: made in their calls, for their appointments, or whose wish names their
  number or email;
- appointment changes: of their appointments, or made in their calls;
- Retell webhook events: of their calls, or whose raw body names their number or email;
- Cal.com notices: about their appointments' bookings, or whose raw body names them;
- notifications: texted to their number, or about their appointments or booking requests;
- follow-ups: naming any of the rows above ("<model>:<pk>", console.attention);
- admin history (django.contrib.admin's LogEntry): entries about any of the rows above, whose
  `object_repr` shows their name and number.

The rows are found once and kept as ids per table, each scoped to the company: the same rows are
exported or erased however they change meanwhile (erasure blanks the very fields that found
them). Audit entries are not here: they hold no personal data (audit/trail.py). Nor are MCP
tokens, vendors' breaker states or rate-limit windows, or django-q's tasks (they carry row ids,
never a person; tests/privacy/test_export.py scans every table to prove it).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from operator import or_

import phonenumbers
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from booking.models import Appointment, AppointmentChange, BookingRequest, CalendarNotice, Customer
from companies.models import Company, PhoneNumber
from companies.validators import normalize_e164
from console.models import FollowUp
from notifications.models import Notification
from telephony.models import Call, CallDirection, WebhookEvent


class PersonNotValid(Exception):
    """The request names no one we can look for (no number, an invalid one, the company's own).
    The message is for staff."""


@dataclass(frozen=True)
class Person:
    company: Company
    phone: str = ""  # E.164
    email: str = ""  # lower case


@dataclass(frozen=True)
class Table:
    key: str
    model: type[Model]

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name_plural)


# In the order an export lists them and erasure reports them.
TABLES: tuple[Table, ...] = (
    Table("customers", Customer),
    Table("calls", Call),
    Table("appointments", Appointment),
    Table("booking_requests", BookingRequest),
    Table("appointment_changes", AppointmentChange),
    Table("webhook_events", WebhookEvent),
    Table("calendar_notices", CalendarNotice),
    Table("notifications", Notification),
    Table("follow_ups", FollowUp),
    Table("admin_log", LogEntry),
)
TABLE = {table.key: table for table in TABLES}


@dataclass(frozen=True)
class PersonRows:
    """The ids of the person's rows, per table key."""

    person: Person
    ids: Mapping[str, frozenset[int]]

    def rows(self, key: str) -> QuerySet:
        """The rows of one table, scoped to the company again (LogEntry has none: its ids came
        from the company's own rows)."""
        model = TABLE[key].model
        rows = model.objects.filter(pk__in=self.ids[key])
        return rows if model is LogEntry else rows.filter(company=self.person.company)

    def counts(self) -> dict[str, int]:
        return {table.key: len(self.ids[table.key]) for table in TABLES}

    @property
    def found_any(self) -> bool:
        return any(self.ids.values())

    def union(self, other: "PersonRows") -> "PersonRows":
        return PersonRows(self.person, {key: self.ids[key] | other.ids[key] for key in self.ids})


def person_identify(*, company: Company, phone: str = "", email: str = "") -> Person:
    """The person as asked for: the number in E.164, the email checked; PersonNotValid otherwise."""
    phone, email = (phone or "").strip(), (email or "").strip()
    if not phone and not email:
        raise PersonNotValid(_("Give the person's phone number (or their email)."))
    return Person(company, _caller_number(company, phone) if phone else "", _address(email) if email else "")


def _caller_number(company: Company, raw: str) -> str:
    try:
        number = normalize_e164(raw)
    except ValidationError as exc:
        raise PersonNotValid(exc.messages[0]) from None
    # Every call of the business has its own number on one side: it would find them all.
    if PhoneNumber.objects.filter(company=company, number=number).exists():
        raise PersonNotValid(_("%(number)s is one of the company's own numbers.") % {"number": number})
    return number


def _address(raw: str) -> str:
    try:
        validate_email(raw)
    except ValidationError:
        raise PersonNotValid(_("%(value)s is not an email address.") % {"value": raw[:254]}) from None
    return raw.lower()


def person_rows(person: Person) -> PersonRows:
    """Every row of the company that holds the person (see the module's docstring for why)."""
    company = person.company
    customers = _ids(Customer, company, _equal("phone", {person.phone}) | _iequal("email", {person.email}))
    phones, emails = _identifiers(person, customers)
    calls = _ids(
        Call,
        company,
        Q(customer_id__in=customers)
        | _equal("from_number", phones) & ~Q(direction=CallDirection.OUTBOUND)
        | _equal("to_number", phones) & Q(direction=CallDirection.OUTBOUND),
    )
    call_ids = set(Call.objects.filter(pk__in=calls).values_list("retell_call_id", flat=True))
    wishes = _ids(
        BookingRequest,
        company,
        _equal("call_id", call_ids) | _equal("payload__phone", phones) | _iequal("payload__email", emails),
    )
    appointments = _appointments(company, customers, emails, calls, wishes)
    uids = set(Appointment.objects.filter(pk__in=appointments).values_list("calcom_booking_uid", flat=True))
    booking_requests = wishes | _ids(BookingRequest, company, Q(appointment_id__in=appointments))
    ids = {
        "customers": customers,
        "calls": calls,
        "appointments": appointments,
        "booking_requests": booking_requests,
        "appointment_changes": _ids(
            AppointmentChange, company, Q(appointment_id__in=appointments) | _equal("call_id", call_ids)
        ),
        "webhook_events": _ids(
            WebhookEvent, company, _equal("call_id", call_ids) | _mentioned(phones, emails)
        ),
        "calendar_notices": _ids(
            CalendarNotice, company, _equal("booking_uid", uids) | _mentioned(phones, emails)
        ),
        "notifications": _ids(
            Notification,
            company,
            _equal("recipient", phones)
            | Q(appointment_id__in=appointments)
            | Q(booking_request_id__in=booking_requests),
        ),
    }
    ids["follow_ups"] = _ids(FollowUp, company, Q(subject__in=_subjects(ids)))
    ids["admin_log"] = _admin_log(ids)
    return PersonRows(person, ids)


def _identifiers(person: Person, customers: frozenset[int]) -> tuple[set[str], set[str]]:
    """The numbers and emails that name the person: those asked for, and those on their customer
    rows (someone found by email is known by their number too)."""
    held = Customer.objects.filter(pk__in=customers).values_list("phone", "email")
    phones = {person.phone, *(phone for phone, _email in held)}
    emails = {person.email, *(email.lower() for _phone, email in held)}
    return phones - {""}, emails - {""}


def _appointments(company, customers, emails, calls, wishes) -> frozenset[int]:
    found = _ids(
        Appointment,
        company,
        Q(customer_id__in=customers)
        | _iequal("attendee_email", emails)
        | Q(calls__in=calls)
        | Q(booking_request__in=wishes),
    )
    while True:  # a move makes a new appointment: the chain is the person's, both ways
        linked = _ids(Appointment, company, Q(rescheduled_from_id__in=found) | Q(rescheduled_to__in=found))
        if linked <= found:
            return found
        found |= linked


def _admin_log(ids: Mapping[str, frozenset[int]]) -> frozenset[int]:
    about = [
        Q(
            content_type=ContentType.objects.get_for_model(TABLE[key].model),
            object_id__in=[str(pk) for pk in pks],
        )
        for key, pks in ids.items()
        if pks
    ]
    if not about:
        return frozenset()
    return frozenset(LogEntry.objects.filter(reduce(or_, about)).values_list("pk", flat=True))


def _subjects(ids: Mapping[str, frozenset[int]]) -> list[str]:
    """What a follow-up names a row by (console.attention: "<model>:<pk>")."""
    return [f"{TABLE[key].model._meta.model_name}:{pk}" for key, pks in ids.items() for pk in pks]


def _ids(model, company: Company, condition: Q) -> frozenset[int]:
    rows = model.objects.filter(condition, company=company).distinct()
    return frozenset(rows.values_list("pk", flat=True))


def _equal(field: str, values: Iterable[str]) -> Q:
    values = [value for value in values if value]
    return Q(**{f"{field}__in": values}) if values else Q(pk__in=[])


def _iequal(field: str, values: Iterable[str]) -> Q:
    return reduce(or_, (Q(**{f"{field}__iexact": value}) for value in values if value), Q(pk__in=[]))


def _mentioned(phones: set[str], emails: set[str]) -> Q:
    """A raw body (JSON as the vendor sent it) naming one of the numbers or emails, as a whole
    value: +4915112345678 is not found in +49151123456789, nor ana@ in jana@."""
    patterns = [_number_pattern(phone) for phone in phones] + [_email_pattern(email) for email in emails]
    return reduce(or_, (Q(body__iregex=pattern) for pattern in patterns), Q(pk__in=[]))


def _number_pattern(e164: str) -> str:
    """+49 151 12345678 written as +4915112345678, 004915112345678, 015112345678, or as Cal.com
    names a caller who gave no email: 4915112345678@sms.cal.com."""
    number = phonenumbers.parse(e164)
    code, national = number.country_code, number.national_number
    return rf"(^|[^0-9])(\+{code}|00{code}|{code}|0){national}($|[^0-9])"


def _email_pattern(email: str) -> str:
    # A backslash before any other character is that character, in Python's re (SQLite) as in
    # PostgreSQL's regular expressions.
    escaped = "".join(char if char.isalnum() else "\\" + char for char in email)
    # After it: the end, or anything but what goes on an address (".au" would be another one).
    return rf"(^|[^a-z0-9._%+-]){escaped}($|[^a-z0-9_.-]|\.($|[^a-z0-9_-]))"
