"""What the home page shows of the 30 chart days: the roll-ups (overview.rollups), never the
30 days worked out inline over the whole store.

- Every day has a kept row: the page shows them. A row a store run has made stale (the day
  is within the run's re-read window) is shown as the newest roll-up had it, until the
  run's own roll-up (enqueued when the run finished) replaces it: the days before the run's
  window are unchanged, so only those last days can be a run behind.
- A day has no row yet (a zone no roll-up covers yet; today, just after midnight, before
  the next run's roll-up; a roll-up days old): nothing is asked of the store; the roll-up
  for the zone is enqueued once (not per request: a cache key marks it for
  ASKED_FOR_SECONDS) and the page shows "Preparing the charts…", asking again every few
  seconds (the template's htmx poll) until the rows are there. Even the newest day alone
  is not asked inline: at 10,000 cars it took seconds (docs/benchmarks.md, Home page).
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache

from fleetstore.models import FleetSync
from overview import figures, rollups
from overview.periods import Calendar

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
    """The calendar's chart days from the kept rows (1 query), or None with the zone's
    roll-up enqueued when a day has none (see the module's docstring)."""
    kept = rollups.kept(store, calendar)
    if any(day not in kept for day in calendar.days):
        ask_for_roll_up(store, calendar)
        return Charts(days=None)
    behind = [day for day, (_row, holds) in sorted(kept.items()) if not holds]
    return Charts(days=[figures.Day(day, row.opened, row.closed, row.km)
                        for day, (row, _holds) in sorted(kept.items())], behind=behind)


def ask_for_roll_up(store: FleetSync, calendar: Calendar) -> bool:
    """Enqueue the roll-up of the calendar's zone for `store`, unless a page did in the last
    ASKED_FOR_SECONDS; return True when this call enqueued it."""
    from overview.tasks import roll_up_fleet

    zone = rollups.zone_name(calendar)
    if not cache.add(f"overview:roll-up-asked:{store.pk}:{zone}", True, ASKED_FOR_SECONDS):
        return False
    roll_up_fleet.enqueue(store.pk, zone)
    return True
