"""Key rotation: everything encrypted at rest brought to the newest key of ENCRYPTION_KEYS.

Two kinds of value: each company's API keys (EncryptedSecretField) and the free text of every model
with an EncryptedTextField, found through the app registry so that companies imports none of the
apps above it. Text is rewritten in batches of locked rows: a webhook writing a transcript at the
same moment waits for its batch instead of being overwritten by it. The same rewrite encrypts text
stored before its column was encrypted (the data migrations) and undoes the encryption (their
reverse). Values no key opens are left as they are and counted, never guessed at.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.expressions import ExpressionWrapper

from audit.actions import Action
from audit.trail import record
from companies.crypto import DecryptionError, Secret, is_current, reencrypt, text_decrypted, text_reencrypted
from companies.fields import EncryptedTextField, Stored
from companies.models import Company

BATCH_SIZE = 500
ACTION = Action.ROTATE_KEYS
SECRET_FIELDS = ("calcom_api_key", "retell_api_key")


@dataclass
class Rewritten:
    """What a rewrite did: rows changed per company id, and values no key opens (left alone)."""

    rows: Counter = field(default_factory=Counter)
    unreadable: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class RotationReport:
    secrets: Rewritten  # rows are companies whose API keys were re-encrypted
    texts: dict[str, Rewritten]  # per model label ("telephony.call")

    @property
    def unreadable(self) -> int:
        return self.secrets.unreadable + sum(done.unreadable for done in self.texts.values())


def keys_rotate(*, batch_size: int = BATCH_SIZE, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every value not yet under the newest key, recording one audit entry per company
    and kind of row (the actor is whoever the caller acts as)."""
    return RotationReport(
        secrets=secrets_reencrypt(dry_run=dry_run),
        texts=texts_reencrypt(batch_size=batch_size, dry_run=dry_run),
    )


def secrets_reencrypt(*, dry_run: bool = False) -> Rewritten:
    """Each company's API keys re-encrypted with the newest key where an older one wrote them."""
    done = Rewritten()
    for company in Company.objects.order_by("pk"):
        changed = []
        for name in SECRET_FIELDS:
            secret = getattr(company, name)
            if not secret or is_current(secret.ciphertext):
                continue
            try:
                setattr(company, name, Secret(reencrypt(secret.ciphertext)))
            except DecryptionError:
                done.unreadable += 1
                continue
            changed.append(name)
        if changed:
            done.rows[company.pk] += 1
            if not dry_run:
                company.save(update_fields=changed)
                record(ACTION, company=company, obj=company, changes=dict.fromkeys(changed, "re-encrypted"))
    return done


def texts_reencrypt(*, batch_size: int = BATCH_SIZE, dry_run: bool = False) -> dict[str, Rewritten]:
    """The encrypted text of every model re-encrypted with the newest key where it is not yet."""
    results = {}
    for model, names in encrypted_text_fields().items():
        label = model._meta.label_lower
        done = rows_rewrite(model, names, rewrite=text_reencrypted, batch_size=batch_size, dry_run=dry_run)
        results[label] = done
        if not dry_run:
            for company_id, rows in sorted(done.rows.items(), key=lambda item: item[0] or 0):
                record(ACTION, company=company_id, object_type=label, changes={"rows": rows})
    return results


def encrypted_text_fields() -> dict[type[models.Model], list[str]]:
    """Every concrete model holding encrypted text, with the names of those fields."""
    found = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names and not model._meta.proxy:
            found[model] = names
    return found


# -- For the data migrations that encrypt a column (`model` is the migration's historical model) --


def texts_encrypt(model, names: list[str], *, batch_size: int = BATCH_SIZE) -> int:
    """Encrypt the plaintext of `names` in every row; returns the rows changed."""
    return _all_readable(rows_rewrite(model, names, rewrite=text_reencrypted, batch_size=batch_size))


def texts_decrypt(model, names: list[str], *, batch_size: int = BATCH_SIZE) -> int:
    """Store `names` as plaintext again in every row (a migration reversed); returns rows changed."""
    return _all_readable(rows_rewrite(model, names, rewrite=text_decrypted, batch_size=batch_size))


def _all_readable(done: Rewritten) -> int:
    if done.unreadable:
        # Rows done so far stay done: both rewrites skip what they already did, so a rerun resumes.
        raise DecryptionError(
            f"{done.unreadable} values cannot be decrypted with ENCRYPTION_KEYS; put back the key "
            "that wrote them and run the migration again."
        )
    return done.total


def rows_rewrite(
    model,
    names: list[str],
    *,
    rewrite: Callable[[str], str | None],
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> Rewritten:
    """Pass every non-blank stored value of `names` through `rewrite` (the new stored value, or
    None to keep it) and write the rows it changed, `batch_size` locked rows at a time."""
    done = Rewritten()
    after = None
    while True:
        with transaction.atomic():
            batch = _batch(model, names, after=after, size=batch_size, lock=not dry_run)
            if not batch:
                return done
            changed = []
            for pk, company_id, *stored in batch:
                new = [_rewritten(value, rewrite, done) for value in stored]
                if new != stored:
                    changed.append(_row(model, pk, names, new))
                    done.rows[company_id] += 1
            if changed and not dry_run:
                model._base_manager.bulk_update(changed, names)
        after = batch[-1][0]


def _batch(model, names: list[str], *, after, size: int, lock: bool) -> list[tuple]:
    """(pk, company id, *stored values) of the next `size` rows after `after`, as the column holds
    them: the annotations read the columns as plain text, past the field's decryption."""
    rows = model._base_manager.order_by("pk")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    if lock:
        rows = rows.select_for_update()
    company = (
        F("company_id")
        if any(f.name == "company" for f in model._meta.concrete_fields)
        else Value(None, output_field=models.IntegerField())
    )
    raw = {f"{name}_as_stored": ExpressionWrapper(F(name), output_field=models.TextField()) for name in names}
    rows = rows.annotate(rotation_company=company, **raw)
    return [list(row) for row in rows.values_list("pk", "rotation_company", *raw)[:size]]


def _rewritten(stored, rewrite: Callable[[str], str | None], done: Rewritten):
    if not stored:
        return stored
    try:
        new = rewrite(stored)
    except DecryptionError:
        done.unreadable += 1
        return stored
    return stored if new is None else new


def _row(model, pk, names: list[str], values: list) -> models.Model:
    """An unsaved instance carrying the values to write as they are (`Stored`), for bulk_update."""
    row = model(pk=pk)
    for name, value in zip(names, values, strict=True):
        setattr(row, name, None if value is None else Stored(value))
    return row
