"""Everything we hold about one person, for an access request (GDPR Art. 15): one JSON document of
every row privacy.person finds, field by field, and a plain-text summary of it to hand over.

Every stored field of every row is exported (nothing is chosen, so nothing is forgotten), the
company's own id aside; raw vendor bodies are parsed where they are JSON. Encrypted text is read
decrypted, through `readable_text`: a value no key opens stops the export rather than passing a
placeholder on as the person's data.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.admin.models import LogEntry
from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.trail import record
from companies.fields import readable_text
from companies.models import Company
from core import clock
from core.shown import shown_duration, shown_local
from privacy.person import TABLES, PersonRows, person_identify, person_rows

FORMAT = "askpro.person-export"
VERSION = 1
RAW_BODIES = {"body"}  # vendors' bodies as they came: JSON text, parsed for the reader


def person_data_export(*, company: Company, phone: str = "", email: str = "", summary: bool = False) -> str:
    """The person's data as JSON (or, `summary`, as readable text), recorded in the audit trail
    by counts per table. PersonNotValid for a bad number or email; DecryptionError when a text
    cannot be decrypted (nothing is handed over then, and nothing recorded)."""
    rows = person_rows(person_identify(company=company, phone=phone, email=email))
    text = export_summary(rows) if summary else export_json(person_export(rows))
    record(Action.EXPORT, company=company, object_type="privacy.person", changes=rows.counts())
    return text


def person_export(rows: PersonRows) -> dict:
    """The JSON-ready document: who was asked for, when, and every row by table."""
    person = rows.person
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": clock.now().isoformat(),
        "company": {"name": person.company.name, "slug": person.company.slug},
        "asked_for": {"phone": person.phone, "email": person.email},
        "counts": rows.counts(),
    }
    for table in TABLES:
        document[table.key] = [_row(obj) for obj in rows.rows(table.key).order_by("pk")]
    return document


def export_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def _row(obj: Model) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name == "company":
            continue
        value = field.value_from_object(obj)
        data[field.attname] = _body(value) if field.name in RAW_BODIES else _plain(value)
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(related.pk for related in getattr(obj, field.name).all())
    if isinstance(obj, LogEntry):
        data["object_type"] = obj.content_type.model_class()._meta.label if obj.content_type_id else ""
    return data


def _body(value: str):
    try:
        return json.loads(readable_text(value))
    except ValueError:
        return readable_text(value)


def _plain(value):
    if isinstance(value, str):
        return readable_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- the summary ---------------------------------------------------------------------------------


def export_summary(rows: PersonRows) -> str:
    """A readable account of the same rows, in the company's language."""
    company = rows.person.company
    with translation.override(company.language):
        parts = [
            _heading(rows),
            _customers(rows),
            _calls(rows),
            _appointments(rows),
            _others(rows),
        ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _heading(rows: PersonRows) -> str:
    person = rows.person
    asked = ", ".join(value for value in (person.phone, person.email) if value)
    lines = [
        _("Data held by %(company)s about %(person)s") % {"company": person.company.name, "person": asked},
        _("As of %(when)s.") % {"when": shown_local(clock.now(), person.company.timezone)},
    ]
    if not rows.found_any:
        lines.append(_("Nothing is stored about this person."))
    return "\n".join(lines)


def _customers(rows: PersonRows) -> str:
    zone = rows.person.company.timezone
    entries = [
        _("%(name)s, phone %(phone)s, email %(email)s, known since %(since)s")
        % {
            "name": readable_text(customer.name) or "-",
            "phone": customer.phone or "-",
            "email": customer.email or "-",
            "since": shown_local(customer.created_at, zone),
        }
        for customer in rows.rows("customers").order_by("pk")
    ]
    return _section(_("Customer record"), entries)


def _calls(rows: PersonRows) -> str:
    zone = rows.person.company.timezone
    return _section(
        _("Calls"),
        [
            _call(call, zone)
            for call in rows.rows("calls").select_related("branch").order_by("started_at", "pk")
        ],
    )


def _call(call, zone: str) -> str:
    lines = [
        _("%(when)s, %(branch)s, %(length)s, from %(from)s to %(to)s")
        % {
            "when": shown_local(call.started_at or call.created_at, zone),
            "branch": call.branch.name if call.branch else "-",
            "length": shown_duration(call.duration_ms) or "-",
            "from": call.from_number or "-",
            "to": call.to_number or "-",
        }
    ]
    if call.summary:
        lines.append(_("Summary: %(summary)s") % {"summary": readable_text(call.summary)})
    if call.transcript:
        lines.append(_("Transcript:"))
        lines.extend("  " + line for line in readable_text(call.transcript).splitlines())
    return "\n  ".join(lines)


def _appointments(rows: PersonRows) -> str:
    appointments = rows.rows("appointments").select_related("branch__company").order_by("start")
    entries = [
        _("%(when)s, %(branch)s, %(status)s, booked as %(name)s %(email)s")
        % {
            "when": shown_local(appointment.start, appointment.branch.effective_timezone),
            "branch": appointment.branch.name,
            "status": appointment.get_status_display(),
            "name": appointment.attendee_name or "-",
            "email": appointment.attendee_email,
        }
        for appointment in appointments
    ]
    return _section(_("Appointments"), entries)


def _others(rows: PersonRows) -> str:
    """The rest is counted here and given in full in the JSON export."""
    counts = rows.counts()
    shown = {"customers", "calls", "appointments"}
    entries = [
        f"{table.label}: {counts[table.key]}"
        for table in TABLES
        if table.key not in shown and counts[table.key]
    ]
    return _section(_("Also stored (every field of these is in the JSON export)"), entries, counted=False)


def _section(title: str, entries: list[str], *, counted: bool = True) -> str:
    if not entries:
        return ""
    heading = f"{title} ({len(entries)})" if counted else title
    return "\n".join([heading, *(f"- {entry}" for entry in entries)])
