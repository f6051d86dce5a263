"""Who may run which admin action, and on whose rows: the permission matrix as a test.

Four kinds of user meet every admin action, their membership's role alone deciding what they
may do (companies/roles.py; no group):
- viewer: vera, a viewer of company A;
- staff: alice, staff of company A;
- owner: olga, an owner of company A (the set-up: keys, webhook key, numbers);
- superuser: charlie.

For each pair the tests prove (a) whether the changelist's action dropdown offers the action
and (b) whether POSTing it for a company A row takes effect. A refused action leaves the row as
it was and never reaches Cal.com or Retell: both are faked at the wire with `responses`, nothing
is registered for a refused action, and any request would be recorded in `wire.calls`.
Last, alice choosing company B's rows by id (a forged selection) changes nothing of company B.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
import responses
from django.contrib import admin
from django.urls import reverse
from responses import matchers

from booking.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    BookingRequest,
    BookingRequestStatus,
    CalendarNotice,
)
from booking.services import BookingError, booking_create
from companies.models import Company, PhoneNumber, StaffRole
from companies.services import staff_member_add
from telephony.models import Call, WebhookEvent, WebhookEventStatus
from tests import calcom_fakes, retell_fakes, timeline
from tests.factories import AppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CALCOM = calcom_fakes.BASE
RETELL = retell_fakes.BASE
EVENT_TYPE_ID = 50  # the one event type in tests/fixtures/calcom/event_types.json
NEW_NUMBER = "+493011111112"  # listed by Retell (phone_numbers_page_1.json), not stored yet


# -- the actions: how to give each a row, what the vendors answer, and how to see it worked ------


@dataclass(frozen=True, repr=False)
class Action:
    admin: str  # "<app>_<model>" of the changelist offering it
    name: str  # the action's name in the dropdown
    arrange: Callable  # (company, wire) -> the row to select, owned by `company`
    expect: Callable  # (wire, row) -> register what Cal.com / Retell answer when it runs
    took_effect: Callable  # (row, html of the page after the POST) -> bool

    def __repr__(self) -> str:
        return f"<action {self.name} of {self.admin}>"

    @property
    def changelist(self) -> str:
        return reverse(f"admin:{self.admin}_changelist")


def _no_vendor(wire, row) -> None:
    """The action does its work in our database only."""


def _the_company(company, wire):
    return company


def _webhook_key_changed(company, html) -> bool:
    return Company.objects.get(pk=company.pk).webhook_key != company.webhook_key


def _retell_lists_numbers(wire, company) -> None:
    list_numbers = f"{RETELL}/v2/list-phone-numbers"
    wire.get(
        list_numbers,
        match=[matchers.query_param_matcher({"limit": "1000"})],
        json=retell_fakes.fixture("phone_numbers_page_1"),
    )
    wire.get(
        list_numbers,
        match=[matchers.query_param_matcher({"limit": "1000", "pagination_key": NEW_NUMBER})],
        json=retell_fakes.fixture("phone_numbers_page_2"),
    )


def _number_imported(company, html) -> bool:
    return PhoneNumber.objects.filter(number=NEW_NUMBER, company=company).exists()


def _company_routing_to_agent(company, wire):
    number = company.phone_numbers.get()
    number.inbound_agent_ids = [retell_fakes.AGENT_ID]
    number.save()
    return company


def _retell_shows_agent(wire, company) -> None:
    wire.get(f"{RETELL}/get-agent/{retell_fakes.AGENT_ID}", json=retell_fakes.fixture("agent"))


def _agent_checked(company, html) -> bool:
    agent_name = retell_fakes.fixture("agent")["agent_name"]
    return f"{company.name}: {agent_name} ({retell_fakes.AGENT_ID}): WRONG: webhook_url is" in html


def _branch_with_event_type(company, wire):
    branch = company.branches.get()
    branch.calcom_event_type_id = EVENT_TYPE_ID
    branch.save()
    return branch


def _calcom_lists_event_types(wire, branch) -> None:
    wire.get(f"{CALCOM}/event-types", json=calcom_fakes.fixture("event_types"))


def _event_type_checked(branch, html) -> bool:
    return f"{branch.name}: Beratung (30 Min) (30 min)" in html


def _slot():
    return timeline.at(timeline.booking_day(), "10:00")


def _failed_booking_request(company, wire) -> BookingRequest:
    """A booking Cal.com refused (slot taken): a FAILED request and its FAILED appointment."""
    branch = company.branches.get()
    wire.post(f"{CALCOM}/bookings", json=calcom_fakes.fixture("error_slot_taken"), status=400)
    wire.get(f"{CALCOM}/slots", json=calcom_fakes.slots_range({}))  # the alternatives looked for: none
    with pytest.raises(BookingError):
        booking_create(company=company, branch=branch, start=_slot(), name="Jana", email="jana@example.com")
    request = BookingRequest.objects.get(company=company)
    assert request.status == BookingRequestStatus.FAILED
    assert request.appointment.status == AppointmentStatus.FAILED
    return request


def _failed_appointment(company, wire) -> Appointment:
    return _failed_booking_request(company, wire).appointment


def _calcom_books(wire, row) -> None:
    wire.get(f"{CALCOM}/bookings", json=calcom_fakes.bookings_list())  # no booking of ours yet
    wire.post(
        f"{CALCOM}/bookings",
        status=201,
        json=calcom_fakes.booking_output(start=_slot(), end=_slot() + timedelta(minutes=30)),
    )


def _appointment_booked(appointment, html) -> bool:
    return Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED


def _request_succeeded(request, html) -> bool:
    return BookingRequest.objects.get(pk=request.pk).status == BookingRequestStatus.SUCCEEDED


def _booked_appointment(company, wire, uid: str = "bk") -> Appointment:
    return AppointmentFactory(
        company=company,
        branch=company.branches.get(),
        status=AppointmentStatus.BOOKED,
        calcom_booking_uid=f"{uid}_{company.slug}",
    )


def _calcom_cancels(wire, appointment) -> None:
    wire.post(
        f"{CALCOM}/bookings/{appointment.calcom_booking_uid}/cancel",
        json=calcom_fakes.fixture("booking_cancelled"),
    )


def _appointment_cancelled(appointment, html) -> bool:
    return Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


def _failed_webhook_event(company, wire) -> WebhookEvent:
    """A call_started delivery to the company's number whose first processing failed."""
    payload = retell_fakes.webhook_payload("call_started", to_number=company.phone_numbers.get().number)
    return WebhookEvent.objects.create(
        company=company,
        event="call_started",
        call_id=payload["call"]["call_id"],
        body=retell_fakes.as_body(payload).decode(),
        status=WebhookEventStatus.FAILED,
        attempts=1,
        last_error="OperationalError: the database went away",
    )


