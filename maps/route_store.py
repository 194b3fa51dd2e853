"""A car's route from the fleet store (issue 18, Reads): its stored samples, and where to look
live for what the samples cannot tell.

The store samples each car's latest position every few minutes (fleetstore.sync). A route
for a period the samples cover is read from them, with no flinkey call; flinkey is asked
only where the samples leave something out:
- between two samples whose odometers differ: the car moved, and the IQ recorded positions
  in between that the store never saw (its samples are the latest position at each run);
- before the first sample, and after the store last asked (where it has nothing yet).
What a live route learns is stored as samples (fleetstore.services.learnt_live_route), and
a grid moment such a stored answer lies near (within a minute) is not asked again: the
next route of the period asks flinkey less.

Callers pass the FleetSync that `fleetstore.services.store_for(user)` gave them: nothing here
checks who asks (as fleetstore.reads).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetstore.models import FleetSync, PositionSample, StoredCar
from fleetstore.sync import minutes_between
from flinkey import Location

# The grid the live look-ups between samples lie on: never denser than the IQ's own
# recording while it drives, coarser when the period has much driving (the call cap).
BETWEEN_STEPS = (300, 600, 900, 1200, 1800, 3600)
# A grid moment the store holds a sample this near is not asked (`_held`).
HELD_WITHIN = timedelta(seconds=60)


@dataclass(frozen=True)
class StoredRoute:
    """What the store holds for one car and period."""

    samples: tuple[Location, ...]  # in time order, with the one before and after the period
    has_iq: bool | None  # as the store last learnt it (None: not known)
    interval: timedelta  # the store's sampling interval
    # When the store last asked the car's latest position: nothing newer was recorded
    # between its newest sample and then (a parked car reports rarely).
    known_until: datetime | None = None
    # The times of the samples that answered a past moment (learnt well after they were
    # recorded: a live route's, fleetstore.services.learnt_live_route), in order.
    answers: tuple[datetime, ...] = ()

    @property
    def covers(self) -> bool:
        """True when there is anything to draw the route from."""
        return bool(self.samples)


def stored_car(fleet: FleetSync, car_id: int) -> StoredCar | None:
    """The car as the store holds it while it is the fleet's (not gone), or None."""
    return StoredCar.objects.filter(fleet=fleet, car_id=car_id, gone_at__isnull=True).first()


def _location(row: tuple) -> Location:
    recorded_at, latitude, longitude, odometer = row
    recorded_at = recorded_at.astimezone(UTC)
    return Location(latitude, longitude, recorded_at, odometer,
                    recorded_at if odometer is not None else None)


def stored_route(fleet: FleetSync, car_id: int, *, start: datetime,
                 end: datetime) -> StoredRoute | None:
    """The car's stored samples from `start` to `end`, with the sample just before and just
    after (they bracket the period: its odometer reading and whether the car moved at its
    edges); None when the store does not hold the car."""
    car = stored_car(fleet, car_id)
    if car is None:
        return None
    fields = ("recorded_at", "latitude", "longitude", "odometer", "learnt_at")
    rows = PositionSample.objects.filter(car=car)
    inside = list(rows.filter(recorded_at__gte=start, recorded_at__lte=end)
                  .order_by("recorded_at").values_list(*fields))
    before = rows.filter(recorded_at__lt=start).order_by("-recorded_at").values_list(*fields)[:1]
    after = rows.filter(recorded_at__gt=end).order_by("recorded_at").values_list(*fields)[:1]
    found = [*before, *inside, *after]
    samples = [_location(row[:4]) for row in found]
    interval = timedelta(minutes=minutes_between(fleet, "samples"))
    # The sampling job learns a car's latest position, recorded shortly before its run (a
    # driving IQ records every minute or two); a sample learnt much later than that was an
    # answer to a past moment: a live route's.
    answers = tuple(sample.recorded_at for sample, row in zip(samples, found, strict=True)
                    if row[4] - row[0] > interval)
    return StoredRoute(tuple(samples), car.has_iq, interval, car.location_learnt_at, answers)


def _moved(a: Location, b: Location) -> bool:
    """True when the car may have moved between two samples: the odometer changed, or
    (without two readings) the position did."""
    if a.odometer is not None and b.odometer is not None:
        return b.odometer != a.odometer
    return (a.latitude, a.longitude) != (b.latitude, b.longitude)


def _grid(a: datetime, b: datetime, step: int) -> list[datetime]:
    """The moments on the `step`-second grid strictly between `a` and `b`."""
    first = math.floor(a.timestamp() / step) * step + step
    return [datetime.fromtimestamp(t, UTC) for t in range(first, math.ceil(b.timestamp()), step)]


def live_moments(stored: StoredRoute, *, start: datetime, end: datetime, max_calls: int,
                 plan) -> list[datetime]:
    """The moments to ask flinkey for, beside the stored samples: at most `max_calls`.

    `plan(start=, end=, max_calls=)` is the live route's sampling plan
    (maps.services.sample_plan), used for the parts of the period the store does not
    reach; the spans where the car moved between two samples get a grid of their own.
    """
    samples = [s for s in stored.samples if s.recorded_at is not None]
    if not samples:
        return plan(start=start, end=end, max_calls=max_calls)
    edges = []  # (from, to) the store knows nothing of
    if samples[0].recorded_at - start > stored.interval:
        edges.append((start, samples[0].recorded_at))
    newest = max(samples[-1].recorded_at, stored.known_until or samples[-1].recorded_at)
    if end - newest > stored.interval:
        edges.append((newest, end))
    moved = [(a.recorded_at, b.recorded_at)
             for a, b in zip(samples, samples[1:], strict=False) if _moved(a, b)]
    moments = []
    budget = max_calls
    for a, b in edges:
        share = max(2, budget // (len(edges) + 1))
        found = plan(start=a, end=b, max_calls=share)
        moments += found
        budget -= len(found)
    span = sum((b - a).total_seconds() for a, b in moved)
    step = next((s for s in BETWEEN_STEPS if span / s <= budget), BETWEEN_STEPS[-1])
    for a, b in moved:
        moments += [m for m in _grid(a, b, step) if not _held(stored.answers, m)]
    return sorted(set(moments))[:max_calls]


def _held(times, moment: datetime) -> bool:
    """True when a live route's stored answer lies within HELD_WITHIN of `moment` (`times`
    sorted): that moment was asked before.

    flinkey answers a moment with the recorded position nearest to it; a driving IQ records
    every minute or two, so that answer lies within about a minute of the moment. A live
    route's answers are stored (fleetstore.services.learnt_live_route): the next route of
    the period finds each near its moment and does not ask again. The sampling job's own
    samples do not count: the positions flinkey would add near them are still asked.
    """
    i = bisect.bisect_right(times, moment - HELD_WITHIN)
    return i < len(times) and times[i] < moment + HELD_WITHIN
