"""Who people are (their single sign-on identity) and the permissions roles are made of."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Access(models.Model):
    """Declares the permissions of the fleet and user screens; it has no table and no rows.

    Roles are Django groups holding these permissions (see accounts.roles); the audit
    log's own permission, view_all_audit, is declared on audit.AuditEntry.
    """

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("access")
        verbose_name_plural = _("access")
        permissions = [
            ("change_fleet", _("Can create, change and delete cars and events")),
            ("manage_users", _("Can manage users, roles and their flinkey credentials")),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class SignInLockout(models.Model):
    """A lock-out of failed password sign-ins that is on record (accounts.lockouts).

    One row per (username, address) pair while its lock lasts: whoever inserts it writes
    the audit entry, so a lock is recorded once however many instances refuse how many
    attempts at once. The row goes when the pair's attempts are reset (a successful
    sign-in, an unlock, expired attempts cleaned up); `until` ends it otherwise.
    """

    # As django-axes names the pair: the account's username or "unknown user", and the
    # client's address (accounts.throttle).
    username = models.CharField(max_length=255)
    ip_address = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"],
                                    name="sign_in_lockout_unique_pair")
        ]

    def __str__(self):
        return f"{self.username} from {self.ip_address or '?'} until {self.until:%Y-%m-%d %H:%M}"
