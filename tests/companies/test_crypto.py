import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from companies.crypto import DecryptionError, Secret, decrypt, encrypt, reencrypt
from companies.models import Company
from companies.services import company_set_credentials
from tests.factories import CompanyFactory


def test_round_trip():
    assert decrypt(encrypt("cal_live_abc")) == "cal_live_abc"
    assert encrypt("cal_live_abc") != "cal_live_abc"


def test_value_written_with_old_key_stays_readable_after_a_new_key_is_added(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    ciphertext = encrypt("cal_live_abc")
    settings.ENCRYPTION_KEYS = [new, old]
    assert decrypt(ciphertext) == "cal_live_abc"
    rotated = reencrypt(ciphertext)
    settings.ENCRYPTION_KEYS = [new]
    assert decrypt(rotated) == "cal_live_abc"
    with pytest.raises(DecryptionError):
        decrypt(ciphertext)  # the old key is gone: unreadable, and said so clearly


def test_wrong_key_raises_a_clear_error_and_never_returns_ciphertext(settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ciphertext = encrypt("cal_live_abc")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="ENCRYPTION_KEYS"):
        Secret(ciphertext).reveal()


def test_secret_never_shows_itself():
    secret = Secret.from_plaintext("cal_live_abc")
    assert "cal_live_abc" not in repr(secret)
    assert "cal_live_abc" not in str(secret)
    assert "cal_live_abc" not in f"{secret}"
    assert secret.reveal() == "cal_live_abc"


@pytest.mark.django_db
def test_keys_are_stored_encrypted_and_read_back(caplog):
    caplog.set_level(logging.DEBUG)
    company = CompanyFactory()
    company_set_credentials(company=company, calcom_api_key="cal_live_s3cret", retell_api_key="key_r3tell")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT calcom_api_key, retell_api_key FROM companies_company WHERE id = %s",
            [company.pk],
        )
        stored = cursor.fetchone()
    assert "cal_live_s3cret" not in stored[0] and "key_r3tell" not in stored[1]
    fresh = Company.objects.get(pk=company.pk)
    assert fresh.calcom_api_key.reveal() == "cal_live_s3cret"
    assert fresh.retell_api_key.reveal() == "key_r3tell"
    assert "cal_live_s3cret" not in repr(fresh.__dict__)
    assert "cal_live_s3cret" not in caplog.text and "key_r3tell" not in caplog.text


@pytest.mark.django_db
def test_assigning_plaintext_encrypts_at_once():
    company = CompanyFactory()
    company.calcom_api_key = "cal_live_plain"
    assert isinstance(company.calcom_api_key, Secret)
    assert "cal_live_plain" not in repr(vars(company))


@pytest.mark.django_db
def test_rotate_secrets_command_reencrypts_with_the_newest_key(settings):
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    company = CompanyFactory(calcom_api_key="cal_live_rotate")
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_secrets")
    settings.ENCRYPTION_KEYS = [new]
    assert Company.objects.get(pk=company.pk).calcom_api_key.reveal() == "cal_live_rotate"
