"""Transcripts, summaries and follow-up notes are encrypted at rest: Python and staff read text, the
database holds Fernet tokens of the newest key, rotation moves old tokens to it, and blank values,
text of before encryption and tokens no key opens all behave as documented in companies.fields."""

import importlib
import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from audit.actors import ActorKind
from audit.models import AuditEntry
from companies.crypto import DecryptionError, decrypt_text, is_token
from companies.fields import EncryptedTextField, UnreadableText, readable_text
from companies.rotation import texts_decrypt, texts_encrypt
from console.models import FollowUp
from privacy.scrub import scrub_call_content
from telephony.models import Call
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

TRANSCRIPT = "Agent: Praxis Alpha, guten Tag.\nUser: Ich habe seit Montag Knieschmerzen."
SUMMARY = "Anrufer mit Knieschmerzen bucht einen Termin."
NOTE = "Frau Apfel zurückgerufen, kommt Montag um 14:00."


@pytest.fixture
def old_and_new(settings):
    """Two keys; values are written with `old` first, as before a rotation."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    return old, new


def _stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (our names)
        return cursor.fetchone()[0]


def _store_as_is(table: str, column: str, pk: int, value: str) -> None:
    """Write straight to the column, past the field: rows as an older release left them."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


def _follow_up(company, subject="bookingrequest:1", note=NOTE) -> FollowUp:
    return FollowUp.objects.create(company=company, subject=subject, note=note)


# -- The field -------------------------------------------------------------------------------------


def test_a_transcript_reads_back_as_written_and_as_a_plain_str(company_a):
    call = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    fresh = Call.objects.get(pk=call.pk)
    assert (fresh.transcript, fresh.summary) == (TRANSCRIPT, SUMMARY)
    assert type(fresh.transcript) is str
    assert FollowUp.objects.get(pk=_follow_up(company_a).pk).note == NOTE


def test_the_database_holds_ciphertext_not_the_text(company_a):
    call = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    follow_up = _follow_up(company_a)
    stored = {
        "transcript": _stored("telephony_call", "transcript", call.pk),
        "summary": _stored("telephony_call", "summary", call.pk),
        "note": _stored("console_followup", "note", follow_up.pk),
    }
    for column, value in stored.items():
        assert is_token(value), column
        assert "Knieschmerzen" not in value and "Apfel" not in value, column
    assert decrypt_text(stored["transcript"]) == TRANSCRIPT
    # Every encryption differs (random IV): equal texts cannot be told apart or searched for.
    other = CallFactory(company=company_a, transcript=TRANSCRIPT)
    assert _stored("telephony_call", "transcript", other.pk) != stored["transcript"]


def test_blank_stays_blank_so_filters_and_scrubbing_work(company_a):
    silent = CallFactory(company=company_a, transcript="")
    spoken = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    assert _stored("telephony_call", "transcript", silent.pk) == ""
    assert set(Call.objects.filter(transcript="")) == {silent}
    assert set(Call.objects.exclude(transcript="")) == {spoken}

    assert scrub_call_content(Call.objects.filter(pk=spoken.pk)) == 1
    assert _stored("telephony_call", "transcript", spoken.pk) == ""
    assert _stored("telephony_call", "summary", spoken.pk) == ""
    assert Call.objects.get(pk=spoken.pk).transcript == ""


def test_text_stored_before_encryption_reads_back_as_it_is(company_a):
    """A database half-way through its migration still works."""
    call = CallFactory(company=company_a)
    _store_as_is("telephony_call", "transcript", call.pk, TRANSCRIPT)
    _store_as_is("telephony_call", "summary", call.pk, "gAAAAA is how this summary starts")
    fresh = Call.objects.get(pk=call.pk)
    assert fresh.transcript == TRANSCRIPT
    assert fresh.summary == "gAAAAA is how this summary starts"


def test_the_database_is_never_asked_to_look_inside_encrypted_text(company_a):
    """A search inside ciphertext would silently find nothing: it is refused instead."""
    CallFactory(company=company_a, transcript=TRANSCRIPT)
    with pytest.raises(FieldError, match="icontains"):
        list(Call.objects.filter(transcript__icontains="Knie"))
    with pytest.raises(FieldError, match="encrypted"):
        list(Call.objects.filter(summary=SUMMARY))
    with pytest.raises(FieldError):
        list(FollowUp.objects.filter(note__startswith="Frau"))


def test_saving_a_call_costs_no_extra_query(company_a, django_assert_num_queries):
    call = CallFactory(company=company_a)
    call.transcript, call.summary = TRANSCRIPT, SUMMARY
    with django_assert_num_queries(1):
        call.save()


