"""Retention: prune_audit_log deletes entries older than AUDIT_RETENTION_DAYS, and says so."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.models import AuditEntry
from audit.recording import record

pytestmark = pytest.mark.django_db


def entry_aged(days: float, action="car.update"):
    entry = record(user=None, action=action, username="someone")
    # The model refuses updates; the test moves the timestamp underneath it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET created_at = %s WHERE id = %s",
                       [timezone.now() - timedelta(days=days), entry.pk])
    return entry


def test_old_entries_go_and_the_pruning_is_recorded(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old, older = entry_aged(31), entry_aged(400)
    recent = entry_aged(29)
    out = StringIO()
    call_command("prune_audit_log", stdout=out)
    remaining = set(AuditEntry.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and old.pk not in remaining and older.pk not in remaining
    prune = AuditEntry.objects.get(action="audit.prune")
    assert prune.changes["deleted"] == 2
    assert prune.changes["retention_days"] == 30
    assert prune.changes["older_than"]
    assert "2" in out.getvalue()


def test_the_days_can_be_given(settings):
    settings.AUDIT_RETENTION_DAYS = 730
    entry_aged(100)
    call_command("prune_audit_log", "--days", "90", stdout=StringIO())
    assert AuditEntry.objects.get(action="audit.prune").changes["deleted"] == 1


def test_a_dry_run_deletes_nothing(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    entry_aged(100)
    out = StringIO()
    call_command("prune_audit_log", "--dry-run", stdout=out)
    assert AuditEntry.objects.count() == 1
    assert "would delete 1" in out.getvalue()


def test_nonsense_days_are_refused(settings):
    with pytest.raises(CommandError):
        call_command("prune_audit_log", "--days", "0", stdout=StringIO())


def test_the_app_still_cannot_delete_entries():
    entry = record(user=None, action="car.update")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        entry.delete()


def test_the_default_keeps_two_years():
    from django.conf import settings

    assert settings.AUDIT_RETENTION_DAYS == 730
