"""A caller with a row in every table privacy.person knows, for the export and erasure tests.

Where the service makes the rows itself, it does here: Jana calls company A, Retell's three
webhooks are delivered signed and processed, and the post-call booking is made in a faked
Cal.com (her future appointment, bk_3fY7qLm2). The rest is what staff, Cal.com and the outbox
leave: an earlier, cancelled appointment and its change, a failed wish from the admin, Cal.com's
notice, a text, a follow-up, admin history, an outbound call, and a Retell event of a call that
was never recorded. Around her: a neighbour whose number and email contain hers, and (when
asked) a customer of company B with her very number.
"""

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import responses
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentChangeKind,
    AppointmentSource,
    AppointmentStatus,
    BookingRequest,
    CalendarNotice,
    Customer,
    WorkStatus,
)
from companies.models import Company, StaffRole
from companies.services import staff_member_add
from console.models import FollowUp
from core import clock
from notifications.models import Notification, NotificationKind
from telephony.models import Call, CallDirection, CallStatus, WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process
from tests import calcom_fakes, retell_fakes, timeline
from tests.factories import BranchFactory, CallFactory, CompanyFactory, PhoneNumberFactory, UserFactory

PHONE = retell_fakes.CALLER_NUMBER  # +4915112345678, the number Retell's fixtures call from
NATIONAL = "015112345678"
NAME = "Jana Caller"
EMAIL = "jana@example.com"
PHRASE = "ich möchte einen Termin am Dienstag"  # what she says in the fixtures' transcript
IDENTIFIERS = (PHONE, NATIONAL, NAME, EMAIL, PHRASE)

NEIGHBOUR_PHONE = PHONE + "9"  # +49151123456789: hers is in it, and it is not hers
NEIGHBOUR_EMAIL = "ana@example.com"  # in jana@example.com
EVENT_TYPE_ID = 50
BOOKING_UID = "bk_3fY7qLm2"  # Cal.com's uid of the booking her call made
CLINIC_NUMBER = retell_fakes.CLINIC_NUMBER


def clinic() -> Company:
    """Company A as Retell knows it (its key signs the webhooks), booking in event type 50."""
    company = CompanyFactory(
        name="Alpha Praxis",
        slug="alpha",
        retell_api_key=retell_fakes.API_KEY,
        calcom_api_key="cal_live_alpha",
        language="de",
    )
    branch = BranchFactory(company=company, name="Alpha Mitte", calcom_event_type_id=EVENT_TYPE_ID)
    PhoneNumberFactory(company=company, branch=branch, number=CLINIC_NUMBER)
    return company


def salon() -> Company:
    company = CompanyFactory(name="Beta Salon", slug="beta", retell_api_key=retell_fakes.OTHER_API_KEY)
    branch = BranchFactory(company=company, name="Beta Nord", calcom_event_type_id=77)
    PhoneNumberFactory(company=company, branch=branch, number="+493022222222")
    return company


def owner_of(company: Company, username: str):
    user = UserFactory(username=username)
    staff_member_add(company=company, user=user, role=StaffRole.OWNER)
    return user


def booking_start():
    """What the fixtures' caller books: the booking day, 11:00 in Berlin."""
    return timeline.utc(timeline.booking_day(), "11:00")


@dataclass
class Jana:
    company: Company
    customer: Customer
    call: Call
    future: Appointment  # booked in her call, at Cal.com as BOOKING_UID
    past: Appointment
    failed_wish: BookingRequest


def jana(client, company: Company) -> Jana:
    """Her call, processed end to end, and everything else she left at `company`."""
    call = _call_with_booking(client, company)
    customer = Customer.objects.get(company=company, phone=PHONE)
    future = Appointment.objects.get(company=company, calcom_booking_uid=BOOKING_UID)
    staff = owner_of(company, f"owner-of-{company.slug}")
    past = _past_appointment(company, customer)
    wish = _failed_admin_wish(company)
    _notice_and_text(company, future)
    FollowUp.objects.create(
        company=company, subject=f"bookingrequest:{wish.pk}", note=f"Called {NAME} back", done_by=staff
    )
    _admin_history(staff, customer)
    _outbound_call(company)
    _lost_event(company)
    return Jana(company, customer, call, future, past, wish)


