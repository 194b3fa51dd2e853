"""Per-user data fleetadmin keeps itself: flinkey credentials and display preferences."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fleetadmin.fields import EncryptedTextField


class FlinkeyCredentials(models.Model):
    """The flinkey API manager account a user works with, and the customer chosen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flinkey_credentials"
    )
    api_key = EncryptedTextField(_("API key"), blank=True)
    username = EncryptedTextField(_("API manager username"), blank=True)
    password = EncryptedTextField(_("API manager password"), blank=True)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True)
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("flinkey credentials")
        verbose_name_plural = _("flinkey credentials")

    def __str__(self):
        return str(_("flinkey credentials of %(user)s") % {"user": self.user})

    def __repr__(self):
        # Never show a secret, not even in a debugger or a log line.
        return f"<FlinkeyCredentials user={self.user_id} customer={self.customer_id}>"

    @property
    def is_complete(self) -> bool:
        """True when the account can ask for a token (key, username and password set)."""
        return bool(self.api_key and self.username and self.password)

    @property
    def is_ready(self) -> bool:
        """True when resource calls can be made: complete and a customer chosen."""
        return self.is_complete and self.customer_id is not None


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(zone)s” is not a known time zone."), params={"zone": value})


def default_time_zone() -> str:
    return settings.FLEETADMIN_DEFAULT_TIME_ZONE


class UserPreferences(models.Model):
    """How a user wants to see things; times are always stored in UTC."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone],
        default=default_time_zone,
    )
    # The user's own id at flinkey: the default "who" of an event they record.
    flinkey_user_id = models.PositiveIntegerField(
        _("flinkey user id"), null=True, blank=True,
        validators=[MaxValueValidator(2_147_483_647)],
    )

    def __str__(self):
        return str(_("preferences of %(user)s") % {"user": self.user})


class SSOIdentity(models.Model):
    """Who a user is at the corporate identity provider (OpenID Connect issuer and subject)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sso_identity_unique_subject"
            )
        ]

    def __str__(self):
        return f"{self.issuer} {self.subject}"


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
    car_id = models.BigIntegerField(_("car ID"), null=True, blank=True, db_index=True)
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
            ("change_fleet", _("Can create, change and delete cars and events")),
            ("manage_users", _("Can manage users, roles and their flinkey credentials")),
            ("view_all_audit", _("Can read everyone's audit entries")),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")
