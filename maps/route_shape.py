"""What a route's positions say, told as such: the parts between gaps in the data, the stops
and the trips between them, and the odometer readings that bracket the period.

Pure functions of the positions (flinkey.Location, in time order): maps.services builds a
Route with them, the page, the replay and the downloads show what they find.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flinkey import Location

# A gap in the data: two positions in a row this far apart in time (or two sampling steps,
# if that is more) and apart in place. Nothing is drawn across it: a straight line would
# cross the city where the car never drove.
GAP_MIN = timedelta(minutes=30)
# A stop: the car stayed within STOP_RADIUS_M of one place for at least STOP_MIN_DURATION.
STOP_MIN_DURATION = timedelta(minutes=15)
STOP_RADIUS_M = 100.0


@dataclass(frozen=True)
class Stop:
    """The car stayed at one place from `start` to `end`."""

    latitude: float
    longitude: float
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Trip:
    """The car drove from `start` to `end` (between two stops, or a stop and the period's
    edge); `km` by the odometer, None without two readings."""

    start: datetime
    end: datetime
    km: float | None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Gap:
    """No position from `start` to `end`, while the car moved: the line breaks here."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def meters_between(a: Location, b: Location) -> float:
    """Return the great-circle distance between two samples in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def gap_limit(step: timedelta | None) -> timedelta:
    """How far apart in time two positions may be and still be joined by the line: samples
    asked on a grid are a step apart when nothing is missing."""
    return max(GAP_MIN, 2 * step) if step else GAP_MIN


def split_at_gaps(points, *, limit: timedelta = GAP_MIN,
                  radius_m: float = STOP_RADIUS_M) -> list[list[Location]]:
    """Return the route's parts: a new part starts after a gap (more than `limit` without a
    position while the car moved more than `radius_m`). A car that stood still through the
    silence is one part: it was parked there."""
    parts: list[list[Location]] = []
    for point in points:
        if parts:
            last = parts[-1][-1]
            if (point.recorded_at - last.recorded_at > limit
                    and meters_between(last, point) > radius_m):
                parts.append([point])
                continue
            parts[-1].append(point)
        else:
            parts.append([point])
    return parts


def gaps_between(parts) -> list[Gap]:
    """Return the gaps between consecutive parts."""
    return [Gap(a[-1].recorded_at, b[0].recorded_at) for a, b in zip(parts, parts[1:],
                                                                      strict=False)]


def find_stops(points, *, min_duration: timedelta = STOP_MIN_DURATION,
               radius_m: float = STOP_RADIUS_M) -> list[Stop]:
    """Return where the car stayed within `radius_m` of a place for at least `min_duration`."""
    stops = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and meters_between(points[i], points[j + 1]) <= radius_m:
            j += 1
        if points[j].recorded_at - points[i].recorded_at >= min_duration:
            stops.append(Stop(points[i].latitude, points[i].longitude,
                              points[i].recorded_at, points[j].recorded_at))
        i = j + 1
    return stops


def _reading_at(points, moment: datetime) -> float | None:
    """The odometer of the position at `moment` (or the nearest one having a reading)."""
    found = [p for p in points if p.odometer is not None]
    if not found:
        return None
    return min(found, key=lambda p: abs((p.recorded_at - moment).total_seconds())).odometer


def find_trips(points, stops) -> list[Trip]:
    """Return the trips: from the first position to the first stop, between stops, and from
    the last stop to the last position; a stretch where the car did not move is none."""
    if len(points) < 2:
        return []
    edges = [points[0].recorded_at]
    for stop in stops:
        edges += [stop.start, stop.end]
    edges.append(points[-1].recorded_at)
    trips = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end <= start:
            continue
        inside = [p for p in points if start <= p.recorded_at <= end]
        if len(inside) < 2 or max(meters_between(inside[0], p) for p in inside) <= STOP_RADIUS_M:
            continue
        first, last = _reading_at(inside, start), _reading_at(inside, end)
        km = max(last - first, 0.0) if first is not None and last is not None else None
        trips.append(Trip(start, end, km))
    return trips


def bracketing_readings(readings, *, start: datetime,
                        end: datetime) -> tuple[Location, Location] | None:
    """Return the odometer readings that bracket the period: the last at or before `start`
    (else the first after it) and the first at or after `end` (else the last before it);
    None without two distinct readings. `readings` are in the order they were read."""
    if len(readings) < 2:
        return None
    before = [r for r in readings if r.odometer_recorded_at <= start]
    after = [r for r in readings if r.odometer_recorded_at >= end]
    first = before[-1] if before else readings[0]
    last = after[0] if after else readings[-1]
    return (first, last) if last.odometer_recorded_at > first.odometer_recorded_at else None
