"""core.rows: one row in one INSERT, a duplicate refused without harm to the caller's work; the
statements built once write and read what the ORM would."""

from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from audit.actors import acting_as, retell_call, row_ref
from audit.models import AuditEntry
from audit.trail import record
from booking.models import Appointment, AppointmentStatus, Customer
from companies.models import Company
from core import clock
from core.rows import (
    PRESENT,
    ColumnOf,
    by_pk,
    first_where,
    insert,
    row_insert,
    row_insert_once,
    rows_where,
    save_fields,
    update,
    upsert,
)
from telephony.models import Call, WebhookEvent
from tests.factories import AppointmentFactory, CallFactory, CompanyFactory, CustomerFactory

Link = Call.appointments.through


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_a_row_is_one_statement_and_a_duplicate_is_refused():
    call, appointment = CallFactory(), AppointmentFactory()
    with CaptureQueriesContext(connection) as captured:
        assert row_insert_once(Link, call_id=call.pk, appointment_id=appointment.pk) is True
    assert len(captured.captured_queries) == 1
    assert row_insert_once(Link, call_id=call.pk, appointment_id=appointment.pk) is False
    with pytest.raises(IntegrityError):
        row_insert(Link, call_id=call.pk, appointment_id=appointment.pk)
    assert list(call.appointments.all()) == [appointment]


@pytest.mark.django_db
def test_inside_a_transaction_a_duplicate_leaves_the_callers_work_standing():
    call, appointment = CallFactory(), AppointmentFactory()
    with transaction.atomic():
        assert row_insert_once(Link, call_id=call.pk, appointment_id=appointment.pk) is True
        assert row_insert_once(Link, call_id=call.pk, appointment_id=appointment.pk) is False
        call.summary = "still writable"
        call.save(update_fields=["summary"])  # the transaction was not aborted
    assert Call.objects.get(pk=call.pk).summary == "still writable"
    assert Link.objects.filter(call=call).count() == 1


# --- Statements built once: what they write and read is what the ORM writes and reads --------

FIELDS = ("company_id", "branch_id", "customer_id", "start", "end", "status", "metadata", "attempts")


def _as_orm_reads(row):
    """The row as a fresh ORM read sees it, field by field."""
    return {name: getattr(type(row).objects.get(pk=row.pk), name) for name in (*FIELDS, "created_at")}


@pytest.mark.django_db
def test_insert_writes_the_row_save_would_write():
    model = AppointmentFactory()  # the ORM's
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    row = insert(
        Appointment(
            company=model.company,
            branch=model.branch,
            start=start,
            end=start + timedelta(minutes=30),
            source=model.source,
            status=AppointmentStatus.REQUESTED,
            metadata={"idempotency_key": "k", "nested": [1, "zwei"]},
        )
    )
    assert row.pk is not None and row.pk != model.pk and not row._state.adding
    assert row.created_at is not None  # auto_now_add, set as save() sets it
    read = _as_orm_reads(row)
    assert read == {name: getattr(row, name) for name in read}
    assert read["metadata"] == {"idempotency_key": "k", "nested": [1, "zwei"]} and read["start"] == start


@pytest.mark.django_db
def test_insert_leaves_a_model_with_save_listeners_to_the_orm():
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=Customer, dispatch_uid="test-rows-listener")
    try:
        customer = insert(Customer(company=CompanyFactory(), phone="+4930123456"))
    finally:
        post_save.disconnect(dispatch_uid="test-rows-listener", sender=Customer)
    assert heard == [(customer.pk, True)]


@pytest.mark.django_db
def test_update_and_save_fields_prepare_values_as_the_orm_does(pinned_clock):
    row = AppointmentFactory(metadata={})
    moved = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    customer = CustomerFactory()
    assert update(Appointment, row.pk, start=moved, metadata={"a": [1]}, customer=customer) == 1
    assert update(Appointment, row.pk + 1000, attempts=3) == 0  # no such row: nothing changed
    fresh = Appointment.objects.get(pk=row.pk)
    assert (fresh.start, fresh.metadata, fresh.customer_id) == (moved, {"a": [1]}, customer.pk)
    pinned_clock.shift(timedelta(minutes=5))
    fresh.attempts = 4
    save_fields(fresh, ["attempts", "updated_at"])
    again = Appointment.objects.get(pk=row.pk)
    assert again.attempts == 4 and again.updated_at == clock.now()
    Appointment.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError):
        save_fields(fresh, ["attempts"])


