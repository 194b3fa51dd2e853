"""Delete audit entries older than the retention period, and record that it was done."""

import getpass
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.recording import record


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS (or --days); records the run."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="keep this many days instead of AUDIT_RETENTION_DAYS")
        parser.add_argument("--dry-run", action="store_true",
                            help="only count what would be deleted")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("The retention must be at least one day.")
        cutoff = timezone.now() - timedelta(days=days)
        if dry_run:
            count = AuditEntry.objects.filter(created_at__lt=cutoff).count()
            self.stdout.write(f"would delete {count} entries older than {cutoff.isoformat()}")
            return
        try:
            operator = getpass.getuser()
        except (OSError, KeyError):
            operator = ""
        with transaction.atomic():
            deleted = AuditEntry.prune(older_than=cutoff)
            # Who, what and how many: the pruning is itself on record (and newer than the cutoff).
            record(user=None, action="audit.prune", username="prune_audit_log",
                   changes={"deleted": deleted, "older_than": cutoff.isoformat(),
                            "retention_days": days, "operator": operator[:150]})
        self.stdout.write(f"deleted {deleted} entries older than {cutoff.isoformat()}")
