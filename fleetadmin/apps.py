from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetadminConfig(AppConfig):
    name = "fleetadmin"
    verbose_name = _("fleetadmin")

    def ready(self):
        from fleetadmin.upstream import checks  # noqa: F401 - registers the system checks
