from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetstoreConfig(AppConfig):
    """The fleet store: each fleet's cars, positions and events, kept by background syncs."""

    name = "fleetstore"
    verbose_name = _("Fleet store")
