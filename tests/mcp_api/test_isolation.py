"""A token of one company never reaches another's data: not by listing, not by finding, not
with the other company's appointment ids or branch ids. The company is the token's, and no
argument can name another."""

import pytest

from booking.models import Appointment, AppointmentStatus
from tests import timeline
from tests.mcp_api.conftest import ERAS, agent

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

PHONE = "+4915112345678"  # the same person is a customer of both practices


async def _book_at_practice(mcp_app, practice, token) -> dict:
    async with agent(mcp_app, token) as client:
        made = await client.call_tool(
            "book_appointment",
            {
                "branch_id": practice.branches.get(name="Berlin").pk,
                "start": f"{timeline.booking_day().isoformat()}T10:00",
                "name": "Jana Caller",
                "phone": PHONE,
                "email": "jana@example.de",
                "idempotency_key": "practice-booking-1",
            },
        )
    assert not made.is_error
    return made.structured_content["appointment"]


@pytest.mark.parametrize("mode", ERAS)
async def test_the_rival_sees_only_its_own_branches_and_customers(
    mcp_app, practice, token, rival, rival_token, mode
):
    await _book_at_practice(mcp_app, practice, token)
    async with agent(mcp_app, rival_token, mode) as client:
        branches = (await client.call_tool("list_branches", {})).structured_content
        by_phone = (await client.call_tool("find_appointments", {"phone": PHONE})).structured_content
        by_email = (
            await client.call_tool("find_appointments", {"email": "jana@example.de"})
        ).structured_content
    assert branches["company"] == "Praxis Süd" and [b["name"] for b in branches["branches"]] == ["München"]
    assert by_phone["appointments"] == [] == by_email["appointments"]


@pytest.mark.parametrize("mode", ERAS)
async def test_the_rival_cannot_move_or_cancel_with_the_practices_ids(
    mcp_app, practice, token, rival, rival_token, sandbox, mode
):
    mine = await _book_at_practice(mcp_app, practice, token)
    async with agent(mcp_app, rival_token, mode) as client:
        moved = await client.call_tool(
            "reschedule_appointment",
            {
                "appointment_id": mine["appointment_id"],
                "new_start": f"{timeline.booking_day().isoformat()}T15:00",
                "idempotency_key": "rival-move-0001",
            },
        )
        cancelled = await client.call_tool(
            "cancel_appointment",
            {"appointment_id": mine["appointment_id"], "idempotency_key": "rival-cancel-1"},
        )
    for refused in (moved, cancelled):
        assert refused.is_error and "No such appointment for this company" in refused.content[0].text
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED
    assert [b["status"] for b in sandbox.bookings.all()] == ["accepted"]


async def test_the_rival_cannot_look_or_book_at_the_practices_branch(
    mcp_app, practice, rival, rival_token, sandbox
):
    berlin = practice.branches.get(name="Berlin").pk
    async with agent(mcp_app, rival_token) as client:
        looked = await client.call_tool("check_availability", {"branch_id": berlin})
        booked = await client.call_tool(
            "book_appointment",
            {
                "branch_id": berlin,
                "start": f"{timeline.booking_day().isoformat()}T10:00",
                "name": "Jana Caller",
                "phone": PHONE,
                "idempotency_key": "rival-booking-01",
            },
        )
    for refused in (looked, booked):
        assert refused.is_error and "No such branch" in refused.content[0].text
    assert sandbox.bookings.all() == [] and not Appointment.objects.exists()


async def test_the_same_idempotency_key_in_two_companies_books_twice(
    mcp_app, practice, token, rival, rival_token, sandbox
):
    """Keys are the company's own: another company's key can neither replay nor block ours."""
    await _book_at_practice(mcp_app, practice, token)
    async with agent(mcp_app, rival_token) as client:
        theirs = await client.call_tool(
            "book_appointment",
            {
                "start": f"{timeline.booking_day().isoformat()}T11:00",
                "name": "Other Caller",
                "phone": "+4915199999999",
                "idempotency_key": "practice-booking-1",
            },
        )
    assert not theirs.is_error and theirs.structured_content["replayed"] is False
    assert theirs.structured_content["appointment"]["branch_name"] == "München"
    assert Appointment.objects.filter(company=rival).count() == 1
