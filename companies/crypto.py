"""Encryption at rest with a rotatable keyring: API keys (`Secret`) and sensitive free text
(transcripts, notes: `companies.fields.EncryptedTextField`).

ENCRYPTION_KEYS holds Fernet keys, newest first. Values are written with the newest key and can be
read with any key in the ring, so rotation is: prepend a new key, deploy, run
`manage.py rotate_secrets` (re-encrypts with the newest key), then drop the old key.
Fernet: https://cryptography.io/en/latest/fernet/ (its token format:
https://github.com/fernet/spec/blob/master/Spec.md).
"""

import base64
import binascii
import hashlib
import re
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
def _keys(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    raw = [k.strip() for k in keys if k.strip()] or [_derived_key(secret_key).decode()]
    try:
        return tuple(Fernet(k.encode()) for k in raw)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet;"
            " print(Fernet.generate_key().decode())')"
        ) from exc


@lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    return MultiFernet(list(_keys(keys, secret_key)))


def keyring() -> MultiFernet:
    return _keyring(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def _newest_key() -> Fernet:
    return _keys(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)[0]


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


def is_current(ciphertext: str) -> bool:
    """Whether the newest key wrote `ciphertext` (checks its signature; decrypts nothing)."""
    try:
        _newest_key().extract_timestamp(ciphertext.encode())
    except InvalidToken:
        return False
    return True


# -- Free text (transcripts, notes) ----------------------------------------------------------------
# A column may still hold text written before it was encrypted (a database half-way through its
# migration): what is not shaped like a Fernet token is that plaintext. A token starts with the
# version byte 0x80 and a 64-bit timestamp below 2**32 ("gAAAAA" in base64) and holds at least the
# header, one AES block and the HMAC (73 bytes); nobody's transcript looks like that.
_TOKEN_SHAPE = re.compile(r"gAAAAA[A-Za-z0-9_-]{92,}={0,2}")
_TOKEN_OVERHEAD = 1 + 8 + 16 + 32  # version, timestamp, IV, HMAC


def is_token(value: str) -> bool:
    if not _TOKEN_SHAPE.fullmatch(value):
        return False
    try:
        size = len(base64.urlsafe_b64decode(value))
    except (binascii.Error, ValueError):
        return False
    return size >= _TOKEN_OVERHEAD + 16 and (size - _TOKEN_OVERHEAD) % 16 == 0


def encrypt_text(text: str) -> str:
    """`text` encrypted with the newest key; "" stays "" (blank fields stay blank and filterable)."""
    return encrypt(text) if text else ""


def decrypt_text(stored: str) -> str:
    """The text of a stored value: a token decrypted, "" and plaintext of before encryption as they
    are; DecryptionError if it is a token no key in the ring opens (never the token itself)."""
    if not stored or not is_token(stored):
        return stored
    try:
        return keyring().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "Encrypted text cannot be decrypted with ENCRYPTION_KEYS; was a key removed "
            "from the ring before rotate_secrets re-encrypted its values?"
        ) from None


def text_reencrypted(stored: str) -> str | None:
    """`stored` as the newest key would write it, or None when it already is (or is ""):
    plaintext of before encryption is encrypted, a token of an older key re-encrypted.
    DecryptionError for a token no key opens."""
    if not stored:
        return None
    if not is_token(stored):
        return encrypt(stored)
    if is_current(stored):
        return None
    try:
        return keyring().rotate(stored.encode()).decode()
    except InvalidToken:
        raise DecryptionError("Encrypted text cannot be decrypted for rotation.") from None


def text_decrypted(stored: str) -> str | None:
    """`stored` as plaintext, or None when it already is (for undoing the encryption)."""
    return decrypt_text(stored) if stored and is_token(stored) else None


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
