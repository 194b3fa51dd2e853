from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    name = "overview"
    verbose_name = _("Overview")

    def ready(self):
        from django.db.models.signals import post_save

        from fleetadmin.models import UserPreferences
        from fleetstore.signals import run_finished
        from overview.tasks import enqueue_after_run, enqueue_for_a_new_zone

        # After each store run, and when a user picks a zone no roll-up covers yet, the
        # worker rolls the home page's chart days up.
        run_finished.connect(enqueue_after_run, dispatch_uid="overview.roll_up_after_run")
        post_save.connect(enqueue_for_a_new_zone, sender=UserPreferences,
                          dispatch_uid="overview.roll_up_a_new_zone")
