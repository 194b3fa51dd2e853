"""Symmetric encryption for secrets at rest: Fernet keys from FLINKEY_ENCRYPTION_KEYS."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@cache
def _keyring() -> MultiFernet:
    keys = [key.strip() for key in settings.FLINKEY_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "FLINKEY_ENCRYPTION_KEYS is empty: set it to one or more Fernet keys, newest first "
            "(generate one with `python manage.py generate_encryption_key`)."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        message = f"FLINKEY_ENCRYPTION_KEYS holds an invalid key: {error}"
        raise ImproperlyConfigured(message) from None


@receiver(setting_changed)
def _forget_keyring(*, setting, **kwargs):
    if setting == "FLINKEY_ENCRYPTION_KEYS":
        _keyring.cache_clear()


def encrypt(plaintext: str) -> str:
    """Return `plaintext` encrypted under the newest key, as URL-safe text."""
    return _keyring().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Return the plaintext; raise DecryptionError when no configured key fits."""
    try:
        return _keyring().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        # Never hand back the ciphertext as if it were the secret (a known trap of
        # off-the-shelf encrypted fields): fail loudly so a lost key is noticed at once.
        raise DecryptionError(
            "A stored secret cannot be decrypted with any key in FLINKEY_ENCRYPTION_KEYS; "
            "was a key removed before `manage.py rotate_encryption_keys` ran?"
        ) from error


def rotate(ciphertext: str) -> str:
    """Return `ciphertext` re-encrypted under the newest key."""
    try:
        return _keyring().rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise DecryptionError("A stored secret cannot be decrypted for rotation.") from error
