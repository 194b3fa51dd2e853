from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulesConfig(AppConfig):
    name = "schedules"
    verbose_name = _("Scheduled reports")

    def ready(self):
        from django.utils.dates import WEEKDAYS

        from audit.recording import describe_fields
        from schedules.changes import FIELDS
        from schedules.models import Schedule

        # The audit log writes what a schedule records as its form does.
        describe_fields(Schedule, [*FIELDS, "recipients"], values={"weekday": WEEKDAYS},
                        labels={"schedule": _("scheduled report"), "run": _("report run")})
