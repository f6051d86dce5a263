"""Recording a write in the audit trail: the one place entries are made.

    record("cancel", company=appointment.company, obj=appointment, changes={"status": (old, new)})

The actor comes from `audit.actors.current_actor()`. Values pass through `describe_changes`, which
keeps a value only when it cannot be personal data or a secret (numbers, dates, booleans, choices,
references by id); any other field is recorded as changed, without its old or new value.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from audit.actors import REF_LENGTH, current_actor
from audit.models import AuditEntry
from core import clock
from core.rows import ColumnOf, insert

CHANGED = "changed"

_SAFE_FIELD_TYPES = (
    models.BooleanField,
    models.IntegerField,
    models.DateTimeField,
    models.DateField,
    models.DurationField,
    models.DecimalField,
    models.FloatField,
    models.ForeignKey,
)


def record(
    action: str,
    *,
    company=None,
    obj=None,
    object_type: str = "",
    object_id="",
    changes: dict | None = None,
) -> AuditEntry:
    """Append one entry (one INSERT, nothing read). `changes` maps a field name to (old, new), or
    to a short safe note. An actor whose ref is an expression leaves it on the returned entry:
    the database wrote the value (read the entry again to see it)."""
    actor = current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return insert(
        AuditEntry(
            company_id=_company_id(company),
            at=clock.now(),
            actor_kind=actor.kind,
            actor_ref=_ref(actor.ref),
            actor_label=actor.label[:150],
            action=action,
            object_type=object_type,
            object_id="" if object_id is None else str(object_id),
            changes=describe_changes(obj, changes or {}),
        )
    )


def _ref(ref: str | ColumnOf):
    """The actor's id, bounded (a `row_ref` is bounded as the entry's INSERT reads it)."""
    return ref[:REF_LENGTH] if isinstance(ref, str) else ref


def describe_changes(obj, changes: dict) -> dict:
    """`changes` with every value that might be personal or secret replaced by "changed"."""
    described = {}
    for name, value in changes.items():
        if isinstance(value, tuple) and len(value) == 2:
            old, new = value
            if _value_is_safe(obj, name, old) and _value_is_safe(obj, name, new):
                described[name] = [_plain(old), _plain(new)]
            else:
                described[name] = CHANGED
        else:
            described[name] = _plain(value) if _is_scalar_note(value) else CHANGED
    return described


def fields_changed(before: dict, after: dict) -> dict:
    """{name: (old, new)} for the names whose value differs between two snapshots."""
    return {name: (before.get(name), new) for name, new in after.items() if before.get(name) != new}


def _value_is_safe(obj, name: str, value) -> bool:
    field = _field(obj, name)
    if field is not None:
        if getattr(field, "choices", None):
            return True
        return isinstance(field, _SAFE_FIELD_TYPES)
    # Not a model field: only plain numbers, booleans, dates and None are kept.
    return value is None or isinstance(value, bool | int | float | Decimal | date | datetime)


def _field(obj, name: str):
    if obj is None:
        return None
    try:
        return obj._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_scalar_note(value) -> bool:
    return value is None or isinstance(value, bool | int | float | Decimal | date | datetime)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def _company_id(company):
    if company is None:
        return None
    return company if isinstance(company, int) else company.pk
