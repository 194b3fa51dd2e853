"""Two demotions at the same instant never leave the app without an administrator.

Real threads, each with its own database connection (PostgreSQL), meeting at a barrier
right after the last-admin check: without a lock both checks count two admins and both
demotions go through.
"""

import contextlib
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import users_views
from accounts.access import ROLE_ADMIN, ROLE_SUPPORT
from config.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_admins(flinkey_api):
    return make_user("ada", role=ROLE_ADMIN), make_user("bob", role=ROLE_ADMIN)


def _race(monkeypatch, requests):
    """Run each (acting user, target) demotion in its own thread; return the answers."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database shares one cache between threads, "
                    "whose table locks fail at once instead of waiting; CI runs this test "
                    "on PostgreSQL, where row locks are real")
    barrier = threading.Barrier(len(requests))
    real_change_role = users_views.change_role

    def change_role_after_everyone_checked(*args, **kwargs):
        # Without a lock every request gets here; with one, the later request waits in
        # the check, so the earlier one waits here in vain and goes on after the timeout.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return real_change_role(*args, **kwargs)

    monkeypatch.setattr(users_views, "change_role", change_role_after_everyone_checked)
    answers = [None] * len(requests)

    def demote(index, actor, target):
        try:
            client = Client()
            client.force_login(actor)
            answers[index] = client.post(reverse("user-role", args=[target.pk]),
                                         {"role": ROLE_SUPPORT})
        finally:
            from django.db import connections
            connections.close_all()

    threads = [threading.Thread(target=demote, args=(index, actor, target))
               for index, (actor, target) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def _admins():
    return set(Group.objects.get(name=ROLE_ADMIN).user_set.values_list("username", flat=True))


def test_two_admins_demoting_each_other_leave_one_admin(two_admins, monkeypatch):
    ada, bob = two_admins
    answers = _race(monkeypatch, [(ada, bob), (bob, ada)])
    assert len(_admins()) == 1
    assert sorted(answer.status_code for answer in answers) == [302, 409]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert "only administrator" in refused.content.decode()


def test_one_admin_in_two_tabs_keeps_an_admin(two_admins, monkeypatch):
    ada, bob = two_admins
    answers = _race(monkeypatch, [(ada, bob), (ada, ada)])
    assert len(_admins()) == 1
    assert sorted(answer.status_code for answer in answers) == [302, 409]



def test_sqlite_refuses_a_concurrent_role_change_with_a_message(two_admins, monkeypatch):
    # SQLite answers a second writer "database is locked" at once; the loser is told, no 500.
    from django.db import OperationalError

    ada, bob = two_admins

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(users_views, "change_role", locked)
    monkeypatch.setattr(users_views, "_is_sqlite_busy", lambda error: True)
    client = Client()
    client.force_login(ada)
    response = client.post(reverse("user-role", args=[bob.pk]), {"role": ROLE_SUPPORT})
    assert response.status_code == 409
    assert "nothing was changed" in response.content.decode()
    assert _admins() == {"ada", "bob"}


def test_two_admins_deactivating_each_other_leave_one_active_admin(two_admins, monkeypatch):
    # The same guard as for roles: the check and the change under one lock.
    from accounts import user_admin

    if connection.vendor == "sqlite":
        pytest.skip("needs PostgreSQL's row locks (see _race)")
    ada, bob = two_admins
    barrier = threading.Barrier(2)
    real_switch = user_admin._switch_active

    def switch_after_everyone_checked(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return real_switch(*args, **kwargs)

    monkeypatch.setattr(user_admin, "_switch_active", switch_after_everyone_checked)
    answers = {}

    def deactivate(actor, target):
        try:
            client = Client()
            client.force_login(actor)
            answers[actor.username] = client.post(reverse("user-active", args=[target.pk]),
                                                  {"active": "0", "confirm": "yes"})
        finally:
            from django.db import connections
            connections.close_all()

    threads = [threading.Thread(target=deactivate, args=pair) for pair in [(ada, bob), (bob, ada)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    active_admins = Group.objects.get(name=ROLE_ADMIN).user_set.filter(is_active=True).count()
    assert active_admins == 1
    assert sorted(answer.status_code for answer in answers.values()) == [302, 409]
