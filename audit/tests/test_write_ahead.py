"""A write is on record before it is sent: a worker killed mid-call leaves "unknown"."""

import pytest

from audit.models import AuditEntry
from audit.recording import recording
from config.testing import make_user

pytestmark = pytest.mark.django_db


def test_the_entry_exists_as_unknown_while_flinkey_works(flinkey_api):
    user = make_user("writer")
    with recording(user=user, action="car.update", car_id=7) as entry:
        during = AuditEntry.objects.get(pk=entry.pk)
        assert during.outcome == AuditEntry.Outcome.UNKNOWN
    assert AuditEntry.objects.get(pk=entry.pk).outcome == AuditEntry.Outcome.SUCCESS


def test_a_worker_killed_mid_call_leaves_unknown_never_nothing(flinkey_api):
    # Gunicorn's timeout ends a sync worker with SystemExit (a BaseException): nothing of
    # ours runs after it, so the entry must already be there.
    user = make_user("killed")
    with pytest.raises(SystemExit), recording(user=user, action="car.delete", car_id=9):
        raise SystemExit(1)
    entry = AuditEntry.objects.get(action="car.delete")
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN and entry.car_id == 9


def test_what_the_block_learned_is_kept(flinkey_api):
    user = make_user("creator")
    with recording(user=user, action="car.create") as entry:
        entry.car_id = 4242
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.car_id == 4242 and stored.outcome == AuditEntry.Outcome.SUCCESS


def test_an_entry_settles_once_and_only_from_unknown(flinkey_api):
    user = make_user("once")
    with recording(user=user, action="car.update") as entry:
        pass
    assert not entry.settle(outcome=AuditEntry.Outcome.FAILURE)  # already settled
    assert AuditEntry.objects.get(pk=entry.pk).outcome == AuditEntry.Outcome.SUCCESS
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(outcome="failure")
