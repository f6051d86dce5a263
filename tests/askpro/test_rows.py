"""core.rows: one row in one INSERT, a duplicate refused without harm to the caller's work."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.rows import row_insert, row_insert_once
from telephony.models import Call
from tests.factories import AppointmentFactory, CallFactory

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
