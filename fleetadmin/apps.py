from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FleetadminConfig(AppConfig):
    name = "fleetadmin"
    verbose_name = _("fleetadmin")

    def ready(self):
        from fleetadmin import checks, signals  # noqa: F401 - registers checks, receivers
        from fleetadmin.roles import ensure_role_groups

        # After the permissions exist (they are created post_migrate too, by auth).
        post_migrate.connect(ensure_role_groups, sender=self)
