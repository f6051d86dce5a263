"""Handles agents keep for appointments: reversible within the company, useless outside it."""

from booking.references import appointment_by_handle, appointment_handle
from tests.factories import AppointmentFactory


def test_a_handle_leads_back_to_its_appointment(company):
    appointment = AppointmentFactory(company=company, branch=company.branches.get())
    handle = appointment_handle(appointment)
    assert handle.startswith("apt_") and appointment_by_handle(company=company, handle=handle) == appointment


def test_another_companys_handle_finds_nothing(company, other_company):
    theirs = AppointmentFactory(company=other_company, branch=other_company.branches.get())
    assert appointment_by_handle(company=company, handle=appointment_handle(theirs)) is None


def test_a_handle_with_another_number_finds_nothing(company):
    first, second = AppointmentFactory.create_batch(2, company=company, branch=company.branches.get())
    forged = appointment_handle(first).replace(f"apt_{first.pk}_", f"apt_{second.pk}_")
    assert appointment_by_handle(company=company, handle=forged) is None


def test_malformed_handles_find_nothing(company):
    for handle in ["", "apt_", "apt_x_y", "apt_1", "bk_3fY7qLm2", "apt_" + "9" * 40 + "_abc", None, 7]:
        assert appointment_by_handle(company=company, handle=handle) is None
