"""A transactional test's teardown leaves the database as flush + post_migrate would, faster.

config.testing.restore_baseline_instead_of_post_migrate: after the first teardown, the rows
post_migrate made (content types, permissions, role groups) are copied back instead of the
signal being emitted again, which cost the browser tests 1 to 3 s each.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_migrate
from django.test import TransactionTestCase

from accounts.access import ROLE_FLEET_MANAGER

pytestmark = pytest.mark.django_db(transaction=True)


class Flushing(TransactionTestCase):
    """Django's TransactionTestCase, only for its teardown (not a test of its own)."""

    __test__ = False
    databases = {"default"}

    def runTest(self):
        pass


def reference_rows() -> dict:
    """What post_migrate makes, without ids (they differ between Django's way and ours)."""
    return {
        "content types": sorted(ContentType.objects.values_list("app_label", "model")),
        "permissions": sorted(Permission.objects.values_list(
            "content_type__app_label", "codename", "name")),
        "groups": {group.name: sorted(group.permissions.values_list("codename", flat=True))
                   for group in Group.objects.all()},
    }


def spoil_the_database():
    get_user_model().objects.create_user("left-behind")
    Group.objects.get(name=ROLE_FLEET_MANAGER).permissions.clear()
    Group.objects.create(name="made by a test")
    stray = ContentType.objects.create(app_label="stray", model="thing")
    Permission.objects.create(content_type=stray, codename="stray", name="Stray")


def test_the_teardown_restores_post_migrates_rows_without_emitting_it():
    migrated = reference_rows()
    assert migrated["groups"][ROLE_FLEET_MANAGER]  # the role groups exist, with permissions
    emitted = []

    def count(**kwargs):
        emitted.append(kwargs["app_config"].label)

    post_migrate.connect(count, dispatch_uid="test-transactional-teardown")
    try:
        for _round in range(3):  # the first may take Django's way; the later ones may not
            emitted.clear()
            spoil_the_database()
            Flushing()._fixture_teardown()
            assert reference_rows() == migrated
            assert not get_user_model().objects.exists()
    finally:
        post_migrate.disconnect(dispatch_uid="test-transactional-teardown")
    assert emitted == []
    # New rows still get fresh ids (none taken by the copied rows).
    Group.objects.create(name="after the teardown")
