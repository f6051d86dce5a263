"""The "needs attention" list: each failed booking once, in plain language, with the caller's
name, number and wish, and what staff do about it: book an offered time with one click, book
another time, or mark the caller as called back. Scoped like every tenant page."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from booking.models import Appointment, AppointmentStatus, BookingRequest
from companies.models import StaffRole
from companies.services import staff_member_add
from console.models import FollowUp
from telephony.models import WebhookEvent, WebhookEventStatus
from tests import calcom_fakes, timeline
from tests.console.conftest import CALCOM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ATTENTION = "/admin/attention/"


def _subject(request: BookingRequest) -> str:
    return f"bookingrequest:{request.pk}"


def _failed_event_of(request: BookingRequest) -> WebhookEvent:
    body = json.dumps({"event": "call_analyzed", "call": {"call_id": request.call_id}})
    return WebhookEvent.objects.create(
        company=request.company,
        event="call_analyzed",
        call_id=request.call_id,
        body=body,
        status=WebhookEventStatus.FAILED,
        last_error="the booking failed",
    )


def test_a_failed_booking_is_listed_once_with_caller_wish_reason_and_offered_times(
    client, alice, company_a, failed_booking
):
    failed = failed_booking(company_a)
    _failed_event_of(failed)  # the same call's event: the same failure, not a second item
    client.force_login(alice)

    page = client.get(ATTENTION).content.decode()

    assert page.count('class="attention-item"') == 1
    assert "Jana Berger" in page and "+4915112345678" in page
    assert "The time was already taken in the calendar." in page
    day = timeline.booking_day()
    wished = timeline.at(day, "10:00").strftime("%d/%m/%Y 10:00")
    assert wished in page
    for hhmm in ("14:00", "14:30"):
        assert f'value="{timeline.at(day, hhmm).isoformat()}"' in page  # one click each
    assert "slot_unavailable" not in page and "GET /v2/slots" not in page


def test_the_dashboard_counts_and_shows_the_same_items(client, alice, company_a, failed_booking):
    failed_booking(company_a)
    client.force_login(alice)
    page = client.get("/admin/").content.decode()
    assert "Needs attention (1)" in page and "Jana Berger" in page


def test_booking_an_offered_time_books_it_and_settles_the_item(
    client, wire, alice, company_a, failed_booking
):
    failed = failed_booking(company_a)
    day = timeline.booking_day()
    start = timeline.utc(day, "14:00")
    wire.get(f"{CALCOM}/bookings", json=calcom_fakes.bookings_list())
    wire.post(
        f"{CALCOM}/bookings",
        status=201,
        json=calcom_fakes.booking_output(start=start, end=start + timedelta(minutes=30)),
    )
    client.force_login(alice)

    response = client.post(
        reverse("admin:attention_book", args=[_subject(failed)]),
        {"alternative": timeline.at(day, "14:00").isoformat()},
        follow=True,
    )

    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert booked.start == start and booked.customer.phone == "+4915112345678"
    follow_up = FollowUp.objects.get(company=company_a, subject=_subject(failed))
    assert follow_up.done_by == alice and "14:00" in follow_up.note
    page = response.content.decode()
    assert "Jana Berger is booked for" in page and "Nothing needs attention." in page


def test_booking_another_time_uses_the_time_typed(client, wire, alice, company_a, failed_booking):
    failed = failed_booking(company_a)
    day = timeline.booking_day() + timedelta(days=1)
    start = timeline.utc(day, "09:15")
    wire.get(f"{CALCOM}/bookings", json=calcom_fakes.bookings_list())
    wire.post(
        f"{CALCOM}/bookings",
        status=201,
        json=calcom_fakes.booking_output(start=start, end=start + timedelta(minutes=30)),
    )
    client.force_login(alice)
    client.post(
        reverse("admin:attention_book", args=[_subject(failed)]),
        {"date": day.isoformat(), "time": "09:15"},
    )
    sent = json.loads(next(c for c in wire.calls if c.request.method == "POST").request.body)
    assert sent["start"] == timeline.z(start)
    assert FollowUp.objects.filter(subject=_subject(failed)).exists()


def test_a_refused_booking_keeps_the_item_and_says_why(client, wire, alice, company_a, failed_booking):
    failed = failed_booking(company_a)
    wire.get(f"{CALCOM}/bookings", json=calcom_fakes.bookings_list())
    wire.post(f"{CALCOM}/bookings", json=calcom_fakes.fixture("error_slot_taken"), status=400)
    wire.get(f"{CALCOM}/slots", json=calcom_fakes.slots_range({}))
    client.force_login(alice)
    response = client.post(
        reverse("admin:attention_book", args=[_subject(failed)]),
        {"alternative": timeline.at(timeline.booking_day(), "14:00").isoformat()},
        follow=True,
    )
    page = response.content.decode()
    assert "Not booked: The time was already taken in the calendar." in page
    assert page.count('class="attention-item"') == 1
    assert not FollowUp.objects.exists()


def test_marking_as_called_back_records_who_and_the_note(client, alice, company_a, failed_booking):
    failed = failed_booking(company_a)
    client.force_login(alice)
    client.post(
        reverse("admin:attention_follow_up", args=[_subject(failed)]), {"note": "Rückruf: kommt Montag"}
    )
    follow_up = FollowUp.objects.get(subject=_subject(failed))
    assert (follow_up.note, follow_up.done_by, follow_up.company) == (
        "Rückruf: kommt Montag",
        alice,
        company_a,
    )
    assert "Nothing needs attention." in client.get(ATTENTION).content.decode()


def test_a_call_that_booked_after_all_needs_nothing(client, alice, company_a, failed_booking):
    failed = failed_booking(company_a)
    BookingRequest.objects.filter(pk=failed.pk).update(status="failed")
    BookingRequest.objects.create(
        company=company_a,
        idempotency_key="later-success",
        status="succeeded",
        source=failed.source,
        call_id=failed.call_id,
        payload=failed.payload,
    )
    client.force_login(alice)
    assert "Nothing needs attention." in client.get(ATTENTION).content.decode()


def test_a_viewer_sees_the_list_but_no_action_and_cannot_post_one(client, company_a, failed_booking):
    failed = failed_booking(company_a)
    viewer = UserFactory(username="vera")
    staff_member_add(company=company_a, user=viewer, role=StaffRole.VIEWER)
    client.force_login(viewer)
    page = client.get(ATTENTION).content.decode()
    assert "Jana Berger" in page and "Mark as called back" not in page and 'name="alternative"' not in page
    for name in ("attention_follow_up", "attention_book"):
        assert (
            client.post(reverse(f"admin:{name}", args=[_subject(failed)]), {"note": "x"}).status_code == 403
        )
    assert not FollowUp.objects.exists()


def test_another_companys_items_are_neither_shown_nor_reachable(
    client, bob, company_a, company_b, failed_booking
):
    failed = failed_booking(company_a)
    client.force_login(bob)
    page = client.get(ATTENTION).content.decode()
    assert "Jana Berger" not in page and "Nothing needs attention." in page
    assert "Jana Berger" not in client.get("/admin/").content.decode()
    url = reverse("admin:attention_follow_up", args=[_subject(failed)])
    assert client.post(url, {"note": "hijacked"}).status_code == 404
    assert not FollowUp.objects.exists()


def test_a_superuser_sees_every_companys_items_named_by_company(
    client, charlie, company_a, company_b, failed_booking
):
    failed_booking(company_a, call_id="call_a")
    failed_booking(company_b, call_id="call_b", name="Bernd Beta")
    client.force_login(charlie)
    page = client.get(ATTENTION).content.decode()
    assert page.count('class="attention-item"') == 2
    assert "Alpha Praxis" in page and "Beta Salon" in page


def test_garbage_in_the_forms_is_a_clear_answer_not_a_500(client, alice, company_a, failed_booking):
    failed = failed_booking(company_a)
    client.force_login(alice)
    book = reverse("admin:attention_book", args=[_subject(failed)])
    for data in ({}, {"date": "morgen", "time": "25:99"}, {"alternative": "\x00" * 50}):
        response = client.post(book, data, follow=True)
        assert response.status_code == 200
    assert client.post(reverse("admin:attention_follow_up", args=["bookingrequest:x"])).status_code == 404
    assert client.get(reverse("admin:attention_follow_up", args=[_subject(failed)])).status_code == 405


def test_a_booking_cal_com_cannot_take_now_is_noted_not_refused(
    client, wire, alice, company_a, failed_booking
):
    """Cal.com away: the wish is kept and a worker books it later. Staff are told so, and the item
    is settled, so nobody books the caller a second time."""
    failed = failed_booking(company_a)
    down = {"statusCode": 503, "message": "down"}
    wire.post(f"{CALCOM}/bookings", json=down, status=503)
    wire.get(f"{CALCOM}/bookings", json=down, status=503)
    client.force_login(alice)
    response = client.post(
        reverse("admin:attention_book", args=[_subject(failed)]),
        {"alternative": timeline.at(timeline.booking_day(), "14:00").isoformat()},
        follow=True,
    )
    page = response.content.decode()
    assert "Not booked" not in page and "it is made once Cal.com answers" in page
    assert FollowUp.objects.filter(subject=_subject(failed)).exists()
    assert BookingRequest.objects.filter(status="retrying").count() == 1
