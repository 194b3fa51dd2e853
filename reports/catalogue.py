"""The reports there are: slug → builder, title, description and page (URL name).

Scheduled reports and other screens (the home page, alerts) find a report here by its
slug and call `REPORTS[slug].build(store, start=…, end=…, car_ids=…)`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports import mileage, service_ends, sessions, utilisation


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    build: Callable
    url_name: str  # in the "reports" namespace


REPORTS: dict[str, Report] = {report.slug: report for report in (
    Report("service-ends", pgettext_lazy("report title", "Service ends"),
           _("Every device of every car with its service end, overdue first."),
           service_ends.build, "service_ends"),
    Report("mileage", _("Mileage per car"),
           _("The odometer at the period's start and end, and the km between; per day for "
             "one car."),
           mileage.build, "mileage"),
    Report("utilisation", _("Utilisation"),
           _("Days used per car, idle cars and silent devices."),
           utilisation.build, "utilisation"),
    Report("sessions", _("Usage sessions"),
           _("Who had which car when: each opening and closing, with places and km. Answers "
             "\"who had car X at this moment?\"."),
           sessions.build, "sessions"),
)}


def report(slug: str) -> Report:
    """The report with this slug (KeyError if none)."""
    return REPORTS[slug]
