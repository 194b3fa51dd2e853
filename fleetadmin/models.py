"""Per-user data fleetadmin keeps itself: flinkey credentials and display preferences."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fleetadmin.secrets.fields import EncryptedTextField


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


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(zone)s” is not a known time zone."), params={"zone": value})


def validate_language(value: str) -> None:
    if value and value not in dict(settings.LANGUAGES):
        raise ValidationError(_("“%(language)s” is not a language of fleetadmin."),
                              params={"language": value})


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
    # One of settings.LANGUAGES; blank: the browser's (Accept-Language), or the header's
    # switcher for this browser. fleetadmin.web.user_locale.UserLanguageMiddleware applies it.
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", validators=[validate_language],
    )
    # The user's own id at flinkey: the default "who" of an event they record.
    flinkey_user_id = models.PositiveIntegerField(
        _("flinkey user id"), null=True, blank=True,
        validators=[MaxValueValidator(2_147_483_647)],
    )

    def __str__(self):
        return str(_("preferences of %(user)s") % {"user": self.user})
