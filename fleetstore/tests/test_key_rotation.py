"""The sync credential is rotated with every other secret by rotate_encryption_keys."""

from cryptography.fernet import Fernet
from django.core.management import call_command

from fleetstore.models import FleetSync
from fleetstore.tests.conftest import make_fleet
from flinkey_sandbox import DEMO


def test_the_key_rotation_command_reencrypts_the_sync_credential(db, settings):
    fleet = make_fleet("http://127.0.0.1:1/v3")
    new_key = Fernet.generate_key().decode()
    settings.FLINKEY_ENCRYPTION_KEYS = [new_key, *settings.FLINKEY_ENCRYPTION_KEYS]

    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FLINKEY_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    fresh = FleetSync.objects.get(pk=fleet.pk)
    assert (fresh.api_key, fresh.username, fresh.password) == (
        DEMO.api_key, DEMO.username, DEMO.password)
