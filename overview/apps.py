from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    name = "overview"
    verbose_name = _("Overview")

    def ready(self):
        from fleetstore.signals import run_finished
        from overview.tasks import enqueue_after_run

        # After each store run the worker rolls the home page's chart days up.
        run_finished.connect(enqueue_after_run, dispatch_uid="overview.roll_up_after_run")
