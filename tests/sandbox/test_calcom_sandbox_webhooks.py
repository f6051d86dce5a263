"""The sandbox sends Cal.com's booking webhooks to the subscriptions made with /v2/webhooks.

Each test subscribes a `WebhookReceiver` (a loopback HTTP server) and changes bookings over HTTP;
`sandbox.webhooks.wait_idle()` returns once every delivery is done. Days count from the sandbox
clock's Monday, as in test_calcom_sandbox.py.
"""

import hashlib
import hmac
import json
import threading
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from sandbox.bookings import NOT_PENDING
from sandbox.schedule import OWNER_BERLIN, TEAM_HOSTS, TEAM_PRAXIS
from sandbox.server import start_sandbox
from sandbox.webhooks import DUPLICATE_RECORD, DUPLICATE_URL
from tests import timeline
from tests.sandbox.helpers import (
    API_KEY,
    BERLIN,
    BOOKINGS,
    EVENT_TYPES,
    MON,
    TUE,
    WED,
    WebhookReceiver,
    book,
    booked,
    error_message,
    headers,
    on_the_wire,
    post,
    stored,
    wall,
)

BOOKING_TRIGGERS = [
    "BOOKING_CREATED",
    "BOOKING_REQUESTED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "BOOKING_REJECTED",
    "BOOKING_NO_SHOW_UPDATED",
]


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


def webhooks_api(sandbox, method: str, path: str = "", *, key: str | None = API_KEY, **kwargs):
    """/v2/webhooks takes any cal-api-version; these calls send none at all."""
    return requests.request(
        method, f"{sandbox.base_url}/webhooks{path}", headers=headers(None, key), timeout=5, **kwargs
    )


def subscribe(sandbox, url: str, triggers=BOOKING_TRIGGERS, **fields) -> requests.Response:
    body = {"active": True, "subscriberUrl": url, "triggers": list(triggers), **fields}
    return webhooks_api(sandbox, "POST", json=body)


def events(sandbox, receiver: WebhookReceiver) -> list[dict]:
    assert sandbox.webhooks.wait_idle(5), "deliveries still pending"
    return receiver.events()


def the_event(sandbox, receiver: WebhookReceiver, trigger: str) -> dict:
    (found,) = [event for event in events(sandbox, receiver) if event["triggerEvent"] == trigger]
    return found


