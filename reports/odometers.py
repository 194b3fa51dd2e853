"""Odometer readings from the stored position samples, nearest in time, in bulk queries.

Samples are indexed by (car, recorded_at): each lookup below is one index probe per car or
event, done by the database in one query, never one query per row.
"""

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery

from fleetstore.models import PositionSample


def _with_odometer(car_ref="pk"):
    return PositionSample.objects.filter(car=OuterRef(car_ref), odometer__isnull=False)


def last_at_or_before(moment: datetime | str, *, car_ref: str = "pk", field="odometer",
                      moment_ref: bool = False) -> Subquery:
    """The newest sample's `field` at or before `moment` (an OuterRef name if `moment_ref`)."""
    limit = OuterRef(moment) if moment_ref else moment
    return Subquery(_with_odometer(car_ref).filter(recorded_at__lte=limit)
                    .order_by("-recorded_at").values(field)[:1])


def first_at_or_after(moment: datetime | str, *, car_ref: str = "pk", field="odometer",
                      moment_ref: bool = False) -> Subquery:
    """The oldest sample's `field` at or after `moment` (an OuterRef name if `moment_ref`)."""
    limit = OuterRef(moment) if moment_ref else moment
    return Subquery(_with_odometer(car_ref).filter(recorded_at__gte=limit)
                    .order_by("recorded_at").values(field)[:1])


def nearest_of_events(events: QuerySet) -> QuerySet:
    """`events` (StoredEvent) annotated with the samples just before and after each one."""
    return events.annotate(
        odo_before=last_at_or_before("utc_date_time", car_ref="car_id", moment_ref=True),
        odo_before_at=last_at_or_before("utc_date_time", car_ref="car_id", moment_ref=True,
                                        field="recorded_at"),
        odo_after=first_at_or_after("utc_date_time", car_ref="car_id", moment_ref=True),
        odo_after_at=first_at_or_after("utc_date_time", car_ref="car_id", moment_ref=True,
                                       field="recorded_at"))


def nearest(moment: datetime, before: tuple, after: tuple) -> float | None:
    """The reading of (odometer, at) `before` or `after` nearer in time to `moment`."""
    candidates = [(abs((at - moment).total_seconds()), odometer)
                  for odometer, at in (before, after) if odometer is not None and at is not None]
    return min(candidates)[1] if candidates else None


# A file's batch reads the samples of this much time around its events at once.
MERGE_SLACK = timedelta(hours=6)


def nearest_by_merge(events: list[tuple], *, slack: timedelta = MERGE_SLACK
                     ) -> tuple[dict, list]:
    """The odometer nearest in time to each of `events` ((key, car row key, moment)), from
    one query: the batch's cars' samples from `slack` before its first event to `slack`
    after its last, merged per car in Python (bisect on the sorted times).

    Returns (key → reading or None, the keys it cannot decide). A side without a sample in
    that stretch is farther than its edge: the other side's reading wins when it is nearer
    than that edge; else (a long silence) the key is left to `nearest_of_events`' probes.
    """
    if not events:
        return {}, []
    low = min(moment for _key, _car, moment in events) - slack
    high = max(moment for _key, _car, moment in events) + slack
    times: dict[int, list] = {}
    readings: dict[int, list] = {}
    for car, recorded_at, odometer in (
            PositionSample.objects.filter(car__in={car for _key, car, _moment in events},
                                          odometer__isnull=False, recorded_at__gte=low,
                                          recorded_at__lte=high)
            .order_by("car", "recorded_at").values_list("car", "recorded_at", "odometer")):
        times.setdefault(car, []).append(recorded_at)
        readings.setdefault(car, []).append(odometer)
    found, undecided = {}, []
    for key, car, moment in events:
        car_times, car_readings = times.get(car, []), readings.get(car, [])
        candidates, edges = [], []
        before = bisect_right(car_times, moment) - 1
        if before >= 0:
            candidates.append(((moment - car_times[before]).total_seconds(),
                               car_readings[before]))
        else:
            edges.append((moment - low).total_seconds())
        after = bisect_left(car_times, moment)
        if after < len(car_times):
            candidates.append(((car_times[after] - moment).total_seconds(),
                               car_readings[after]))
        else:
            edges.append((high - moment).total_seconds())
        best = min(candidates) if candidates else None
        if best is not None and all(best[0] <= edge for edge in edges):
            found[key] = best[1]
        else:
            undecided.append(key)
    return found, undecided