def _calcom_takes_the_subscription(wire, company) -> None:
    wire.get(f"{CALCOM}/webhooks", json={"status": "success", "data": []})
    wire.post(f"{CALCOM}/webhooks", json=calcom_fakes.fixture("webhook"), status=201)


def _webhooks_connected(company, html) -> bool:
    return bool(Company.objects.get(pk=company.pk).calcom_webhook_secret)


def _failed_cancellation(company, wire) -> AppointmentChange:
    """A cancellation Cal.com could not take (it was down): FAILED after its last attempt."""
    appointment = _booked_appointment(company, wire, uid="bk_change")
    return AppointmentChange.objects.create(
        company=company,
        appointment=appointment,
        kind="cancel",
        idempotency_key=f"cancel-{company.slug}",
        source="admin",
        payload={"reason": "Cancelled by staff"},
        status="failed",
        attempts=6,
        last_error="Gave up after 6 attempts: The calendar service did not answer in time.",
    )


def _calcom_cancels_the_change(wire, change) -> None:
    _calcom_cancels(wire, change.appointment)


def _change_done(change, html) -> bool:
    return AppointmentChange.objects.get(pk=change.pk).status == "succeeded" and _appointment_cancelled(
        change.appointment, html
    )


def _failed_cancel_notice(company, wire) -> CalendarNotice:
    """Cal.com's BOOKING_CANCELLED for the company's booking, whose first processing failed."""
    appointment = _booked_appointment(company, wire, uid="bk_notice")
    body = calcom_fakes.fixture("notice_booking_cancelled")
    body["payload"].update(uid=appointment.calcom_booking_uid, eventTypeId=appointment.event_type_id)
    return CalendarNotice.objects.create(
        company=company,
        trigger="BOOKING_CANCELLED",
        booking_uid=appointment.calcom_booking_uid,
        delivery_key=f"notice-{company.slug}",
        body=json.dumps(body),
        status="failed",
        attempts=1,
        last_error="OperationalError: the database went away",
    )