@pytest.mark.django_db
def test_upsert_inserts_once_and_then_changes_only_what_it_names():
    company = CompanyFactory()
    first = upsert(
        Customer(company=company, phone="+4930111", name="Jana", email="jana@example.com"),
        unique=("company", "phone"),
        changed=("name", "email", "updated_at"),
    )
    second = upsert(
        Customer(company=company, phone="+4930111", name="Jana B."),
        unique=("company", "phone"),
        changed=("name",),
    )
    assert first.pk == second.pk and Customer.objects.count() == 1
    stored = Customer.objects.get()
    assert (stored.name, stored.email) == ("Jana B.", "jana@example.com")  # the email was not named


@pytest.mark.django_db
def test_reads_convert_as_the_orm_does_encrypted_keys_json_and_times():
    company = CompanyFactory()
    found = by_pk(Company, company.pk)
    orm = Company.objects.get(pk=company.pk)
    assert found.calcom_api_key == orm.calcom_api_key == company.calcom_api_key  # decrypted
    assert {f.attname: getattr(found, f.attname) for f in Company._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in Company._meta.concrete_fields
    }
    assert by_pk(Company, company.pk + 1000) is None
    appointment = AppointmentFactory(metadata={"x": {"y": 1}})
    with transaction.atomic():
        locked = first_where(Appointment, "id", appointment.pk, for_update=True)
    assert (
        locked.metadata == {"x": {"y": 1}}
        and locked.start == Appointment.objects.get(pk=appointment.pk).start
    )
    assert not locked._state.adding


@pytest.mark.django_db
def test_rows_where_meets_every_condition_in_order():
    company, other = CompanyFactory(), CompanyFactory()
    kept = [AppointmentFactory(company=company, status=status) for status in ("booked", "pending", "failed")]
    AppointmentFactory(company=other, status="booked")
    AppointmentFactory(company=company, status="booked", calcom_booking_id=None)
    Appointment.objects.filter(pk__in=[a.pk for a in kept]).update(calcom_booking_id=7)
    found = rows_where(
        Appointment, company=company.pk, status=("booked", "pending"), calcom_booking_id=PRESENT
    )
    assert [a.pk for a in found] == [kept[0].pk, kept[1].pk]
    assert rows_where(Appointment, company=company.pk, status=("cancelled",)) == []


@pytest.mark.django_db
def test_an_actor_read_from_its_row_is_written_by_the_entrys_insert():
    event = WebhookEvent.objects.create(
        company=CompanyFactory(), event="call_ended", call_id="call_4711", body="{}"
    )
    with acting_as(retell_call(row_ref(WebhookEvent, "call_id", event.pk))):
        entry = record("book", object_type="x", object_id=1)
    assert AuditEntry.objects.get(pk=entry.pk).actor_ref == "call_4711"
    with acting_as(retell_call(row_ref(WebhookEvent, "call_id", event.pk + 1000))):  # the row is gone
        gone = record("book", object_type="x", object_id=2)
    assert AuditEntry.objects.get(pk=gone.pk).actor_ref == ""
    cut = insert(
        AuditEntry(
            at=clock.now(),
            actor_kind="system",
            action="x",
            actor_ref=ColumnOf(WebhookEvent, "call_id", event.pk, length=4),
        )
    )
    assert AuditEntry.objects.get(pk=cut.pk).actor_ref == "call"


@pytest.mark.django_db
def test_a_failed_statement_caught_inside_a_transaction_leaves_it_marked_for_rollback():
    call, appointment = CallFactory(), AppointmentFactory()
    row_insert(Link, call_id=call.pk, appointment_id=appointment.pk)
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with suppress(IntegrityError):  # as a careless caller would
            insert(Link(call_id=call.pk, appointment_id=appointment.pk))  # no savepoint of its own
        assert transaction.get_rollback()
        Call.objects.count()  # refused, as after the ORM's own failed write
    assert Link.objects.filter(call=call).count() == 1
