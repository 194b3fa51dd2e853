"""Odometer readings from the stored position samples, nearest in time, in bulk queries.

Samples are indexed by (car, recorded_at): each lookup below is one index probe per car or
event, done by the database in one query, never one query per row.
"""

from datetime import datetime

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
