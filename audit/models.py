"""The audit log's one model: an append-only entry per thing done through fleetadmin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    """Bulk changes are refused like single ones: the log is append-only."""

    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")


class AuditEntry(models.Model):
    """One thing someone did through fleetadmin, and how it ended. Never edited or deleted."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        # Sent, but no answer: flinkey may or may not have made the change.
        UNKNOWN = "unknown", _("unknown")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="audit_entries",
    )
    # Copied, so the entry still names the person after the account is renamed or removed.
    username = models.CharField(_("user"), max_length=150, blank=True)
    sso_subject = models.CharField(_("SSO subject"), max_length=255, blank=True)
    # The account acted upon (role and credential changes made by an administrator).
    target = models.CharField(_("affected user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True)
    # The names at the time of the entry, shown with the ids; NULL for entries made before
    # names were recorded (those show the ids alone).
    customer_name = models.CharField(  # noqa: DJ001 - NULL: not recorded, "": no name
        _("customer"), max_length=200, null=True, blank=True)
    car_id = models.BigIntegerField(_("car ID"), null=True, blank=True, db_index=True)
    car_name = models.CharField(  # noqa: DJ001 - NULL: not recorded, "": no name
        _("car"), max_length=255, null=True, blank=True)
    event_id = models.BigIntegerField(_("event ID"), null=True, blank=True)
    # {"field": {"before": ..., "after": ...}} for updates; the values sent for creates.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    upstream_status = models.PositiveSmallIntegerField(_("upstream status"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        permissions = [
            ("view_all_audit", _("Can read everyone's audit entries")),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        self._fill_in_names()
        super().save(*args, **kwargs)

    def _fill_in_names(self) -> None:
        """Take the car's and the customer's names from what the entry already knows."""
        if self.car_id is not None and self.car_name is None:
            self.car_name = self._car_name_in_changes()
        if self.customer_id is not None and self.customer_name is None and self.user_id:
            from fleetadmin.models import FlinkeyCredentials

            credentials = FlinkeyCredentials.objects.filter(
                user_id=self.user_id, customer_id=self.customer_id
            ).values_list("customer_name", flat=True).first()
            if credentials:
                self.customer_name = credentials[:200]

    def _car_name_in_changes(self) -> str | None:
        """The car's name as the changes carry it (a car's create, edit or delete), or None."""
        name = (self.changes or {}).get("name")
        if isinstance(name, dict):
            name = name.get("after") or name.get("before")
        return name[:255] if isinstance(name, str) and name else None

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")

    def settle(self, *, outcome: str, **fields) -> bool:
        """Record how a write that was logged before it was sent ended; return True if it did.

        The one change an entry allows: from "unknown" (written before the upstream call, so
        a worker killed mid-call leaves "unknown", never nothing) to its final outcome, once.
        """
        if fields.get("car_id") is not None and self.car_name is None:
            # A created car's id is learnt only now; its name was in the changes all along.
            fields.setdefault("car_name", self._car_name_in_changes())
        # The plain base manager: the guarded queryset refuses every update by design.
        settled = type(self)._base_manager.filter(
            pk=self.pk, outcome=self.Outcome.UNKNOWN
        ).update(outcome=outcome, **fields)
        if settled:
            self.outcome = outcome
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(settled)

    @classmethod
    def prune(cls, *, older_than) -> int:
        """Delete the entries created before `older_than`; return how many.

        The one way entries leave the log: retention, run by the prune_audit_log command
        (which records that it ran). Nothing in the app calls it.
        """
        doomed = cls.objects.filter(created_at__lt=older_than)
        # The queryset's own delete() refuses; the base class's is the deliberate path.
        deleted, _per_model = models.QuerySet.delete(doomed)
        return deleted
