"""`manage.py gdpr_export` and `gdpr_erase`: an operator answers an access or erasure request from
the shell. The export is JSON on standard output and nothing else; the erasure shows its plan,
asks, and lists what staff must still do; bad input is a CommandError with nothing changed."""

import io
import json

import pytest
import responses
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from booking.models import Customer
from tests import retell_fakes
from tests.privacy import people
from tests.privacy.vendors import HER_CALLS, cal_com_cancels, database_dump, retell_deletes

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_sent():
    """No request may leave: any would fail the test (responses refuses unregistered URLs)."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
    assert not mock.calls


def run(*args, answer: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if answer is not None:
        monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_prints_her_data_as_json_and_nothing_else(her, alpha):
    printed = run("gdpr_export", "--company", "alpha", "--phone", "0151 12345678")
    document = json.loads(printed)  # the whole of standard output is the document
    assert document["customers"][0]["name"] == people.NAME and len(document["calls"]) == 2
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_kind, entry.actor_label, entry.company_id) == ("operator", "gdpr_export", alpha.pk)


def test_export_summary_is_readable_text(her, alpha):
    printed = run("gdpr_export", "--company", "alpha", "--phone", people.PHONE, "--summary")
    assert people.NAME in printed and people.PHRASE in printed and not printed.lstrip().startswith("{")


@pytest.mark.parametrize("command", ["gdpr_export", "gdpr_erase"])
@pytest.mark.parametrize(
    ("company", "phone", "says"),
    [
        ("nowhere", people.PHONE, "No company with slug 'nowhere'"),
        ("alpha", "12", "not a valid phone number"),
        ("alpha", people.CLINIC_NUMBER, "one of the company's own numbers"),
    ],
)
def test_bad_input_is_a_command_error_and_changes_nothing(her, command, company, phone, says, nothing_sent):
    dump = database_dump()
    with pytest.raises(CommandError, match=says):
        run(command, "--company", company, "--phone", phone, *(["--yes"] if command == "gdpr_erase" else []))
    assert database_dump() == dump


def test_an_invalid_email_is_a_command_error(her):
    with pytest.raises(CommandError, match="not an email address"):
        run("gdpr_export", "--company", "alpha", "--phone", people.PHONE, "--email", "jana@")


def test_a_dry_run_prints_the_plan_and_changes_nothing(her, alpha, nothing_sent):
    dump = database_dump()
    printed = run("gdpr_erase", "--company", "alpha", "--phone", people.PHONE, "--dry-run")
    assert database_dump() == dump and not AuditEntry.objects.filter(action="erase").exists()
    assert "calls" in printed and "Dry run: nothing was changed." in printed
    assert people.BOOKING_UID in printed and "Alpha Mitte" in printed  # what will be cancelled
    assert "Calls at Retell (deleted through Retell's API): 2" in printed


def test_erasure_asks_first_and_a_no_changes_nothing(her, alpha, monkeypatch, nothing_sent):
    dump = database_dump()
    with pytest.raises(CommandError, match="Not confirmed"):
        run("gdpr_erase", "--company", "alpha", "--phone", people.PHONE, answer="no", monkeypatch=monkeypatch)
    assert database_dump() == dump


def test_erasure_confirmed_erases_and_says_what_staff_must_still_do(her, alpha, monkeypatch):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as wire:
        cal_com_cancels(wire)
        retell_deletes(wire, retell_fakes.CALL_ID)
        retell_deletes(wire, "call_outbound_jana", status=500)
        printed = run(
            "gdpr_erase",
            "--company",
            "alpha",
            "--phone",
            people.PHONE,
            answer="erase",
            monkeypatch=monkeypatch,
        )
    assert not Customer.objects.filter(company=alpha).exists() and people.rows_naming_her() == {}
    assert "Staff must still:" in printed
    assert "delete call call_outbound_jana in Retell" in printed
    assert people.BOOKING_UID in printed and "SM0123456789abcdef" in printed
    entry = AuditEntry.objects.get(action="erase")
    assert (entry.actor_kind, entry.actor_label) == ("operator", "gdpr_erase")


def test_yes_erases_without_asking(her, alpha, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked"))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as wire:
        cal_com_cancels(wire)
        retell_deletes(wire, *HER_CALLS)
        printed = run("gdpr_erase", "--company", "alpha", "--phone", people.PHONE, "--no-input")
    assert "customers" in printed and people.rows_naming_her() == {}  # and Cal.com and Retell were asked


def test_nobody_found_is_said_and_nothing_is_erased(alpha, nothing_sent):
    printed = run("gdpr_erase", "--company", "alpha", "--phone", people.PHONE, "--yes")
    assert "Nothing is stored about this person" in printed
    assert not AuditEntry.objects.filter(action="erase").exists()