def _call_with_booking(client, company: Company) -> Call:
    def created(request):
        sent = json.loads(request.body)
        start = booking_start()
        made = calcom_fakes.booking_output(
            start=start, end=start + timedelta(minutes=30), uid=BOOKING_UID, metadata=sent["metadata"]
        )
        return 201, {}, json.dumps(made)

    with responses.RequestsMock(assert_all_requests_are_fired=True) as calcom:
        calcom.add_callback("POST", f"{calcom_fakes.BASE}/bookings", callback=created)
        for event in retell_fakes.WEBHOOK_EVENTS:
            body = retell_fakes.as_body(retell_fakes.webhook_payload(event))
            url = f"/api/retell/webhook/{company.webhook_key}"
            answer = client.post(url, body, **retell_fakes.signed_headers(body, retell_fakes.API_KEY))
            assert answer.status_code == 204, answer.content
        waiting = WebhookEvent.objects.filter(company=company, status=WebhookEventStatus.RECEIVED)
        for pk in waiting.order_by("pk").values_list("pk", flat=True):
            webhook_event_process(event_id=pk)
    return Call.objects.get(company=company, retell_call_id=retell_fakes.CALL_ID)


def _past_appointment(company: Company, customer: Customer) -> Appointment:
    start = clock.now() - timedelta(days=30)
    past = Appointment.objects.create(
        company=company,
        branch=company.branches.get(),
        customer=customer,
        attendee_name=NAME,
        attendee_email=EMAIL,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.CANCELLED,
        source=AppointmentSource.ADMIN,
        calcom_booking_uid="bk_past_1",
        metadata={"description": f"{NAME} brings her X-rays"},
    )
    AppointmentChange.objects.create(
        company=company,
        appointment=past,
        kind=AppointmentChangeKind.CANCEL,
        idempotency_key="cancel-past-1",
        source=AppointmentSource.ADMIN,
        payload={"reason": f"{NAME} is ill"},
        status=WorkStatus.SUCCEEDED,
        result={"success": True, "appointment_id": past.pk},
    )
    return past


def _failed_admin_wish(company: Company) -> BookingRequest:
    """A wish staff typed in (no call), refused by Cal.com: found by the number it names."""
    start = booking_start() + timedelta(days=7)
    wished = Appointment.objects.create(
        company=company,
        branch=company.branches.get(),
        start=start,
        status=AppointmentStatus.FAILED,
        source=AppointmentSource.ADMIN,
        failure_reason="taken",
    )
    return BookingRequest.objects.create(
        company=company,
        idempotency_key="admin-wish-1",
        source=AppointmentSource.ADMIN,
        payload={"name": NAME, "phone": PHONE, "email": EMAIL, "start": start.isoformat()},
        appointment=wished,
        status=WorkStatus.FAILED,
        last_error=f"Cal.com refused {EMAIL}",
    )


def _notice_and_text(company: Company, future: Appointment) -> None:
    notice = calcom_fakes.fixture("notice_booking_created")
    payload = notice["payload"]
    payload["uid"] = BOOKING_UID
    payload["attendees"][0].update({"name": NAME, "email": EMAIL, "phoneNumber": PHONE})
    payload["responses"]["name"]["value"] = NAME
    CalendarNotice.objects.create(
        company=company,
        trigger=notice["triggerEvent"],
        booking_uid=BOOKING_UID,
        delivery_key="delivery-1",
        body=json.dumps(notice, ensure_ascii=False),
        status=WorkStatus.SUCCEEDED,
    )
    Notification.objects.create(
        company=company,
        booking_request=future.booking_request,
        appointment=future,
        idempotency_key=f"booking_request:{future.booking_request.pk}:booking_confirmed",
        kind=NotificationKind.BOOKING_CONFIRMED,
        recipient=PHONE,
        language="de",
        text=f"Hallo {NAME}, Ihr Termin ist gebucht.",
        status=WorkStatus.SUCCEEDED,
        provider_id="SM0123456789abcdef",
    )


def _admin_history(staff, customer: Customer) -> None:
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Email"]}}]),
    )


def _outbound_call(company: Company) -> Call:
    return CallFactory(
        company=company,
        branch=company.branches.get(),
        retell_call_id="call_outbound_jana",
        direction=CallDirection.OUTBOUND,
        status=CallStatus.ANALYZED,
        from_number=CLINIC_NUMBER,
        to_number=PHONE,
        started_at=clock.now() - timedelta(days=2),
        transcript=f"Agent: Guten Tag {NAME}, wir rufen wegen Ihres Termins an.",
    )


