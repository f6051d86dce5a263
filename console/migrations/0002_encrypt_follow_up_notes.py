"""Follow-up notes encrypted at rest (#14): the field's class, then the notes already stored, in
batches (see telephony 0010 for why the migration is not atomic). The reverse decrypts them."""

from django.db import migrations

import companies.fields
from companies.rotation import texts_decrypt, texts_encrypt

FIELDS = ["note"]


def encrypt_notes(apps, schema_editor):
    texts_encrypt(apps.get_model("console", "FollowUp"), FIELDS)


def decrypt_notes(apps, schema_editor):
    texts_decrypt(apps.get_model("console", "FollowUp"), FIELDS)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("console", "0001_follow_ups"),
    ]

    operations = [
        migrations.AlterField(
            model_name="followup",
            name="note",
            field=companies.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
        migrations.RunPython(encrypt_notes, decrypt_notes, elidable=True),
    ]
