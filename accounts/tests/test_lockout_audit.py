"""A lock-out is recorded once per episode, not once per refused attempt.

A script that keeps trying a locked-out pair (username, address) used to add an audit
entry per attempt: 50–70 a second from one client. Now the lock is one entry ("sign-in
locked out") from the moment it starts until it expires or the pair is reset, however
many attempts it refuses, on how many instances and at once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.access import ROLE_ADMIN
from audit.models import AuditEntry
from config.testing import make_user

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def throttle(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def log_in(client, username, password, remote_addr="10.1.2.3"):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=remote_addr)


def entries(action):
    return AuditEntry.objects.filter(action=action)


@pytest.mark.django_db
def test_refused_attempts_add_no_entry_the_lock_one(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for _attempt in range(4):
        assert log_in(client, "pat", "wrong").status_code == 200
    assert log_in(client, "pat", "wrong").status_code == 429  # the fifth starts the lock
    assert entries("auth.login_failed").count() == 5
    assert entries("auth.locked_out").count() == 1  # the fifth failure started the lock

    for _attempt in range(40):
        assert log_in(client, "pat", "wrong").status_code == 429
    assert log_in(client, "pat", PASSWORD).status_code == 429

    assert entries("auth.login_failed").count() == 5
    lock = entries("auth.locked_out").get()
    assert lock.username == "pat"
    assert lock.outcome == AuditEntry.Outcome.FAILURE
    assert lock.message == "5 failed sign-ins from one address; locked for 15 minutes"


@pytest.mark.django_db
def test_another_address_is_an_episode_of_its_own(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for address in ("10.1.2.3", "10.9.9.9"):
        for _attempt in range(8):
            log_in(client, "pat", "wrong", remote_addr=address)
    assert entries("auth.locked_out").count() == 2


@pytest.mark.django_db
def test_an_unknown_name_is_locked_once_too(client, flinkey_api, throttle):
    for _attempt in range(20):
        log_in(client, "nobody-has-this-name", "wrong")
    lock = entries("auth.locked_out").get()
    assert lock.username == "unknown user"


@pytest.mark.django_db
def test_after_the_cool_off_a_new_lock_is_a_new_episode(client, flinkey_api, throttle):
    from axes.models import AccessAttempt

    from accounts.models import SignInLockout

    make_user("pat", with_credentials=False)
    for _attempt in range(8):
        log_in(client, "pat", "wrong")
    # The cool-off passes (the attempts and the episode are moved into the past).
    past = throttle.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    for episode in SignInLockout.objects.all():
        SignInLockout.objects.filter(pk=episode.pk).update(until=episode.until - past)
    for _attempt in range(8):
        log_in(client, "pat", "wrong")
    assert entries("auth.locked_out").count() == 2


@pytest.mark.django_db
def test_an_unlock_ends_the_episode(client, flinkey_api, throttle):
    pat = make_user("pat", with_credentials=False)
    for _attempt in range(8):
        log_in(client, "pat", "wrong")
    admin = Client()
    admin.force_login(make_user("ada", role=ROLE_ADMIN, with_credentials=False))
    assert admin.post(reverse("user-unlock", args=[pat.pk])).status_code == 302
    for _attempt in range(8):
        log_in(client, "pat", "wrong")
    assert entries("auth.locked_out").count() == 2


@pytest.mark.django_db
def test_a_successful_sign_in_ends_the_count(client, flinkey_api, throttle):
    # Four mistakes, then the right password: the next five mistakes are a new count,
    # and their lock is recorded (once).
    make_user("pat", with_credentials=False)
    for _attempt in range(4):
        log_in(client, "pat", "wrong")
    assert log_in(client, "pat", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _attempt in range(4):
        log_in(client, "pat", "wrong")
    assert not entries("auth.locked_out").exists()
    for _attempt in range(4):
        log_in(client, "pat", "wrong")
    assert entries("auth.locked_out").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_at_the_limit_record_one_lock(flinkey_api, throttle):
    """Eight attempts at once, each on its own connection (instances), as the lock begins.

    Some of them are counted and reach the limit, the rest are refused by it: every one
    of them is told "locked out", and the audit log holds one lock entry.
    """
    make_user("pat", with_credentials=False)
    client = Client()
    for _attempt in range(4):
        log_in(client, "pat", "wrong")
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    statuses, errors = [], []

    def attempt():
        try:
            barrier.wait(timeout=10)
            statuses.append(log_in(Client(), "pat", "wrong").status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(statuses) == threads_count
    assert log_in(client, "pat", "wrong").status_code == 429
    assert entries("auth.locked_out").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_refused_attempts_record_one_lock(flinkey_api, throttle):
    """Two (and more) refused attempts at once, before anyone recorded the lock."""
    from accounts.models import SignInLockout

    make_user("pat", with_credentials=False)
    client = Client()
    for _attempt in range(5):
        log_in(client, "pat", "wrong")
    # Forget the episode (as after its end): the next refused attempts race to record a
    # new one, each on its own connection.
    SignInLockout.objects.all().delete()
    before = entries("auth.locked_out").count()
    barrier = threading.Barrier(6)
    statuses, errors = [], []

    def attempt():
        try:
            barrier.wait(timeout=10)
            statuses.append(log_in(Client(), "pat", "wrong").status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert statuses == [429] * 6
    assert entries("auth.locked_out").count() == before + 1
    assert entries("auth.login_failed").count() == 5
