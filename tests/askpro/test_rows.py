"""core.rows: one row in one INSERT, a duplicate refused without harm to the caller's work; the
statements built once write and read what the ORM would."""

import asyncio
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from audit.actors import acting_as, retell_call, row_ref
from audit.models import AuditEntry
from audit.trail import record
from booking.models import Appointment, AppointmentStatus, BookingRequest, Customer
from companies.models import Company
from core import clock
from core.rows import (
    PRESENT,
    ColumnOf,
    _kept_cursor,
    by_pk,
    first_where,
    insert,
    insert_pair,
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
    row, _ = _wish(model, "k")
    row.metadata["nested"] = [1, "zwei"]
    row = insert(row)
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


@pytest.mark.django_db(transaction=True)
def test_statements_share_the_connections_cursor_and_a_new_connection_gets_a_new_one():
    company, database = CompanyFactory(), connections["default"]
    kept = _kept_cursor(database)
    assert by_pk(Company, company.pk).slug == company.slug
    assert _kept_cursor(database) is kept and kept.description[1][0] == "name"  # the SELECT ran on it
    database.close()  # as close_old_connections does once CONN_MAX_AGE has passed
    assert by_pk(Company, company.pk).slug == company.slug  # on a new connection
    assert _kept_cursor(database) is not kept
    assert _kept_cursor(database).cursor.connection is database.connection


@pytest.mark.django_db
def test_while_statements_are_recorded_each_gets_a_recording_cursor():
    company = CompanyFactory()
    with CaptureQueriesContext(connection) as recorded:
        by_pk(Company, company.pk)
        update(Company, company.pk, name="Renamed")
    assert [query["sql"].split()[0] for query in recorded.captured_queries] == ["SELECT", "UPDATE"]


@pytest.mark.django_db
def test_after_a_failed_statement_the_kept_cursor_serves_the_next_one():
    call, appointment = CallFactory(), AppointmentFactory()
    row_insert(Link, call_id=call.pk, appointment_id=appointment.pk)
    with pytest.raises(IntegrityError):
        row_insert(Link, call_id=call.pk, appointment_id=appointment.pk)
    assert by_pk(Call, call.pk).retell_call_id == call.retell_call_id


def test_the_kept_cursor_is_refused_inside_an_event_loop():
    async def from_async_code():
        return _kept_cursor(connections["default"])

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(from_async_code())


def _wish(model: Appointment, key: str) -> tuple[Appointment, BookingRequest]:
    """An appointment and its booking request, as a booking wish records them (unsaved)."""
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    appointment = Appointment(
        company=model.company,
        branch=model.branch,
        customer=model.customer,
        start=start,
        end=start + timedelta(minutes=30),
        source=model.source,
        status=AppointmentStatus.REQUESTED,
        metadata={"idempotency_key": key},
    )
    request = BookingRequest(
        company=model.company,
        idempotency_key=key,
        source=model.source,
        payload={"start": start.isoformat(), "nested": [1, "zwei"]},
        attempts=1,
        lease_until=start,
    )
    return appointment, request


@pytest.mark.django_db
def test_insert_pair_writes_both_rows_as_save_would_the_second_pointing_at_the_first():
    first, second = insert_pair(*_wish(AppointmentFactory(), "pair-1"), link="appointment")
    assert first.pk is not None and second.pk is not None and not second._state.adding
    assert second.appointment is first and second.appointment_id == first.pk  # no read needed
    read = BookingRequest.objects.select_related("appointment").get(pk=second.pk)
    assert read.appointment_id == first.pk and read.appointment.metadata == {"idempotency_key": "pair-1"}
    assert (read.payload, read.attempts, read.created_at) == (second.payload, 1, second.created_at)
    assert _as_orm_reads(first) == {name: getattr(first, name) for name in _as_orm_reads(first)}


@pytest.mark.django_db(transaction=True)
def test_insert_pair_is_one_statement_on_postgresql_and_one_transaction_elsewhere():
    wish = _wish(AppointmentFactory(), "pair-2")
    with CaptureQueriesContext(connection) as recorded:
        insert_pair(*wish, link="appointment")
    statements = [query["sql"].split()[0] for query in recorded.captured_queries]
    if connection.vendor == "postgresql":
        assert statements == ["WITH"]
    else:
        assert statements == ["BEGIN", "INSERT", "INSERT", "COMMIT"]


@pytest.mark.django_db(transaction=True)
def test_a_pair_whose_second_row_is_refused_leaves_neither():
    model = AppointmentFactory()
    insert_pair(*_wish(model, "pair-3"), link="appointment")
    with pytest.raises(IntegrityError):
        insert_pair(*_wish(model, "pair-3"), link="appointment")  # the same idempotency key
    assert Appointment.objects.filter(metadata__idempotency_key="pair-3").count() == 1


@pytest.mark.django_db
def test_inside_a_transaction_a_refused_pair_leaves_the_callers_work_standing():
    model = AppointmentFactory()
    insert_pair(*_wish(model, "pair-4"), link="appointment")
    with transaction.atomic():
        customer = CustomerFactory(company=model.company)
        with suppress(IntegrityError):
            insert_pair(*_wish(model, "pair-4"), link="appointment")
        assert not transaction.get_rollback()
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Appointment.objects.filter(metadata__idempotency_key="pair-4").count() == 1