def _lost_event(company: Company) -> WebhookEvent:
    """A Retell report that failed before its call was recorded: only its body names her."""
    return WebhookEvent.objects.create(
        company=company,
        event="call_ended",
        call_id="call_lost_jana",
        body=_event_body("call_lost_jana", NATIONAL, f"User: {PHRASE}"),  # her number as typed
        status=WebhookEventStatus.FAILED,
        last_error="could not be processed",
    )


def _event_body(call_id: str, caller: str, transcript: str) -> str:
    """A call_ended body with just these (the fixture's call names Jana throughout)."""
    call = {"call_id": call_id, "direction": "inbound", "from_number": caller, "to_number": CLINIC_NUMBER}
    return json.dumps({"event": "call_ended", "call": {**call, "transcript": transcript}}, ensure_ascii=False)


def neighbour(company: Company) -> Customer:
    """Someone else at the same company whose number and email contain hers."""
    other = Customer.objects.create(
        company=company, phone=NEIGHBOUR_PHONE, name="Ana Other", email=NEIGHBOUR_EMAIL
    )
    WebhookEvent.objects.create(
        company=company,
        event="call_ended",
        call_id="call_neighbour",
        body=_event_body("call_neighbour", NEIGHBOUR_PHONE, f"User: {NEIGHBOUR_EMAIL}"),
        status=WebhookEventStatus.PROCESSED,
    )
    CallFactory(
        company=company,
        branch=company.branches.get(),
        retell_call_id="call_neighbour",
        from_number=NEIGHBOUR_PHONE,
    )
    return other


def twin_at(company: Company) -> Customer:
    """A customer of another company with her very number, name and email, and a call."""
    twin = Customer.objects.create(company=company, phone=PHONE, name=NAME, email=EMAIL)
    call = CallFactory(
        company=company,
        branch=company.branches.get(),
        retell_call_id="call_twin",
        from_number=PHONE,
        customer=twin,
        transcript=f"User: {PHRASE}",
    )
    WebhookEvent.objects.create(
        company=company,
        event="call_ended",
        call_id=call.retell_call_id,
        body=_event_body(call.retell_call_id, PHONE, f"User: {PHRASE}"),
        status=WebhookEventStatus.PROCESSED,
    )
    Appointment.objects.create(
        company=company,
        branch=company.branches.get(),
        customer=twin,
        attendee_name=NAME,
        attendee_email=EMAIL,
        start=booking_start(),
        status=AppointmentStatus.BOOKED,
        source=AppointmentSource.ADMIN,
        calcom_booking_uid="bk_twin",
    )
    return twin


# --- finding her anywhere ---------------------------------------------------------------------------

_SEEN_AS = [
    re.compile(rf"(?<![0-9]){re.escape(PHONE)}(?![0-9])"),
    re.compile(rf"(?<![0-9]){NATIONAL}(?![0-9])"),
    re.compile(re.escape(NAME), re.IGNORECASE),
    re.compile(rf"(?<![a-z0-9.]){re.escape(EMAIL)}", re.IGNORECASE),
    re.compile(re.escape(PHRASE), re.IGNORECASE),
]


def names_her(text: str) -> bool:
    """Whether `text` holds one of her identifiers as itself (+49151123456789 is not her number)."""
    return any(pattern.search(text) for pattern in _SEEN_AS)


def rows_naming_her() -> dict[tuple[str, int], object]:
    """Every row of every table in the project with one of her identifiers in any field, read as
    the application reads it (encrypted text decrypted): {(model label, pk): row}."""
    found = {}
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for row in model._default_manager.all():
            values = [field.value_from_object(row) for field in model._meta.concrete_fields]
            if names_her(json.dumps(values, ensure_ascii=False, default=str)):
                found[(model._meta.label, row.pk)] = row
    return found


def company_of(row) -> int | None:
    """The company a row belongs to; for admin history, that of the row it is about."""
    if isinstance(row, LogEntry):
        about = row.get_edited_object() if row.content_type_id else None
        return getattr(about, "company_id", None)
    return getattr(row, "company_id", None)
