"""Encryption of API keys at rest with a rotatable keyring.

ENCRYPTION_KEYS holds Fernet keys, newest first. Values are written with the newest key and can be
read with any key in the ring, so rotation is: prepend a new key, deploy, run
`manage.py rotate_secrets` (re-encrypts with the newest key), then drop the old key.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret cannot be read with any key in ENCRYPTION_KEYS."""


class SecretUnusable(Exception):
    """A secret a vendor call needs is not stored, or cannot be decrypted (the message says which)."""


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(f"askpro-encryption:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    raw = [k.strip() for k in keys if k.strip()] or [_derived_key(secret_key).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in raw])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet;"
            " print(Fernet.generate_key().decode())')"
        ) from exc


def keyring() -> MultiFernet:
    return _keyring(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return keyring().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return keyring().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        # Never fall back to returning the ciphertext: a caller would send it as a key.
        raise DecryptionError(
            "A stored secret cannot be decrypted with ENCRYPTION_KEYS; was a key removed "
            "from the ring before its values were re-encrypted?"
        ) from None


def reencrypt(ciphertext: str) -> str:
    """The same secret, encrypted with the newest key (for rotation)."""
    try:
        return keyring().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionError("A stored secret cannot be decrypted for rotation.") from None


class Secret:
    """A decrypted-on-demand secret that never shows itself in repr, str, logs or templates."""

    __slots__ = ("_ciphertext",)

    def __init__(self, ciphertext: str):
        self._ciphertext = ciphertext

    @classmethod
    def from_plaintext(cls, plaintext: str) -> "Secret":
        return cls(encrypt(plaintext))

    @property
    def ciphertext(self) -> str:
        return self._ciphertext

    def reveal(self) -> str:
        return decrypt(self._ciphertext)

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._ciphertext == self._ciphertext

    def __hash__(self) -> int:
        return hash(self._ciphertext)

    def __bool__(self) -> bool:
        return bool(self._ciphertext)


def reveal_required(secret: Secret | None, *, what: str) -> str:
    """The plaintext of a stored secret, or SecretUnusable naming `what` is missing or unreadable."""
    if not secret:
        raise SecretUnusable(f"No {what} is configured for this company.")
    try:
        return secret.reveal()
    except DecryptionError as exc:
        raise SecretUnusable(str(exc)) from exc
