"""The trail holds no personal data and no secret, whatever was written: a whole call (live
booking, the webhooks after it), staff editing the caller's record and the company's keys, a
token for an agent. Every entry, every column, searched for each of them."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from audit.actors import ActorKind
from booking.models import Customer
from companies.models import StaffRole
from companies.services import staff_member_add
from mcp_api.tokens import mcp_token_create
from telephony.models import WebhookEvent
from telephony.tasks import process_webhook_event
from tests import timeline
from tests.audit.conftest import entries, form_as_shown, whole_trail
from tests.calcom_fakes import BASE, booking_output
from tests.factories import UserFactory
from tests.retell_fakes import CALL_ID, webhook_payload

pytestmark = pytest.mark.django_db

NEW_NAME, NEW_PHONE, NEW_EMAIL = "Jana Müller-Caller", "+4915199887766", "jana.mueller@example.org"
NEW_KEY = "key_retell_replaced_9Zq4"
# What the caller said or is (the fixtures' call), and what staff typed about her.
PERSONAL = [
    "Jana",
    "Caller",
    "jana@example.com",
    "+4915112345678",
    "15112345678",
    "Grüß Gott",
    "tschüss",
    "Müller",
    NEW_PHONE,
    "15199887766",
    NEW_EMAIL,
]


def _created(request):
    start = timeline.utc(timeline.booking_day(), "11:00")
    sent = json.loads(request.body)
    return (
        201,
        {},
        json.dumps(booking_output(start=start, end=start + timedelta(minutes=30), metadata=sent["metadata"])),
    )


def _process_all() -> None:
    for pk in WebhookEvent.objects.filter(status="received").order_by("pk").values_list("pk", flat=True):
        process_webhook_event(pk)


def test_no_entry_holds_a_callers_data_or_a_secret(client, clinic, deliver, function, calcom):
    # A call: it rings, the caller books live, Retell reports the call's end and analysis.
    assert deliver(clinic, webhook_payload("call_started")).status_code == 204
    _process_all()
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created)
    answer = function(
        "book_appointment",
        {
            "date": timeline.booking_day().isoformat(),
            "time": "11:00",
            "name": "Jana Caller",
            "email": "jana@example.com",
        },
    )
    assert answer["success"] is True, answer
    for event in ("call_ended", "call_analyzed"):
        assert deliver(clinic, webhook_payload(event)).status_code == 204
    _process_all()

    # Staff correct the caller's record; the owner replaces the Retell key; an agent gets a token.
    owner = UserFactory(username="erika")
    staff_member_add(company=clinic, user=owner, role=StaffRole.OWNER)
    client.force_login(owner)
    customer = Customer.objects.get(company=clinic)
    url = reverse("admin:booking_customer_change", args=[customer.pk])
    edited = form_as_shown(client, url, name=NEW_NAME, phone=NEW_PHONE, email=NEW_EMAIL)
    assert client.post(url, edited).status_code == 302
    url = reverse("admin:companies_company_change", args=[clinic.pk])
    assert client.post(url, form_as_shown(client, url, new_retell_api_key=NEW_KEY)).status_code == 302
    token, agent_secret = mcp_token_create(company=clinic, name="front desk")

    recorded = {(entry.action, entry.actor_kind, entry.object_type) for entry in entries()}
    assert recorded == {
        ("book", ActorKind.RETELL_CALL, "booking.appointment"),
        ("change", ActorKind.STAFF, "booking.customer"),
        ("change", ActorKind.STAFF, "companies.company"),
        ("token_create", ActorKind.SYSTEM, "mcp_api.mcptoken"),
    }
    customer_entry = entries(object_type="booking.customer")[0]
    assert customer_entry.changes == {"name": "changed", "phone": "changed", "email": "changed"}
    trail = whole_trail()
    assert CALL_ID in trail  # the call is named; the person in it is not
    assert [value for value in PERSONAL if value in trail] == []
    clinic.refresh_from_db()
    secrets = [
        NEW_KEY,
        clinic.calcom_api_key.reveal(),
        clinic.webhook_key,
        agent_secret,
        agent_secret[len(token.prefix) :],
    ]
    assert [secret for secret in secrets if secret in trail] == []
