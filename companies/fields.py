"""A model field that stores a Secret encrypted and hands it back still encrypted."""

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from companies.crypto import Secret


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
