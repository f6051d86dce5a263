"""A call's transcript, encrypted at rest, read by staff in a real browser after the key that wrote
it was rotated out: the conversation by speaker, never the ciphertext."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tests.browser.helpers import login, screenshot
from tests.factories import CallFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

TRANSCRIPT = "Agent: Praxis Alpha, guten Tag.\nUser: Ich habe seit Montag Knieschmerzen."


@pytest.fixture
def old_key(settings) -> str:
    """The key everything is written with before the rotation (company A's API keys too)."""
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return settings.ENCRYPTION_KEYS[0]


def test_staff_read_a_transcript_written_with_a_key_since_rotated_out(
    page, settings, old_key, company_a, alice
):
    old, new = old_key, Fernet.generate_key().decode()
    anna = CustomerFactory(company=company_a, name="Anna Apfel", phone="+493066666666")
    call = CallFactory(
        company=company_a,
        branch=company_a.branches.get(),
        customer=anna,
        from_number=anna.phone,
        transcript=TRANSCRIPT,
        summary="Termin wegen Knieschmerzen gebucht.",
    )
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_secrets", stdout=StringIO())
    settings.ENCRYPTION_KEYS = [new]
    with connection.cursor() as cursor:
        cursor.execute("SELECT transcript FROM telephony_call WHERE id = %s", [call.pk])
        stored = cursor.fetchone()[0]
    assert "Knieschmerzen" not in stored

    login(page, "alice")
    page.goto(reverse("admin:telephony_call_changelist") + "?q=66666666")
    assert "Anna Apfel" in page.locator("#result_list").inner_text()  # found by the caller's number
    with page.expect_navigation():
        page.locator("#result_list tbody tr th a").first.click()
    turns = page.locator(".transcript p")
    assert turns.count() == 2
    assert turns.nth(1).inner_text() == "User Ich habe seit Montag Knieschmerzen."
    assert "Termin wegen Knieschmerzen gebucht." in page.locator("body").inner_text()
    assert stored not in page.content() and "gAAAAA" not in page.content()
    screenshot(page, "call-transcript-after-rotation")
