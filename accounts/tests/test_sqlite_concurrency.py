"""Concurrent failed sign-ins on the SQLite default never fail with "database is locked".

A failed sign-in reads and then writes (django-axes counts it, the audit log records
it). Two such transactions on SQLite's default (DEFERRED) mode cannot wait for each other:
the second writer was told "database is locked" at once, and the user got a 500.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from config.testing import make_user

ROOT = Path(__file__).resolve().parents[2]


def database_settings(database_url: str | None) -> dict:
    """DATABASES["default"] as a fresh interpreter reads it from the environment."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    script = ("import json; from django.conf import settings as s; "
              "print(json.dumps(s.DATABASES['default'], default=str))")
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True)
    return json.loads(result.stdout)


def test_sqlite_waits_for_the_write_lock_other_databases_are_untouched():
    sqlite = database_settings(None)
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert 5 <= sqlite["OPTIONS"]["timeout"] < 30  # below gunicorn's worker timeout
    postgres = database_settings("postgres://user@db.example:5432/fleetadmin")
    assert "transaction_mode" not in postgres.get("OPTIONS", {})
    assert "timeout" not in postgres.get("OPTIONS", {})


@pytest.mark.django_db(transaction=True)
def test_concurrent_failed_sign_ins_on_a_sqlite_file(flinkey_api, settings):
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        pytest.skip("about the SQLite default (a file); this run uses another database")
    settings.AXES_FAILURE_LIMIT = 1000  # no lock-outs: every attempt checks its password
    people = 8
    for number in range(people):
        make_user(f"user{number}", with_credentials=False)
    barrier = threading.Barrier(people)
    statuses, errors = [], []

    def sign_in_wrongly(number: int):
        client = Client()
        try:
            barrier.wait(timeout=10)
            for _attempt in range(5):
                response = client.post(reverse("login"), {
                    "username": f"user{number}", "password": "wrong"},
                    REMOTE_ADDR=f"10.0.0.{number + 1}")
                statuses.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in_wrongly, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert statuses == [200] * (people * 5)
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == people * 5