# -- A key no longer in the ring -------------------------------------------------------------------


def test_a_token_no_key_opens_shows_a_placeholder_never_the_token_and_survives_a_save(
    settings, old_and_new, company_a, caplog
):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    token = _stored("telephony_call", "transcript", call.pk)
    settings.ENCRYPTION_KEYS = [new]  # the old key dropped too early

    caplog.set_level(logging.WARNING)
    fresh = Call.objects.get(pk=call.pk)
    assert isinstance(fresh.transcript, UnreadableText)
    assert "cannot be decrypted" in fresh.transcript and token not in fresh.transcript
    with pytest.raises(DecryptionError):
        readable_text(fresh.transcript)  # what an export or a vendor call reads through
    assert "telephony.Call.transcript" in caplog.text and token not in caplog.text

    fresh.status = "analyzed"
    fresh.save()  # a webhook merging into the call keeps the token, not the placeholder
    assert _stored("telephony_call", "transcript", call.pk) == token
    settings.ENCRYPTION_KEYS = [old]  # the key put back: the text is there again
    assert Call.objects.get(pk=call.pk).transcript == TRANSCRIPT


def test_the_call_page_of_an_unreadable_transcript_still_opens(
    settings, old_and_new, client, alice, company_a
):
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    token = _stored("telephony_call", "transcript", call.pk)
    settings.ENCRYPTION_KEYS = [old_and_new[1]]
    client.force_login(alice)
    response = client.get(reverse("admin:telephony_call_change", args=[call.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "cannot be decrypted" in page and token not in page


# -- Rotation --------------------------------------------------------------------------------------


def test_a_rotated_key_still_decrypts_old_transcripts(settings, old_and_new, company_a):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    written_with_old = _stored("telephony_call", "transcript", call.pk)

    settings.ENCRYPTION_KEYS = [new, old]  # a new key prepended and deployed
    assert Call.objects.get(pk=call.pk).transcript == TRANSCRIPT

    call_command("rotate_secrets", stdout=StringIO())
    rotated = _stored("telephony_call", "transcript", call.pk)
    assert rotated != written_with_old
    assert Fernet(new.encode()).decrypt(rotated.encode()).decode() == TRANSCRIPT

    settings.ENCRYPTION_KEYS = [new]  # the old key dropped
    fresh = Call.objects.get(pk=call.pk)
    assert (fresh.transcript, fresh.summary) == (TRANSCRIPT, SUMMARY)


def test_rotation_records_one_audit_entry_per_company_and_kind_of_row(
    settings, old_and_new, company_a, company_b
):
    old, new = old_and_new
    CallFactory.create_batch(2, company=company_a, transcript=TRANSCRIPT)
    CallFactory(company=company_a, transcript="")  # nothing to re-encrypt
    _follow_up(company_a)
    CallFactory(company=company_b, summary=SUMMARY)
    settings.ENCRYPTION_KEYS = [new, old]

    call_command("rotate_secrets", "--batch-size", "1", stdout=StringIO())

    entries = AuditEntry.objects.filter(action="rotate_keys")
    assert {entry.actor_kind for entry in entries} == {ActorKind.OPERATOR}
    assert {entry.actor_label for entry in entries} == {"rotate_secrets"}
    rows = {(e.company_id, e.object_type): e.changes for e in entries if e.object_type != "companies.company"}
    assert rows == {
        (company_a.pk, "telephony.call"): {"rows": 2},
        (company_a.pk, "console.followup"): {"rows": 1},
        (company_b.pk, "telephony.call"): {"rows": 1},
    }
    # The companies' API keys, written with the old key too, were moved and audited per company.
    keys = entries.filter(object_type="companies.company")
    assert {(e.company_id, e.object_id) for e in keys} == {
        (company_a.pk, str(company_a.pk)),
        (company_b.pk, str(company_b.pk)),
    }
    assert all(set(e.changes.values()) == {"changed"} for e in keys)


def test_rotating_again_changes_nothing_and_records_nothing(settings, old_and_new, company_a):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_secrets", stdout=StringIO())
    once = _stored("telephony_call", "transcript", call.pk)
    entries = AuditEntry.objects.count()

    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert _stored("telephony_call", "transcript", call.pk) == once
    assert AuditEntry.objects.count() == entries
    assert "Re-encrypted 0 telephony.call rows of 0 companies." in out.getvalue()


def test_a_dry_run_counts_and_changes_nothing(settings, old_and_new, company_a):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    before = _stored("telephony_call", "transcript", call.pk)
    settings.ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_secrets", "--dry-run", stdout=out)
    assert "Would re-encrypt 1 telephony.call rows of 1 companies." in out.getvalue()
    assert _stored("telephony_call", "transcript", call.pk) == before
    assert not AuditEntry.objects.filter(action="rotate_keys").exists()


def test_rotation_moves_what_it_can_and_fails_loudly_on_what_no_key_opens(
    settings, old_and_new, company_a, caplog
):
    _old, new = old_and_new
    lost = CallFactory(company=company_a, transcript="Agent: written with a key that is gone")
    lost_token = _stored("telephony_call", "transcript", lost.pk)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    kept = CallFactory(company=company_a, transcript=TRANSCRIPT)
    settings.ENCRYPTION_KEYS = [new, settings.ENCRYPTION_KEYS[0]]  # `old` is not in the ring

    caplog.set_level(logging.DEBUG)
    out = StringIO()
    # The transcript and the company's two API keys, all written with the key that is gone.
    with pytest.raises(CommandError, match="3 values cannot be decrypted"):
        call_command("rotate_secrets", stdout=out)
    assert _stored("telephony_call", "transcript", lost.pk) == lost_token  # left as it was
    assert Fernet(new.encode()).decrypt(_stored("telephony_call", "transcript", kept.pk).encode())
    assert (
        lost_token not in out.getvalue() + caplog.text and "Knieschmerzen" not in out.getvalue() + caplog.text
    )


def test_rotation_never_prints_or_logs_a_value(settings, old_and_new, company_a, caplog):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    _follow_up(company_a)
    tokens = [_stored("telephony_call", "transcript", call.pk), _stored("telephony_call", "summary", call.pk)]
    settings.ENCRYPTION_KEYS = [new, old]
    caplog.set_level(logging.DEBUG)
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    said = out.getvalue() + caplog.text
    assert "Knieschmerzen" not in said and "Apfel" not in said
    assert not any(token in said for token in tokens)
    assert "gAAAAA" not in said


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_batch_size_below_one_is_refused_before_anything_changes(settings, old_and_new, company_a, size):
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    before = _stored("telephony_call", "transcript", call.pk)
    settings.ENCRYPTION_KEYS = [old_and_new[1], old_and_new[0]]
    with pytest.raises(CommandError, match="batch-size"):
        call_command("rotate_secrets", "--batch-size", size, stdout=StringIO())
    assert _stored("telephony_call", "transcript", call.pk) == before
    assert not AuditEntry.objects.exists()


# -- The data migrations ---------------------------------------------------------------------------


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_the_data_migration_encrypts_existing_plaintext_rows_and_its_reverse_decrypts(company_a, company_b):
    calls = [CallFactory(company=company) for company in (company_a, company_a, company_b)]
    for call in calls:  # as the release before this one stored them
        _store_as_is("telephony_call", "transcript", call.pk, f"{TRANSCRIPT} ({call.pk})")
        _store_as_is("telephony_call", "summary", call.pk, SUMMARY)
    blank = CallFactory(company=company_a, transcript="")
    follow_up = _follow_up(company_b)
    _store_as_is("console_followup", "note", follow_up.pk, NOTE)

    _migration("telephony", "0010_encrypt_call_text").encrypt_calls(apps, None)
    _migration("console", "0002_encrypt_follow_up_notes").encrypt_notes(apps, None)

    for call in calls:
        stored = _stored("telephony_call", "transcript", call.pk)
        assert is_token(stored) and is_token(_stored("telephony_call", "summary", call.pk))
        assert Call.objects.get(pk=call.pk).transcript == f"{TRANSCRIPT} ({call.pk})"
    assert _stored("telephony_call", "transcript", blank.pk) == ""
    assert is_token(_stored("console_followup", "note", follow_up.pk))
    assert FollowUp.objects.get(pk=follow_up.pk).note == NOTE

    _migration("telephony", "0010_encrypt_call_text").decrypt_calls(apps, None)
    _migration("console", "0002_encrypt_follow_up_notes").decrypt_notes(apps, None)
    assert _stored("telephony_call", "transcript", calls[0].pk) == f"{TRANSCRIPT} ({calls[0].pk})"
    assert _stored("telephony_call", "summary", calls[2].pk) == SUMMARY
    assert _stored("console_followup", "note", follow_up.pk) == NOTE


def test_the_migration_works_in_batches_and_a_rerun_changes_nothing(company_a):
    calls = CallFactory.create_batch(5, company=company_a)
    for call in calls:
        _store_as_is("telephony_call", "transcript", call.pk, TRANSCRIPT)
    assert texts_encrypt(Call, ["transcript", "summary"], batch_size=2) == 5
    first = [_stored("telephony_call", "transcript", call.pk) for call in calls]
    assert texts_encrypt(Call, ["transcript", "summary"], batch_size=2) == 0
    assert [_stored("telephony_call", "transcript", call.pk) for call in calls] == first
    assert texts_decrypt(Call, ["transcript", "summary"], batch_size=2) == 5
    assert texts_decrypt(Call, ["transcript", "summary"], batch_size=2) == 0


def test_the_reverse_migration_refuses_to_leave_tokens_it_cannot_open(settings, old_and_new, company_a):
    call = CallFactory(company=company_a, transcript=TRANSCRIPT)
    settings.ENCRYPTION_KEYS = [old_and_new[1]]
    with pytest.raises(DecryptionError, match="1 values"):
        texts_decrypt(Call, ["transcript", "summary"])
    assert is_token(_stored("telephony_call", "transcript", call.pk))


# -- Admin -----------------------------------------------------------------------------------------


def test_the_admin_call_page_shows_the_transcript_after_a_rotation(
    settings, old_and_new, client, alice, company_a
):
    old, new = old_and_new
    call = CallFactory(company=company_a, transcript=TRANSCRIPT, summary=SUMMARY)
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_secrets", stdout=StringIO())
    settings.ENCRYPTION_KEYS = [new]

    client.force_login(alice)
    page = client.get(reverse("admin:telephony_call_change", args=[call.pk])).content.decode()
    assert '<span class="speaker">User</span> Ich habe seit Montag Knieschmerzen.' in page
    assert SUMMARY in page
    assert "gAAAAA" not in page


def test_staff_find_calls_by_number_call_id_and_customer_name(client, alice, company_a, company_b):
    mine = CallFactory(company=company_a, retell_call_id="call_alpha_knee", transcript=TRANSCRIPT)
    theirs = CallFactory(company=company_b, retell_call_id="call_beta_knee", from_number=mine.from_number)
    client.force_login(alice)
    url = reverse("admin:telephony_call_changelist")
    for query in ("call_alpha_knee", mine.from_number[-8:]):
        page = client.get(url, {"q": query}).content.decode()
        assert reverse("admin:telephony_call_change", args=[mine.pk]) in page, query
        assert reverse("admin:telephony_call_change", args=[theirs.pk]) not in page, query


def test_follow_ups_are_listed_with_their_note_and_found_by_subject_or_staff(
    client, charlie, company_a, alice
):
    follow_up = FollowUp.objects.create(
        company=company_a, subject="bookingrequest:7", note=NOTE, done_by=alice
    )
    client.force_login(charlie)
    url = reverse("admin:console_followup_changelist")
    for query in ("bookingrequest:7", "alice"):
        response = client.get(url, {"q": query})
        assert response.status_code == 200, query
        assert NOTE in response.content.decode(), query
    assert NOTE not in client.get(url, {"q": "nobody"}).content.decode()
    assert NOTE not in str(follow_up)  # a name that ends up in admin's history stays plain


def test_no_admin_searches_filters_or_sorts_inside_encrypted_text():
    """Each would be a FieldError (a 500) or a sort by ciphertext on a staff page."""
    inside = []
    for model, model_admin in admin.site._registry.items():
        paths = [*model_admin.search_fields, *(f for f in model_admin.list_filter if isinstance(f, str))]
        paths += [
            name for name in model_admin.sortable_by or model_admin.list_display if isinstance(name, str)
        ]
        paths += [name.lstrip("-") for name in model_admin.ordering or () if isinstance(name, str)]
        inside += [f"{model._meta.label}: {path}" for path in paths if _is_encrypted(model, path)]
    assert inside == []


def _is_encrypted(model, path: str) -> bool:
    field = None
    for part in path.lstrip("^=@").split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:  # an admin method or a lookup name, not a field
            return False
        model = field.related_model or model
    return isinstance(field, EncryptedTextField)


def test_dumpdata_writes_the_text_and_stops_at_a_value_no_key_opens(settings, old_and_new, company_a):
    CallFactory(company=company_a, transcript=TRANSCRIPT)
    out = StringIO()
    call_command("dumpdata", "telephony.call", stdout=out)
    assert "Knieschmerzen" in out.getvalue()  # loaddata encrypts it again
    settings.ENCRYPTION_KEYS = [old_and_new[1]]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("dumpdata", "telephony.call", stdout=StringIO())
