"""Secrets at rest: encrypted, rotatable, and loud when they cannot be decrypted."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from config.testing import make_user
from fleetadmin.models import FlinkeyCredentials
from fleetadmin.secrets import crypto

SECRET_PASSWORD = "Geheim-Passw0rt-äöü"
SECRET_KEY = "api-key-5f0c1d2e"


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key, username, password FROM fleetadmin_flinkeycredentials WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


@pytest.fixture
def stored(db):
    user = make_user("alice", with_credentials=False)
    return FlinkeyCredentials.objects.create(
        user=user, api_key=SECRET_KEY, username="manager@example.com", password=SECRET_PASSWORD
    )


def test_raw_database_bytes_do_not_contain_the_secrets(stored):
    row = raw_row(stored.pk)
    joined = "\n".join(row)
    assert SECRET_PASSWORD not in joined
    assert SECRET_KEY not in joined
    assert "manager@example.com" not in joined
    assert all(value.startswith("gAAAA") for value in row)  # Fernet tokens


def test_secrets_read_back_decrypted(stored):
    fresh = FlinkeyCredentials.objects.get(pk=stored.pk)
    assert (fresh.api_key, fresh.password) == (SECRET_KEY, SECRET_PASSWORD)


def test_repr_and_str_never_show_a_secret(stored):
    assert SECRET_PASSWORD not in repr(stored) + str(stored)
    assert SECRET_KEY not in repr(stored) + str(stored)


def test_old_keys_still_decrypt_after_a_new_key_is_added(stored, settings):
    old_keys = list(settings.FLINKEY_ENCRYPTION_KEYS)
    settings.FLINKEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    assert FlinkeyCredentials.objects.get(pk=stored.pk).password == SECRET_PASSWORD


def test_rotation_command_reencrypts_under_the_newest_key(stored, settings):
    old_keys = list(settings.FLINKEY_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.FLINKEY_ENCRYPTION_KEYS = [new_key, *old_keys]
    before = raw_row(stored.pk)

    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    after = raw_row(stored.pk)
    assert all(a != b for a, b in zip(after, before, strict=True))
    settings.FLINKEY_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    assert FlinkeyCredentials.objects.get(pk=stored.pk).password == SECRET_PASSWORD


def test_a_missing_key_raises_instead_of_returning_ciphertext(stored, settings):
    settings.FLINKEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        FlinkeyCredentials.objects.get(pk=stored.pk)


def test_no_keys_configured_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FLINKEY_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="FLINKEY_ENCRYPTION_KEYS"):
        crypto.encrypt("x")
