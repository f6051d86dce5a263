"""Model fields encrypted at rest: API keys handed back still encrypted (`EncryptedSecretField`),
free text handed back as plain text (`EncryptedTextField`)."""

import logging

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext

from companies.crypto import DecryptionError, Secret, decrypt_text, encrypt_text

logger = logging.getLogger(__name__)


class _SecretAttribute(DeferredAttribute):
    """Encrypts on assignment, so a plaintext key never sits on a model instance."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = self.field.to_python(value)


class EncryptedSecretField(models.TextField):
    """Stores Fernet ciphertext; Python sees a `Secret` (or None). Assign a str to set it."""

    descriptor_class = _SecretAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)  # admin uses a write-only form field instead
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, default in (("blank", True), ("null", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return Secret(value) if value else None

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret.from_plaintext(value) if value else None

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, Secret):
            return value.ciphertext
        return Secret.from_plaintext(str(value)).ciphertext

    def value_to_string(self, obj):
        # dumpdata and serializers see ciphertext, never plaintext.
        value = self.value_from_object(obj)
        return value.ciphertext if isinstance(value, Secret) else ""


class Stored(str):
    """A value written to an encrypted text column exactly as given: a token re-encrypted by key
    rotation, or plaintext while the encryption is undone (companies.rotation)."""


class UnreadableText(str):
    """What an encrypted text reads as when no key in ENCRYPTION_KEYS opens its token: a placeholder
    people can see (admin, console) instead of an error page, holding the token so that saving the
    row writes it back unchanged. Code that must not pass a placeholder on (an export) reads
    through `readable_text`, which raises."""

    def __new__(cls, token: str):
        text = super().__new__(cls, gettext("[cannot be decrypted: its key is missing from ENCRYPTION_KEYS]"))
        text.token = token
        return text

    def __reduce__(self):  # a copy keeps the token, not the placeholder
        return (UnreadableText, (self.token,))


def readable_text(value: str) -> str:
    """`value` itself, or DecryptionError if it is the placeholder of an undecryptable token."""
    if isinstance(value, UnreadableText):
        raise DecryptionError("Encrypted text cannot be decrypted with ENCRYPTION_KEYS.")
    return value


class _BlankOnlyExact(Exact):
    """Every encryption of a text differs, so equality can only be asked of "" (blank)."""

    def get_prep_lookup(self):
        if isinstance(self.rhs, str) and self.rhs and not isinstance(self.rhs, Stored):
            raise FieldError(
                f"{getattr(self.lhs, 'target', 'This field')} is encrypted: it can only be compared with ''."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Sensitive free text (transcripts, notes), a Fernet token of the newest key in the column.

    Python sees the plain `str`. "" stays "", so blank filters and the scrubbing UPDATEs work;
    text written before the column was encrypted reads back as it is (companies.crypto.is_token).
    The database cannot look inside: only `= ""` and `IS NULL` may be asked, any other lookup is a
    FieldError rather than a search that silently finds nothing. Each value is encrypted on its
    own when written, so saving a row costs no query more than before.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return decrypt_text(value)
        except DecryptionError:
            logger.warning(
                "%s.%s holds a value no key in ENCRYPTION_KEYS opens", self.model._meta.label, self.name
            )
            return UnreadableText(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, UnreadableText):
            return value.token
        if isinstance(value, Stored):
            return str(value)
        return value if value is None else encrypt_text(value)

    def value_to_string(self, obj):
        # dumpdata writes the text, which loaddata encrypts again; a value no key opens stops the
        # dump instead of putting the placeholder where the text was.
        return readable_text(self.value_from_object(obj))

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _BlankOnlyExact
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name):
        return None
