"""What the home page shows of the 30 chart days: the roll-ups (overview.rollups), never the
30 days worked out inline over the whole store.

- Every day has a kept row: the page shows them. A row a store run has made stale (the day
  is within the run's re-read window) is shown as the newest roll-up had it, until the
  run's own roll-up (enqueued when the run finished) replaces it: the days before the run's
  window are unchanged, so only those last days can be a run behind.
- A few days have no row yet (today, just after midnight, before the next run's roll-up):
  at most INLINE_DAYS of them are asked from the store inline (one day's openings and
  kilometres: see docs/benchmarks.md for its time) and kept.
- Otherwise (a zone no roll-up covers yet, or a roll-up older than a few days): nothing is
  asked of the store; the roll-up for the zone is enqueued once (not per request: a cache
  key marks it for ASKED_FOR_SECONDS) and the page shows "Preparing the charts…", asking
  again every few seconds (the template's htmx poll) until the rows are there.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache

from fleetstore.models import FleetSync
from overview import figures, rollups
from overview.periods import Calendar

# Days without a row the page may ask the store about itself (the newest days only).
INLINE_DAYS = 1
# How long one enqueued roll-up of a zone stands for every page that finds it missing:
# about as long as the page polls (then it says the worker may not be running); a page
# after that enqueues it once more.
ASKED_FOR_SECONDS = 120


@dataclass(frozen=True)
class Charts:
    """The chart days, or None while the zone's roll-up is being prepared; and the days
    shown as the newest roll-up had them (a store run has written since)."""

    days: list[figures.Day] | None
    behind: list[date] = field(default_factory=list)

    @property
    def preparing(self) -> bool:
        return self.days is None


def charts(store: FleetSync, calendar: Calendar) -> Charts:
    """The calendar's chart days from the kept rows (1 query), the few newest missing ones
    asked inline (2 more), or None with the zone's roll-up enqueued (see the docstring)."""
    kept = rollups.kept(store, calendar)
    missing = [day for day in calendar.days if day not in kept]
    if missing and (len(missing) > INLINE_DAYS or missing[0] != calendar.days[-len(missing)]):
        ask_for_roll_up(store, calendar)
        return Charts(days=None)
    found = {day: figures.Day(day, row.opened, row.closed, row.km)
             for day, (row, _holds) in kept.items()}
    if missing:
        asked = figures.ask(store, calendar, missing)
        rollups.keep(store, calendar, asked.values())
        found.update(asked)
    behind = [day for day, (_row, holds) in sorted(kept.items()) if not holds]
    return Charts(days=[found[day] for day in calendar.days], behind=behind)


def ask_for_roll_up(store: FleetSync, calendar: Calendar) -> bool:
    """Enqueue the roll-up of the calendar's zone for `store`, unless a page did in the last
    ASKED_FOR_SECONDS; return True when this call enqueued it."""
    from overview.tasks import roll_up_fleet

    zone = rollups.zone_name(calendar)
    if not cache.add(f"overview:roll-up-asked:{store.pk}:{zone}", True, ASKED_FOR_SECONDS):
        return False
    roll_up_fleet.enqueue(store.pk, zone)
    return True
