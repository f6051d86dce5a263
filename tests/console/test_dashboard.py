"""The admin's start page: per branch today's and this week's calls and bookings, the week's
booking funnel, upcoming appointments and connection health, of the staff member's company only."""

from datetime import timedelta

import pytest

from booking.models import AppointmentSource, AppointmentStatus
from core import clock
from tests.factories import AppointmentFactory, CallFactory

pytestmark = pytest.mark.django_db


def _context(client, user) -> dict:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.context


def test_calls_and_bookings_per_branch_today(client, alice, company_a):
    branch = company_a.branches.get()
    now = clock.now()
    CallFactory(company=company_a, branch=branch, started_at=now)  # the pinned now: today on any clock
    CallFactory(company=company_a, branch=branch, started_at=now - timedelta(days=8))  # last week
    for source in (AppointmentSource.LIVE_CALL, AppointmentSource.LIVE_CALL, AppointmentSource.POST_CALL):
        AppointmentFactory(
            company=company_a,
            branch=branch,
            source=source,
            status=AppointmentStatus.BOOKED,
            start=now + timedelta(days=3),
        )
    AppointmentFactory(
        company=company_a,
        branch=branch,
        source=AppointmentSource.LIVE_CALL,
        status=AppointmentStatus.FAILED,
        start=now + timedelta(days=3),
    )

    [row] = _context(client, alice)["branches"]

    assert row.branch == branch
    assert (row.calls_today, row.calls_week) == (1, 1)
    assert (row.live_today, row.live_week, row.after_call_today, row.after_call_week) == (2, 2, 1, 1)


def test_the_funnel_follows_calls_from_asking_to_booking(client, alice, company_a):
    branch = company_a.branches.get()
    now = clock.now()
    CallFactory(company=company_a, branch=branch, started_at=now)  # hung up at once
    CallFactory(company=company_a, branch=branch, started_at=now, availability_checks=2)  # nothing free
    CallFactory(company=company_a, branch=branch, started_at=now, availability_checks=1, slots_offered=3)
    booked = CallFactory(
        company=company_a, branch=branch, started_at=now, availability_checks=1, slots_offered=2
    )
    booked.appointments.add(
        AppointmentFactory(
            company=company_a, branch=branch, status=AppointmentStatus.BOOKED, start=now + timedelta(days=2)
        )
    )

    funnel = _context(client, alice)["funnel"]

    assert (funnel.calls, funnel.asked, funnel.offered, funnel.booked) == (4, 3, 2, 1)


def test_upcoming_appointments_show_on_the_branch_clock_with_its_zone(client, alice, company_a):
    branch = company_a.branches.get()
    start = clock.now().replace(microsecond=0) + timedelta(days=2)
    AppointmentFactory(
        company=company_a,
        branch=branch,
        attendee_name="Frau Kühn",
        status=AppointmentStatus.BOOKED,
        start=start,
    )
    AppointmentFactory(
        company=company_a, branch=branch, status=AppointmentStatus.BOOKED, start=start - timedelta(days=5)
    )  # past

    context = _context(client, alice)

    [(appointment, shown)] = context["upcoming"]
    assert appointment.attendee_name == "Frau Kühn"
    assert shown.endswith(("CET", "CEST")) and "UTC" not in shown


def test_health_names_missing_keys_and_the_set_up_check(client, alice, company_a):
    company_a.retell_api_key = ""
    company_a.save()
    [health] = _context(client, alice)["health"]
    assert health.calcom_key and not health.retell_key
    assert health.calendar == "closed"
    page = client.get("/admin/").content.decode()
    assert f"/admin/setup-check/{company_a.pk}/" in page


def test_another_companys_branches_calls_and_people_never_show(client, alice, company_a, company_b):
    theirs = company_b.branches.get()
    CallFactory(company=company_b, branch=theirs, started_at=clock.now())
    AppointmentFactory(
        company=company_b,
        branch=theirs,
        attendee_name="Bernd Beta",
        status=AppointmentStatus.BOOKED,
        start=clock.now() + timedelta(days=1),
    )
    context = _context(client, alice)
    assert [row.branch for row in context["branches"]] == [company_a.branches.get()]
    assert context["funnel"].calls == 0 and context["upcoming"] == []
    page = client.get("/admin/").content.decode()
    assert "Beta Nord" not in page and "Bernd Beta" not in page and "Beta Salon" not in page


def test_a_user_without_a_company_sees_no_figures(client, db):
    from tests.factories import UserFactory

    loner = UserFactory(username="loner", is_staff=True)
    context = _context(client, loner)
    assert "branches" not in context
    assert "not a member of any company" in client.get("/admin/").content.decode()


def test_a_call_with_several_appointments_counts_once_in_the_funnel(client, alice, company_a):
    branch = company_a.branches.get()
    call = CallFactory(
        company=company_a, branch=branch, started_at=clock.now(), availability_checks=2, slots_offered=4
    )
    for days, status in (
        (2, AppointmentStatus.BOOKED),
        (3, AppointmentStatus.CANCELLED),
        (4, AppointmentStatus.FAILED),
    ):
        call.appointments.add(
            AppointmentFactory(
                company=company_a, branch=branch, status=status, start=clock.now() + timedelta(days=days)
            )
        )
    funnel = _context(client, alice)["funnel"]
    assert (funnel.calls, funnel.asked, funnel.offered, funnel.booked) == (1, 1, 1, 1)
