"""Finding a customer's upcoming appointments by phone or email, within one company."""

from datetime import timedelta

import pytest

from booking.models import AppointmentStatus
from booking.selectors import upcoming_appointments_of_person
from booking.services import BookingError
from tests import timeline
from tests.factories import AppointmentFactory, CustomerFactory


@pytest.fixture
def anna(company):
    return CustomerFactory(company=company, phone="+4915112345678", email="anna@example.de")


def _appointment(company, customer, day_offset=0, **extra):
    start = timeline.utc(timeline.booking_day() + timedelta(days=day_offset), "10:00")
    return AppointmentFactory(
        company=company, branch=company.branches.get(), customer=customer, start=start, **extra
    )


def test_found_by_phone_written_any_way_soonest_first(company, anna):
    later = _appointment(company, anna, day_offset=2, status=AppointmentStatus.BOOKED)
    sooner = _appointment(company, anna, status=AppointmentStatus.PENDING)
    found = upcoming_appointments_of_person(company=company, phone="0151 123 456 78")
    assert found == [sooner, later]


def test_found_by_email_ignoring_case(company, anna):
    booked = _appointment(company, anna, status=AppointmentStatus.BOOKED)
    assert upcoming_appointments_of_person(company=company, email=" Anna@Example.DE ") == [booked]


def test_past_and_cancelled_appointments_are_left_out(company, anna):
    _appointment(company, anna, status=AppointmentStatus.CANCELLED)
    _appointment(company, anna, day_offset=-30, status=AppointmentStatus.BOOKED)
    assert upcoming_appointments_of_person(company=company, phone="+4915112345678") == []


def test_another_companys_customer_with_the_same_phone_stays_hidden(company, other_company):
    twin = CustomerFactory(company=other_company, phone="+4915112345678")
    _appointment(other_company, twin, status=AppointmentStatus.BOOKED)
    assert upcoming_appointments_of_person(company=company, phone="+4915112345678") == []


@pytest.mark.parametrize("given", [{}, {"phone": "not a number"}])
def test_no_or_bad_phone_is_a_validation_error(company, given):
    with pytest.raises(BookingError) as refused:
        upcoming_appointments_of_person(company=company, **given)
    assert refused.value.error_type == "validation_error"


def test_found_by_the_email_it_was_booked_with_when_there_is_no_phone(company):
    booked = _appointment(company, None, status=AppointmentStatus.BOOKED, attendee_email="solo@example.de")
    assert upcoming_appointments_of_person(company=company, email="SOLO@example.de") == [booked]


def test_a_callers_appointments_are_found_through_the_companys_customer_index(company):
    """The phone is matched among the company's customers only, so PostgreSQL can use the
    (company, phone) index instead of every tenant's customers (#15)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from booking.selectors import upcoming_appointments_for_phone

    with CaptureQueriesContext(connection) as captured:
        upcoming_appointments_for_phone(company=company, phone="+4915112345678")
    [query] = [q["sql"] for q in captured.captured_queries]
    assert '"booking_customer"."company_id"' in query and '"booking_customer"."phone"' in query
