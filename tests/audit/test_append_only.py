"""An entry, once written, is never changed or deleted: not through the model, not through a
queryset, and on PostgreSQL not even by SQL written by hand (a trigger refuses it)."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.actions import Action
from audit.actors import acting_as, operator
from audit.models import AppendOnly, AuditEntry
from audit.trail import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(company_a):
    with acting_as(operator("gdpr_export")):
        return record(
            Action.CHANGE, company=company_a, object_type="companies.company", object_id=company_a.pk
        )


def _unchanged(entry: AuditEntry) -> None:
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.actor_kind, stored.actor_label) == ("change", "operator", "gdpr_export")


def test_the_model_refuses_to_save_an_entry_again_or_delete_it(entry):
    entry.action = "delete"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    _unchanged(entry)


def test_a_queryset_refuses_to_update_or_delete_entries(entry):
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    _unchanged(entry)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (audit/migrations/0001)"
)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditentry SET action = 'delete'", "DELETE FROM audit_auditentry"],
    ids=["update", "delete"],
)
def test_on_postgresql_the_database_refuses_a_hand_written_change(entry, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    _unchanged(entry)
