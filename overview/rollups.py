"""The chart days kept in the database (overview.models.FleetDay): which rows still hold,
and writing them again.

A day's figures change only when a store run writes, and only while the day is within the
runs' re-read window (FLEETSTORE_EVENTS_REREAD_HOURS after its end): no run after that
brings events or samples of it. So a row holds while the store's runs are the ones it was
computed after, and for good once it was computed after a run past the day's window.
"""

from datetime import date, datetime, timedelta

from django.conf import settings

from fleetstore.models import FleetSync
from overview.models import FleetDay
from overview.periods import Calendar


def runs_of(store: FleetSync) -> tuple[str, datetime | None]:
    """The store's runs as a stamp, and the latest of them (None before any)."""
    moments = (store.synced_at, store.sampled_at)
    stamp = "-".join(f"{moment.timestamp():.6f}" if moment else "none" for moment in moments)
    return stamp, max((moment for moment in moments if moment), default=None)


def zone_name(calendar: Calendar) -> str:
    return str(calendar.zone)


def holding(store: FleetSync, calendar: Calendar) -> dict[date, FleetDay]:
    """The calendar's days whose kept row still holds (1 query)."""
    return {day: row for day, (row, holds) in kept(store, calendar).items() if holds}


def kept(store: FleetSync, calendar: Calendar) -> dict[date, tuple[FleetDay, bool]]:
    """Every kept row of the calendar's days, and whether it still holds (1 query).

    A row that no longer holds is the newest roll-up of its day: a store run has written
    since, and the day is within the run's re-read window, so it may have changed (the home
    page shows it until the run's own roll-up has replaced it).
    """
    stamp, _latest = runs_of(store)
    reread = timedelta(hours=settings.FLEETSTORE_EVENTS_REREAD_HOURS)
    rows = FleetDay.objects.filter(fleet=store, zone=zone_name(calendar),
                                   day__gte=calendar.days[0], day__lte=calendar.days[-1])
    return {row.day: (row, row.runs == stamp or (
        row.runs_at is not None
        and row.runs_at >= calendar.start(row.day + timedelta(days=1)) + reread))
        for row in rows}


def keep(store: FleetSync, calendar: Calendar, days) -> None:
    """Write (or overwrite) the rows of `days` (overview.figures.Day) in the calendar's zone,
    stamped with the store's runs as they were when the days were asked (1 query)."""
    stamp, latest = runs_of(store)
    FleetDay.objects.bulk_create(
        [FleetDay(fleet=store, zone=zone_name(calendar), day=row.day, opened=row.opened,
                  closed=row.closed, km=row.km, runs=stamp, runs_at=latest) for row in days],
        update_conflicts=True, unique_fields=["fleet", "zone", "day"],
        update_fields=["opened", "closed", "km", "runs", "runs_at"])


def forget_before(day: date) -> int:
    """Delete the rows of days before `day` (they have left every chart)."""
    return FleetDay.objects.filter(day__lt=day).delete()[0]
