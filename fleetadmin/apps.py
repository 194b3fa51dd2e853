from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetadminConfig(AppConfig):
    name = "fleetadmin"
    verbose_name = _("fleetadmin")