def _notice_replayed(notice, html) -> bool:
    stored = CalendarNotice.objects.get(pk=notice.pk)
    appointment = Appointment.objects.get(company=notice.company, calcom_booking_uid=notice.booking_uid)
    return stored.status == "succeeded" and appointment.status == AppointmentStatus.CANCELLED


def _event_replayed(event, html) -> bool:
    stored = WebhookEvent.objects.get(pk=event.pk)
    replayed = stored.status == WebhookEventStatus.PROCESSED and stored.attempts == 2
    return replayed and Call.objects.filter(company=event.company, retell_call_id=event.call_id).exists()


ACTIONS = {
    action.admin.split("_", 1)[1] + "." + action.name: action
    for action in [
        Action("companies_company", "rotate_webhook_key", _the_company, _no_vendor, _webhook_key_changed),
        Action(
            "companies_company",
            "connect_calcom_webhooks",
            _the_company,
            _calcom_takes_the_subscription,
            _webhooks_connected,
        ),
        Action(
            "companies_company",
            "sync_phone_numbers",
            _the_company,
            _retell_lists_numbers,
            _number_imported,
        ),
        Action(
            "companies_company",
            "validate_webhook_configuration",
            _company_routing_to_agent,
            _retell_shows_agent,
            _agent_checked,
        ),
        Action(
            "companies_branch",
            "check_event_type",
            _branch_with_event_type,
            _calcom_lists_event_types,
            _event_type_checked,
        ),
        Action(
            "booking_appointment",
            "retry_failed_booking",
            _failed_appointment,
            _calcom_books,
            _appointment_booked,
        ),
        Action(
            "booking_appointment",
            "cancel_in_calcom",
            _booked_appointment,
            _calcom_cancels,
            _appointment_cancelled,
        ),
        Action("booking_bookingrequest", "retry", _failed_booking_request, _calcom_books, _request_succeeded),
        Action(
            "booking_appointmentchange",
            "retry",
            _failed_cancellation,
            _calcom_cancels_the_change,
            _change_done,
        ),
        Action("booking_calendarnotice", "replay", _failed_cancel_notice, _no_vendor, _notice_replayed),
        Action("telephony_webhookevent", "replay", _failed_webhook_event, _no_vendor, _event_replayed),
    ]
}

# -- the matrix: may this kind of user run this action on their company's rows? -----------------

YES, NO = True, False
KINDS = ("viewer", "staff", "owner", "superuser")
# fmt: off
MATRIX = {
    #                                          viewer  staff  owner  superuser
    "company.rotate_webhook_key":              (NO,    NO,    YES,   YES),
    "company.sync_phone_numbers":              (NO,    NO,    YES,   YES),
    "company.validate_webhook_configuration":  (NO,    NO,    YES,   YES),
    "company.connect_calcom_webhooks":         (NO,    NO,    YES,   YES),
    "branch.check_event_type":                 (YES,   YES,   YES,   YES),  # only reads Cal.com
    "appointment.retry_failed_booking":        (NO,    YES,   YES,   YES),
    "appointment.cancel_in_calcom":            (NO,    YES,   YES,   YES),
    "bookingrequest.retry":                    (NO,    YES,   YES,   YES),
    "appointmentchange.retry":                 (NO,    YES,   YES,   YES),
    "calendarnotice.replay":                   (NO,    YES,   YES,   YES),
    "webhookevent.replay":                     (NO,    YES,   YES,   YES),
}
# fmt: on
CELLS = [
    pytest.param(kind, action, allowed, id=f"{kind}-{action}")
    for action, row in MATRIX.items()
    for kind, allowed in zip(KINDS, row, strict=True)
]


def test_the_matrix_covers_every_admin_action():
    """A new action in the tenant admins must get its row here."""
    declared = {
        f"{model._meta.model_name}.{name}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"companies", "booking", "telephony"}
        for name in (getattr(action, "__name__", action) for action in model_admin.actions or [])
    }
    assert declared == set(MATRIX) == set(ACTIONS)


# -- users and wire ------------------------------------------------------------------------------


@pytest.fixture
def viewer(company_a):
    """A member of company A who may look at everything of it and change nothing."""
    user = UserFactory(username="vera")
    staff_member_add(company=company_a, user=user, role=StaffRole.VIEWER)
    return user


@pytest.fixture
def owner(company_a):
    user = UserFactory(username="olga")
    staff_member_add(company=company_a, user=user, role=StaffRole.OWNER)
    return user


