"""Transcripts and summaries encrypted at rest (#14).

The column stays `text`, so the schema change is the field's class alone; the data migration then
encrypts the rows already stored, in batches that commit on their own (not atomic: a large table is
not held in one transaction, and a rerun resumes, as rows already encrypted are skipped). Until it
has run, plaintext still reads back as it is. The reverse decrypts them again.
"""

from django.db import migrations

import companies.fields
from companies.rotation import texts_decrypt, texts_encrypt

FIELDS = ["transcript", "summary"]


def encrypt_calls(apps, schema_editor):
    texts_encrypt(apps.get_model("telephony", "Call"), FIELDS)


def decrypt_calls(apps, schema_editor):
    texts_decrypt(apps.get_model("telephony", "Call"), FIELDS)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("telephony", "0009_webhookevent_lease_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="call",
            name="summary",
            field=companies.fields.EncryptedTextField(blank=True, verbose_name="summary"),
        ),
        migrations.AlterField(
            model_name="call",
            name="transcript",
            field=companies.fields.EncryptedTextField(blank=True, verbose_name="transcript"),
        ),
        migrations.RunPython(encrypt_calls, decrypt_calls, elidable=True),
    ]
