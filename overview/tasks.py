"""The home page's background job: roll the chart days up after each store run, so that
no page has to ask the store about them (run by `manage.py db_worker`).

Enqueued by fleetstore's `run_finished` signal (connected in overview.apps). Safe to run
twice or late: it writes the days whose rows no longer hold, as the store is now.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from fleetadmin.models import UserPreferences
from fleetstore.models import FleetSync
from overview import figures, rollups
from overview.models import FleetDay
from overview.periods import CHART_DAYS, Calendar


@task
def roll_up_fleet(fleet_id: int, zone: str | None = None) -> str:
    """Write the chart days of one fleet whose rows no longer hold, in every user's zone, or
    only in `zone` (the home page asks for a zone it found no roll-up of: overview.charts)."""
    store = FleetSync.objects.filter(pk=fleet_id, enabled=True).first()
    if store is None:
        return "no such fleet, or its sync is off"
    now, names = timezone.now(), [zone] if zone else zones()
    for zone in names:
        # Asks the store about the days whose rows no longer hold, and keeps them.
        figures.chart_days(store, Calendar(now=now, zone=ZoneInfo(zone)))
    # Days older than every chart (a day in the furthest-ahead zone, one day of slack).
    rollups.forget_before(now.date() - timedelta(days=CHART_DAYS + 1))
    return f"rolled up {len(names)} zones"


def zones() -> list[str]:
    """The zones a page may be shown in: the default one and every user's choice."""
    chosen = UserPreferences.objects.values_list("time_zone", flat=True).distinct()
    return sorted({settings.FLEETADMIN_DEFAULT_TIME_ZONE, *chosen})


def enqueue_after_run(sender, *, fleet_id: int, **kwargs) -> None:
    """fleetstore.signals.run_finished receiver: roll the fleet's days up, in the worker."""
    roll_up_fleet.enqueue(fleet_id)


def enqueue_for_a_new_zone(sender, *, instance: UserPreferences, **kwargs) -> None:
    """post_save receiver of UserPreferences: a zone no roll-up covers yet is rolled up
    for every synced fleet at once, not only after the next run (the user's next page
    would otherwise ask the store about all 30 days)."""
    if FleetDay.objects.filter(zone=instance.time_zone).exists():
        return
    for fleet_id in FleetSync.objects.filter(enabled=True).values_list("pk", flat=True):
        roll_up_fleet.enqueue(fleet_id)
