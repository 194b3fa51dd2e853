from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreferencesConfig(AppConfig):
    """The Settings screen. Its data (FlinkeyCredentials, UserPreferences) stays in the
    core's models (app label "fleetadmin"): every screen reads it through the core."""

    name = "preferences"
    verbose_name = _("Settings")