def _user(request, kind):
    fixture = {"viewer": "viewer", "staff": "alice", "owner": "owner", "superuser": "charlie"}[kind]
    return request.getfixturevalue(fixture)


@pytest.fixture
def wire():
    """Cal.com and Retell at the wire: only what a test registers answers, all of it must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _vendors(settings, monkeypatch):
    settings.RETELL_BASE_URL = RETELL
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


def _offered(client, action: Action) -> set[str]:
    """The actions in the changelist's dropdown, as the context and the page both show them."""
    response = client.get(action.changelist)
    assert response.status_code == 200
    form = response.context["action_form"]
    names = set() if form is None else {name for name, _label in form.fields["action"].choices if name}
    html = response.content.decode()
    assert {n for n in _declared(action.admin) if f'<option value="{n}"' in html} == names & _declared(
        action.admin
    )
    return names


def _declared(admin: str) -> set[str]:
    return {a.name for a in ACTIONS.values() if a.admin == admin}


def _run(client, action: Action, *rows):
    """What the changelist's "Go" button posts for the ticked rows."""
    return client.post(
        action.changelist,
        {"action": action.name, "index": "0", "_selected_action": [row.pk for row in rows]},
        follow=True,
    )


# -- (a) offered, (b) takes effect ---------------------------------------------------------------


@pytest.mark.parametrize(("kind", "action", "allowed"), CELLS)
def test_the_dropdown_offers_an_action_only_to_who_may_run_it(
    request, client, wire, company_a, kind, action, allowed
):
    spec = ACTIONS[action]
    spec.arrange(company_a, wire)  # admin shows no dropdown above an empty list
    client.force_login(_user(request, kind))
    assert (spec.name in _offered(client, spec)) is allowed


@pytest.mark.parametrize(("kind", "action", "allowed"), CELLS)
def test_posting_an_action_takes_effect_only_for_who_may_run_it(
    request, client, wire, company_a, company_b, kind, action, allowed
):
    spec = ACTIONS[action]
    row = spec.arrange(company_a, wire)
    wire.calls.reset()  # what arranging the row asked Cal.com is not the action's doing
    if allowed:
        spec.expect(wire, row)
    client.force_login(_user(request, kind))

    response = _run(client, spec, row)

    assert response.status_code == 200
    assert spec.took_effect(row, response.content.decode()) is allowed
    if not allowed:
        assert len(wire.calls) == 0, "a refused action reached Cal.com or Retell"


def test_a_viewer_is_offered_no_action_that_changes_anything(client, wire, viewer, company_a):
    """Not the declared ones, nor Django's "delete selected": reading Cal.com is all they may do."""
    one_per_changelist = {action.admin: action for action in ACTIONS.values()}.values()
    for action in one_per_changelist:
        action.arrange(company_a, wire)
    client.force_login(viewer)
    offered = set()
    for action in one_per_changelist:
        offered |= _offered(client, action)
    assert offered == {"check_event_type"}


# -- isolation: a forged selection of company B's rows --------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_selecting_another_companys_rows_changes_nothing_of_it(
    client, wire, owner, company_a, company_b, action
):
    spec = ACTIONS[action]
    theirs = spec.arrange(company_b, wire)
    wire.calls.reset()
    client.force_login(owner)  # an owner may run every action on their own rows

    response = _run(client, spec, theirs)

    assert response.status_code == 200
    assert not spec.took_effect(theirs, response.content.decode())
    assert len(wire.calls) == 0, "company B's Cal.com or Retell was asked"


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_slipping_another_companys_row_into_their_selection_acts_on_their_own_only(
    client, wire, owner, company_a, company_b, action
):
    spec = ACTIONS[action]
    theirs = spec.arrange(company_b, wire)
    mine = spec.arrange(company_a, wire)
    wire.calls.reset()
    spec.expect(wire, mine)
    client.force_login(owner)

    html = _run(client, spec, mine, theirs).content.decode()

    assert spec.took_effect(mine, html)
    assert not spec.took_effect(theirs, html)
    their_keys = {company_b.calcom_api_key.reveal(), company_b.retell_api_key.reveal()}
    used_keys = {call.request.headers.get("Authorization", "").removeprefix("Bearer ") for call in wire.calls}
    assert not used_keys & their_keys, "Cal.com or Retell was asked with company B's key"
    assert all(isinstance(call.response, requests.Response) for call in wire.calls), "an unexpected request"