def offset_in_berlin(moment: datetime) -> int:
    return int(moment.astimezone(BERLIN).utcoffset().total_seconds() // 60)


# -- subscriptions ------------------------------------------------------------------------------


def test_a_subscription_answers_201_with_a_uuid_and_its_owner(sandbox):
    response = subscribe(sandbox, "https://askpro.example/calcom", ["BOOKING_CREATED"], secret="whsec-1")

    assert response.status_code == 201
    assert response.json()["status"] == "success"
    data = response.json()["data"]
    assert uuid.UUID(data["id"]).version == 4  # a string, whatever the OpenAPI says
    assert data == {
        "id": data["id"],
        "userId": OWNER_BERLIN.id,
        "subscriberUrl": "https://askpro.example/calcom",
        "active": True,
        "triggers": ["BOOKING_CREATED"],
        "payloadTemplate": None,
        "secret": "whsec-1",
    }


def test_a_second_subscription_to_the_same_url_is_409(sandbox):
    subscribe(sandbox, "https://askpro.example/calcom")

    response = subscribe(sandbox, "https://askpro.example/calcom", ["BOOKING_CANCELLED"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ConflictException"
    assert error_message(response) == DUPLICATE_URL
    assert len(webhooks_api(sandbox, "GET").json()["data"]) == 1


def test_subscriptions_are_listed_read_changed_and_deleted(sandbox):
    first = subscribe(sandbox, "https://a.example/hook").json()["data"]
    second = subscribe(sandbox, "https://b.example/hook").json()["data"]

    listed = webhooks_api(sandbox, "GET").json()["data"]
    second_page = webhooks_api(sandbox, "GET", params={"take": 1, "skip": 1}).json()["data"]
    read = webhooks_api(sandbox, "GET", f"/{first['id']}").json()["data"]
    patched = webhooks_api(
        sandbox, "PATCH", f"/{first['id']}", json={"secret": "rotated", "triggers": ["BOOKING_CANCELLED"]}
    )
    deleted = webhooks_api(sandbox, "DELETE", f"/{first['id']}")
    gone = webhooks_api(sandbox, "GET", f"/{first['id']}")

    assert [webhook["id"] for webhook in listed] == [first["id"], second["id"]]
    assert [webhook["id"] for webhook in second_page] == [second["id"]]
    assert read == first
    assert patched.status_code == 200
    assert patched.json()["data"] == {**first, "secret": "rotated", "triggers": ["BOOKING_CANCELLED"]}
    assert (deleted.status_code, deleted.json()["data"]) == (200, patched.json()["data"])
    assert gone.status_code == 404
    assert error_message(gone) == f"Webhook ({first['id']}) not found"


def test_moving_a_subscription_onto_another_ones_url_is_the_prisma_conflict(sandbox):
    subscribe(sandbox, "https://a.example/hook")
    second = subscribe(sandbox, "https://b.example/hook").json()["data"]

    response = webhooks_api(
        sandbox, "PATCH", f"/{second['id']}", json={"subscriberUrl": "https://a.example/hook"}
    )

    assert response.status_code == 409
    assert response.json()["error"] == {"code": "CONFLICT", "message": DUPLICATE_RECORD}


def test_a_subscription_body_is_validated_like_the_dto(sandbox):
    missing = webhooks_api(sandbox, "POST", json={})
    unknown_trigger = subscribe(sandbox, "https://a.example/hook", ["BOOKING_EXPLODED"])

    assert missing.status_code == 400
    assert missing.json()["error"]["details"]["message"] == [
        "active must be a boolean value",
        "subscriberUrl must be a string",
        "triggers must be an array",
    ]
    assert unknown_trigger.status_code == 400
    assert error_message(unknown_trigger).startswith("each value in triggers must be one of the following")


@pytest.mark.parametrize("version", [None, EVENT_TYPES, BOOKINGS])
def test_webhook_endpoints_take_any_version(sandbox, version):
    response = requests.get(f"{sandbox.base_url}/webhooks", headers=headers(version), timeout=5)

    assert response.status_code == 200


def test_webhook_endpoints_need_a_key(sandbox):
    response = webhooks_api(sandbox, "GET", key=None)

    assert response.status_code == 401


# -- delivery -----------------------------------------------------------------------------------


def test_a_delivery_is_signed_with_the_secret_over_the_raw_body(sandbox, receiver):
    subscribe(sandbox, receiver.url, secret="whsec-alpha")

    booked(sandbox, wall(TUE, "10:00"))

    assert sandbox.webhooks.wait_idle()
    ((sent, body),) = receiver.received
    expected = hmac.new(b"whsec-alpha", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent["X-Cal-Signature-256"], expected)
    assert sent["Content-Type"] == "application/json"
    assert json.loads(body)["triggerEvent"] == "BOOKING_CREATED"
    # What was signed is the compact body as sent; JSON dumped again would not verify.
    assert json.dumps(json.loads(body)).encode() != body


def test_without_a_secret_the_signature_says_so(sandbox, receiver):
    subscribe(sandbox, receiver.url)

    booked(sandbox, wall(TUE, "10:00"))

    assert sandbox.webhooks.wait_idle()
    ((sent, _),) = receiver.received
    assert sent["X-Cal-Signature-256"] == "no-secret-provided"


def test_only_active_subscriptions_to_the_trigger_hear_of_it(sandbox):
    with WebhookReceiver() as inactive, WebhookReceiver() as cancels_only, WebhookReceiver() as deleted:
        subscribe(sandbox, inactive.url, active=False)
        subscribe(sandbox, cancels_only.url, ["BOOKING_CANCELLED"])
        removed = subscribe(sandbox, deleted.url).json()["data"]
        webhooks_api(sandbox, "DELETE", f"/{removed['id']}")

        booking = booked(sandbox, wall(TUE, "10:00"))
        post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller"})

        assert sandbox.webhooks.wait_idle()
        assert inactive.received == deleted.received == []
        assert [event["triggerEvent"] for event in cancels_only.events()] == ["BOOKING_CANCELLED"]


def test_each_delivery_records_how_the_receiver_answered(sandbox):
    with WebhookReceiver(status=500) as failing, WebhookReceiver(status=302) as redirecting:
        subscribe(sandbox, failing.url)
        subscribe(sandbox, redirecting.url)

        uid = booked(sandbox, wall(TUE, "10:00"))["uid"]

        assert sandbox.webhooks.wait_idle()
        answers = {delivery.subscriber_url: delivery.status for delivery in sandbox.webhooks.deliveries()}
        # Sent once: no retry after the 500, and the redirect is an answer, not followed.
        assert answers == {failing.url: 500, redirecting.url: 302}
        assert len(failing.received) == len(redirecting.received) == 1
        assert {delivery.payload["uid"] for delivery in sandbox.webhooks.deliveries()} == {uid}


def test_a_receiver_that_is_down_does_not_break_the_booking(sandbox):
    with WebhookReceiver() as stopped:
        url = stopped.url  # nothing listens there any more once it has stopped
    subscribe(sandbox, url)

    response = book(sandbox, wall(TUE, "10:00"))

    assert response.status_code == 201
    assert sandbox.webhooks.wait_idle()
    (delivery,) = sandbox.webhooks.deliveries()
    assert (delivery.trigger, delivery.status) == ("BOOKING_CREATED", None)
    assert delivery.error


def test_the_api_answers_before_a_slow_receiver_does(sandbox):
    release = threading.Event()
    with WebhookReceiver(hold=release) as slow:
        subscribe(sandbox, slow.url)

        response = book(sandbox, wall(TUE, "10:00"), timeout=2)

        assert response.status_code == 201
        assert not sandbox.webhooks.wait_idle(0.2)
        release.set()
        assert sandbox.webhooks.wait_idle()
        assert sandbox.webhooks.deliveries()[0].status == 204


def test_a_receiver_that_never_answers_is_given_up_after_the_timeout(clock):
    with (
        start_sandbox(clock=clock, webhook_timeout=0.2) as impatient,
        WebhookReceiver(hold=threading.Event()) as hung,
    ):
        impatient.webhooks.subscribe(hung.url)

        booked(impatient, wall(TUE, "10:00"))

        assert impatient.webhooks.wait_idle(3)
        (delivery,) = impatient.webhooks.deliveries()
        assert delivery.status is None
        assert "timed out" in delivery.error


def test_each_delivery_is_logged(clock, receiver):
    lines = []
    with start_sandbox(clock=clock, log=lines.append) as logged:
        subscription = logged.webhooks.subscribe(receiver.url, secret="whsec-demo")

        booked(logged, wall(TUE, "10:00"))

        assert logged.webhooks.wait_idle()
    assert f"webhook BOOKING_CREATED -> {receiver.url}: 204 [{subscription['id']}]" in lines


# -- the events ---------------------------------------------------------------------------------


def test_booking_created_carries_the_booking_as_cal_com_describes_it(sandbox, clock, receiver):
    subscribe(sandbox, receiver.url)
    start = wall(TUE, "10:00")

    booking = booked(sandbox, start, bookingFieldsResponses={"notes": "Knie"})

    event = the_event(sandbox, receiver, "BOOKING_CREATED")
    payload = event["payload"]
    offset = offset_in_berlin(start)
    assert event["createdAt"] == stored(clock.now)
    assert payload["type"] == "beratung"
    assert payload["title"] == "Beratung between Dr. Anna Berger and Alice Caller"
    assert (payload["startTime"], payload["endTime"]) == (
        timeline.z(start),
        timeline.z(start + timedelta(minutes=30)),
    )
    assert payload["organizer"] == {
        "id": OWNER_BERLIN.id,
        "username": OWNER_BERLIN.username,
        "name": OWNER_BERLIN.name,
        "email": OWNER_BERLIN.email,
        "timeZone": "Europe/Berlin",
        "language": {"locale": "en"},
        "utcOffset": offset,
        "timeFormat": "HH:mm",
    }
    assert payload["attendees"] == [
        {
            "email": "alice@example.com",
            "name": "Alice Caller",
            "firstName": "",
            "lastName": "",
            "timeZone": "Europe/Berlin",
            "language": {"locale": "de"},
            "utcOffset": offset,
        }
    ]
    assert payload["responses"]["name"] == {"label": "Your name", "value": "Alice Caller", "isHidden": False}
    assert payload["responses"]["email"]["value"] == "alice@example.com"
    assert payload["responses"]["notes"]["value"] == "Knie"
    assert "value" not in payload["responses"]["attendeePhoneNumber"]  # Cal.com leaves it unset
    assert (payload["additionalNotes"], payload["description"]) == ("Knie", "Knie")
    assert payload["location"] == booking["location"]
    assert (payload["uid"], payload["bookingId"]) == (booking["uid"], booking["id"])
    assert (payload["eventTypeId"], payload["length"]) == (1001, 30)
    assert payload["status"] == "ACCEPTED"
    assert payload["metadata"] == {"callId": "call-1"}  # how a receiver finds its own booking
    assert "team" not in payload


def test_a_booking_made_directly_in_cal_com_fires_booking_created(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    body = {
        "start": on_the_wire(wall(TUE, "10:00")),
        "eventTypeId": 1001,
        "attendee": {"name": "Walk In", "email": "walk.in@example.com", "timeZone": "Europe/Berlin"},
    }

    response = requests.post(
        f"{sandbox.base_url}/bookings", json=body, headers=headers(BOOKINGS, key=None), timeout=5
    )

    assert response.status_code == 201
    payload = the_event(sandbox, receiver, "BOOKING_CREATED")["payload"]
    assert payload["uid"] == response.json()["data"]["uid"]
    assert payload["metadata"] == {}  # nothing of ours: a booking we did not make
    assert payload["attendees"][0]["email"] == "walk.in@example.com"


def test_a_phone_only_attendee_shows_the_sms_email_in_the_webhook(sandbox, receiver):
    subscribe(sandbox, receiver.url)

    booked(
        sandbox,
        wall(TUE, "10:00"),
        attendee={"name": "Bob", "timeZone": "Europe/Berlin", "phoneNumber": "+4915112345678"},
    )

    payload = the_event(sandbox, receiver, "BOOKING_CREATED")["payload"]
    assert payload["attendees"][0]["email"] == "4915112345678@sms.cal.com"
    assert payload["attendees"][0]["phoneNumber"] == "+4915112345678"
    assert payload["responses"]["email"]["value"] == "4915112345678@sms.cal.com"
    assert payload["responses"]["attendeePhoneNumber"]["value"] == "+4915112345678"


def test_a_booking_that_needs_confirmation_fires_booking_requested(sandbox, receiver):
    subscribe(sandbox, receiver.url)

    booking = booked(sandbox, wall(TUE, "10:00"), 2001)

    (event,) = events(sandbox, receiver)
    assert event["triggerEvent"] == "BOOKING_REQUESTED"
    assert event["payload"]["status"] == "PENDING"
    assert event["payload"]["uid"] == booking["uid"]
    assert event["payload"]["metadata"] == {"callId": "call-1"}


def test_a_team_booking_names_the_team_and_its_other_hosts(sandbox, receiver):
    subscribe(sandbox, receiver.url)

    booked(sandbox, wall(TUE, "10:00"), 2001)

    payload = the_event(sandbox, receiver, "BOOKING_REQUESTED")["payload"]
    first, second = TEAM_HOSTS
    assert payload["organizer"]["id"] == first.id
    assert payload["team"]["name"] == TEAM_PRAXIS.name
    assert payload["team"]["id"] == TEAM_PRAXIS.id
    assert [member["email"] for member in payload["team"]["members"]] == [second.email]


def test_reschedule_sends_the_new_booking_and_the_old_times(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    old = booked(sandbox, wall(TUE, "10:00"))

    response = post(
        sandbox,
        f"/bookings/{old['uid']}/reschedule",
        {"start": wall(WED, "11:00"), "rescheduledBy": "alice@example.com"},
    )

    new = response.json()["data"]
    payload = the_event(sandbox, receiver, "BOOKING_RESCHEDULED")["payload"]
    assert (payload["uid"], payload["bookingId"]) == (new["uid"], new["id"])
    assert (payload["rescheduleUid"], payload["rescheduleId"]) == (old["uid"], old["id"])
    assert payload["rescheduleStartTime"] == timeline.z(wall(TUE, "10:00"))
    assert payload["rescheduleEndTime"] == timeline.z(wall(TUE, "10:30"))
    assert payload["startTime"] == timeline.z(wall(WED, "11:00"))
    assert payload["rescheduledBy"] == "alice@example.com"
    assert payload["status"] == "ACCEPTED"
    assert payload["metadata"] == {"callId": "call-1"}
    # Cal.com sends no BOOKING_CANCELLED for the booking a reschedule replaces.
    assert [event["triggerEvent"] for event in receiver.events()] == [
        "BOOKING_CREATED",
        "BOOKING_RESCHEDULED",
    ]


def test_a_reschedule_the_host_must_confirm_is_requested_again(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    old = booked(sandbox, wall(TUE, "10:00"), 2001)

    post(sandbox, f"/bookings/{old['uid']}/reschedule", {"start": wall(WED, "11:00")})

    requested = [event for event in events(sandbox, receiver) if event["triggerEvent"] == "BOOKING_REQUESTED"]
    assert [event["payload"]["rescheduleUid"] for event in requested[1:]] == [old["uid"]]
    assert requested[1]["payload"]["status"] == "PENDING"


def test_cancel_says_who_cancelled_and_why(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    booking = booked(sandbox, wall(TUE, "10:00"))

    post(sandbox, f"/bookings/{booking['uid']}/cancel", {"cancellationReason": "Caller is ill"})

    payload = the_event(sandbox, receiver, "BOOKING_CANCELLED")["payload"]
    assert payload["uid"] == booking["uid"]
    assert payload["status"] == "CANCELLED"
    assert payload["cancellationReason"] == "Caller is ill"
    assert payload["cancelledBy"] == OWNER_BERLIN.email  # the key's owner, the host
    assert "metadata" not in payload  # Cal.com's cancel payload has none: match on uid


def test_confirming_a_pending_booking_accepts_it_and_sends_booking_created(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    pending = booked(sandbox, wall(TUE, "10:00"), 2001)

    response = post(sandbox, f"/bookings/{pending['uid']}/confirm", {})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "accepted"
    requested, created = events(sandbox, receiver)
    assert requested["triggerEvent"] == "BOOKING_REQUESTED"
    assert created["triggerEvent"] == "BOOKING_CREATED"
    assert (created["payload"]["uid"], created["payload"]["status"]) == (pending["uid"], "ACCEPTED")
    assert created["payload"]["startTime"] == stored(wall(TUE, "10:00"))  # toISOString here
    assert created["payload"]["team"]["members"] == []
    assert "metadata" not in created["payload"]  # only a videoCallUrl would be there


def test_declining_a_pending_booking_rejects_it_and_sends_booking_rejected(sandbox, receiver):
    subscribe(sandbox, receiver.url)
    pending = booked(sandbox, wall(TUE, "10:00"), 2001)

    response = post(sandbox, f"/bookings/{pending['uid']}/decline", {"reason": "Fully booked"})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "rejected"
    payload = the_event(sandbox, receiver, "BOOKING_REJECTED")["payload"]
    assert (payload["uid"], payload["status"]) == (pending["uid"], "REJECTED")
    assert payload["rejectionReason"] == "Fully booked"


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_only_a_pending_booking_can_be_confirmed_or_declined(sandbox, action):
    accepted = booked(sandbox, wall(TUE, "10:00"))

    response = post(sandbox, f"/bookings/{accepted['uid']}/{action}", {})

    assert response.status_code == 400
    # The v2 tRPC filter hides confirm.handler's "Booking already confirmed" behind this.
    assert response.json()["error"] == {"code": "TRPCError", "message": NOT_PENDING}


@pytest.mark.parametrize("action", ["confirm", "decline", "mark-absent"])
def test_the_hosts_actions_need_the_hosts_key(sandbox, action):
    pending = booked(sandbox, wall(TUE, "10:00"), 2001)

    response = post(sandbox, f"/bookings/{pending['uid']}/{action}", {}, key=None)

    assert response.status_code == 401


def test_marking_the_attendee_absent_sends_no_show_updated(sandbox, clock, receiver):
    subscribe(sandbox, receiver.url)
    booking = booked(sandbox, wall(TUE, "10:00"))
    clock.now = wall(TUE, "10:20")

    response = post(
        sandbox,
        f"/bookings/{booking['uid']}/mark-absent",
        {"attendees": [{"email": "alice@example.com", "absent": True}]},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["attendees"][0]["absent"], data["absentHost"]) == (True, False)
    assert the_event(sandbox, receiver, "BOOKING_NO_SHOW_UPDATED") == {
        "triggerEvent": "BOOKING_NO_SHOW_UPDATED",
        "createdAt": stored(clock.now),
        "payload": {
            "message": "alice@example.com marked as no-show",
            "attendees": [{"email": "alice@example.com", "noShow": True}],
            "bookingUid": booking["uid"],
            "bookingId": booking["id"],
        },
    }


def test_an_absent_host_alone_sends_no_webhook(sandbox, clock, receiver):
    subscribe(sandbox, receiver.url, ["BOOKING_NO_SHOW_UPDATED"])
    booking = booked(sandbox, wall(TUE, "10:00"))
    clock.now = wall(TUE, "10:20")

    response = post(sandbox, f"/bookings/{booking['uid']}/mark-absent", {"host": True})

    assert response.json()["data"]["absentHost"] is True
    assert events(sandbox, receiver) == []


def test_nobody_can_be_marked_absent_before_the_start(sandbox, clock):
    booking = booked(sandbox, wall(TUE, "10:00"))

    response = post(
        sandbox,
        f"/bookings/{booking['uid']}/mark-absent",
        {"attendees": [{"email": "alice@example.com", "absent": True}]},
    )

    assert response.status_code == 400
    assert error_message(response) == (
        "Bookings can only be marked as absent after their scheduled start time. Current time in "
        f"UTC+0: {stored(clock.now)}, Booking start time in UTC+0: {stored(wall(TUE, '10:00'))}"
    )


def test_marking_someone_who_is_not_on_the_booking_fails_like_cal_com(sandbox, clock, receiver):
    subscribe(sandbox, receiver.url, ["BOOKING_NO_SHOW_UPDATED"])
    booking = booked(sandbox, wall(MON, "10:00"))
    clock.now = wall(MON, "10:10")

    response = post(
        sandbox,
        f"/bookings/{booking['uid']}/mark-absent",
        {"attendees": [{"email": "stranger@example.com", "absent": True}]},
    )

    assert response.status_code == 500
    assert response.json() == {"statusCode": 500, "message": "Internal server error"}
    assert events(sandbox, receiver) == []
