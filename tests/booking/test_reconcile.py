"""Reconciliation: Cal.com's bookings in a window compared with our appointments, every
difference repaired (or, dry, reported). GET /v2/bookings answers are GetBookingsOutput_2024_08_13
pages of BookingOutput_2024_08_13 (contract §2.4), built by tests/calcom_fakes.py."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from booking.models import Appointment, AppointmentStatus
from booking.reconcile import calendar_reconcile
from booking.tasks import reconcile_calendars
from tests import timeline
from tests.booking.conftest import EVENT_TYPE_ID
from tests.calcom_fakes import BASE, booking_output, bookings_list, fixture
from tests.factories import AppointmentFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _at(hhmm: str, days: int = 0):
    return timeline.utc(timeline.booking_day() + timedelta(days=days), hhmm)


def _booking(uid: str, hhmm: str = "10:00", status: str = "accepted", days: int = 0, **extra) -> dict:
    start = _at(hhmm, days)
    return booking_output(start=start, end=start + timedelta(minutes=30), uid=uid, status=status, **extra)[
        "data"
    ]


def _ours(company, uid: str, hhmm: str = "10:00", status=AppointmentStatus.BOOKED) -> Appointment:
    start = _at(hhmm)
    return AppointmentFactory(
        company=company,
        branch=company.branches.get(),
        customer=CustomerFactory(company=company),
        start=start,
        end=start + timedelta(minutes=30),
        status=status,
        calcom_booking_uid=uid,
        event_type_id=EVENT_TYPE_ID,
    )


def test_a_lost_cancellation_and_every_other_difference_are_repaired(company, calcom):
    cancelled = _ours(company, "bk_cancelled_in_calcom")
    pending = _ours(company, "bk_confirmed_since", "11:00", status=AppointmentStatus.PENDING)
    moved = _ours(company, "bk_moved_away", "12:00")
    untouched = _ours(company, "bk_same", "13:00")
    calcom.add(
        "GET",
        f"{BASE}/bookings",
        json=bookings_list(
            _booking("bk_cancelled_in_calcom", status="cancelled"),
            _booking("bk_confirmed_since", "11:00"),
            _booking("bk_moved_away", "12:00", status="cancelled", rescheduledToUid="bk_moved_here"),
            _booking("bk_moved_here", "16:00", rescheduledFromUid="bk_moved_away"),
            _booking("bk_same", "13:00"),
            _booking("bk_made_on_the_page", "14:00"),
        ),
    )
    report = calendar_reconcile(company=company)

    query = {k: v[0] for k, v in parse_qs(urlsplit(calcom.calls[0].request.url).query).items()}
    assert query["eventTypeIds"] == str(EVENT_TYPE_ID)
    assert set(query["status"].split(",")) == {"upcoming", "unconfirmed", "past", "cancelled"}
    assert query["afterStart"] == timeline.z(timeline.now() - timedelta(days=1))
    assert query["beforeEnd"] == timeline.z(timeline.now() + timedelta(days=30))
    assert sorted((r.uid, r.change) for r in report.repairs) == [
        ("bk_cancelled_in_calcom", "cancelled"),
        ("bk_confirmed_since", "confirmed"),
        ("bk_made_on_the_page", "added"),
        ("bk_moved_away", "moved"),
        ("bk_moved_here", "added"),
    ]
    assert (
        report.summary() == "6 Cal.com bookings checked; repaired 2 added, 1 cancelled, 1 confirmed, 1 moved."
    )
    for appointment in (cancelled, pending, moved, untouched):
        appointment.refresh_from_db()
    assert (cancelled.status, pending.status, moved.status, untouched.status) == (
        "cancelled",
        "booked",
        "rescheduled",
        "booked",
    )
    assert Appointment.objects.get(calcom_booking_uid="bk_moved_here").rescheduled_from == moved
    assert Appointment.objects.get(calcom_booking_uid="bk_made_on_the_page").source == "calendar"


def test_a_dry_run_reports_and_changes_nothing(company, calcom):
    mine = _ours(company, "bk_cancelled_in_calcom")
    calcom.add(
        "GET", f"{BASE}/bookings", json=bookings_list(_booking("bk_cancelled_in_calcom", status="cancelled"))
    )
    report = calendar_reconcile(company=company, dry_run=True)
    assert [(r.uid, r.change) for r in report.repairs] == [("bk_cancelled_in_calcom", "cancelled")]
    assert report.summary() == "1 Cal.com bookings checked; would repair 1 cancelled."
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.BOOKED


def test_an_appointment_cal_com_did_not_list_is_read_one_by_one(company, calcom):
    gone = _ours(company, "bk_not_listed")
    lost = _ours(company, "bk_deleted", "15:00")
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    calcom.add(
        "GET",
        f"{BASE}/bookings/bk_not_listed",
        json={"status": "success", "data": _booking("bk_not_listed", status="cancelled")},
    )
    calcom.add("GET", f"{BASE}/bookings/bk_deleted", json=fixture("error_event_type_not_found"), status=404)
    report = calendar_reconcile(company=company)
    assert sorted((r.uid, r.change) for r in report.repairs) == [
        ("bk_deleted", "not_in_calendar"),
        ("bk_not_listed", "cancelled"),
    ]
    gone.refresh_from_db()
    lost.refresh_from_db()
    assert (gone.status, lost.status) == ("cancelled", "booked")  # staff decide about the missing one


def test_one_companys_reconciliation_touches_no_other_companys_appointment(company, other_company, calcom):
    theirs = _ours(company, "bk_shared_uid")
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list(_booking("bk_shared_uid", status="cancelled")))
    calendar_reconcile(company=other_company)
    assert calcom.calls[0].request.headers["Authorization"] == "Bearer cal_live_other"
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_the_command_prints_the_repairs_and_fails_when_cal_com_is_away(company, calcom, capsys):
    _ours(company, "bk_cancelled_in_calcom")
    calcom.add(
        "GET", f"{BASE}/bookings", json=bookings_list(_booking("bk_cancelled_in_calcom", status="cancelled"))
    )
    call_command("reconcile_calendar", "--company", company.slug, "--dry-run")
    out = capsys.readouterr().out
    assert "cancelled  bk_cancelled_in_calcom" in out and "would repair 1 cancelled" in out
    for _ in range(3):
        calcom.add("GET", f"{BASE}/bookings", status=503, json={"statusCode": 503, "message": "down"})
    with pytest.raises(CommandError, match="did not answer in time"):
        call_command("reconcile_calendar", "--company", company.slug)


def test_the_periodic_task_reconciles_every_company_that_books(company, other_company, calcom):
    _ours(company, "bk_cancelled_in_calcom")
    calcom.add(
        "GET", f"{BASE}/bookings", json=bookings_list(_booking("bk_cancelled_in_calcom", status="cancelled"))
    )
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    assert reconcile_calendars() == 1
    keys = {call.request.headers["Authorization"] for call in calcom.calls}
    assert keys == {"Bearer cal_live_praxis", "Bearer cal_live_other"}


def test_a_reconcile_schedule_exists_for_the_worker(db):
    from django_q.models import Schedule

    assert Schedule.objects.get(func="booking.tasks.reconcile_calendars").minutes == 15


def test_unlisted_appointments_are_read_at_most_a_few_a_run_soonest_first(company, calcom, monkeypatch):
    monkeypatch.setattr("booking.reconcile.LOOKUPS_PER_RUN", 2)
    for hhmm in ("12:00", "10:00", "11:00"):
        _ours(company, f"bk_{hhmm[:2]}", hhmm)
    calcom.add("GET", f"{BASE}/bookings", json=bookings_list())
    for uid, hhmm in (("bk_10", "10:00"), ("bk_11", "11:00")):
        calcom.add("GET", f"{BASE}/bookings/{uid}", json={"status": "success", "data": _booking(uid, hhmm)})
    report = calendar_reconcile(company=company)
    assert [call.request.url.rsplit("/", 1)[1] for call in calcom.calls[1:]] == ["bk_10", "bk_11"]
    assert report.repairs == []
