"""Mileage per car: the odometer at the period's start and end, and the km between.

From the stored position samples: at the start, the newest reading at or before it (else
the first one in the period); at the end, the newest reading before it. A car without a
reading in reach shows none. `per_day` gives one car's km per day in the reader's zone.
"""

from datetime import datetime, timedelta, tzinfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, PositionSample
from reports import tables
from reports.odometers import first_at_or_after, last_at_or_before
from reports.scope import cars_of

COLUMNS = [
    tables.Column("car_id", _("Car"), tables.CAR),
    tables.Column("car_name", _("Name")),
    tables.Column("license_plate", _("Licence plate")),
    tables.Column("start_odometer", _("Odometer at the start (km)"), tables.KM),
    tables.Column("start_at", _("Read at"), tables.MOMENT),
    tables.Column("end_odometer", _("Odometer at the end (km)"), tables.KM),
    tables.Column("end_at", _("Read at"), tables.MOMENT),
    tables.Column("km", _("km"), tables.KM),
]

DAY_COLUMNS = [
    tables.Column("day", _("Day"), tables.DAY),
    tables.Column("odometer", _("Odometer at the day's end (km)"), tables.KM),
    tables.Column("km", _("km"), tables.KM),
]


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> tables.Table:
    before_end = end - timedelta(microseconds=1)
    cars = cars_of(store, car_ids).annotate(
        before_odo=last_at_or_before(start), before_at=last_at_or_before(start,
                                                                         field="recorded_at"),
        first_odo=first_at_or_after(start), first_at=first_at_or_after(start,
                                                                       field="recorded_at"),
        end_odo=last_at_or_before(before_end),
        end_read_at=last_at_or_before(before_end, field="recorded_at"),
    ).values_list("car_id", "name", "license_plate", "before_odo", "before_at", "first_odo",
                  "first_at", "end_odo", "end_read_at")

    def rows_of(batch):
        rows = []
        for (car_id, name, plate, before_odo, before_at, first_odo, first_at, end_odo,
             end_at) in batch:
            if before_odo is not None:
                start_odo, start_at = before_odo, before_at
            elif first_at is not None and first_at < end:
                start_odo, start_at = first_odo, first_at
            else:
                start_odo = start_at = None
            if end_at is not None and start_at is not None and end_at < start_at:
                end_odo = end_at = None
            km = (round(end_odo - start_odo, 1)
                  if start_odo is not None and end_odo is not None else None)
            rows.append((car_id, name, plate, start_odo, start_at, end_odo, end_at, km))
        return rows

    return tables.Table(title=str(_("Mileage per car")), columns=COLUMNS,
                        rows=tables.LazyRows(cars, rows_of))


def per_day(store: FleetSync, *, car_id: int, start: datetime, end: datetime,
            zone: tzinfo | None = None) -> tables.Table:
    """One car's odometer at each day's end and the km driven that day (days in `zone`)."""
    zone = zone or timezone.get_current_timezone()
    car = cars_of(store, [car_id]).first()
    rows = []
    if car is not None:
        samples = (PositionSample.objects.filter(car=car, odometer__isnull=False)
                   .filter(Q(recorded_at__gte=start, recorded_at__lt=end)
                           | Q(pk=PositionSample.objects.filter(
                               car=car, odometer__isnull=False, recorded_at__lt=start)
                               .order_by("-recorded_at").values("pk")[:1]))
                   .order_by("recorded_at").values_list("recorded_at", "odometer"))
        previous = None
        first_of_day: dict = {}
        last_of_day: dict = {}
        for recorded_at, odometer in samples:
            if recorded_at < start:
                previous = odometer
                continue
            local_day = timezone.localtime(recorded_at, zone).date()
            first_of_day.setdefault(local_day, odometer)
            last_of_day[local_day] = odometer
        day = timezone.localtime(start, zone).date()
        last_day = timezone.localtime(end - timedelta(microseconds=1), zone).date()
        while day <= last_day:
            odometer = last_of_day.get(day)
            km = None
            if odometer is not None:
                # Without an earlier reading, the day's own first one is the start.
                since = previous if previous is not None else first_of_day[day]
                km = round(odometer - since, 1)
                previous = odometer
            rows.append((day, odometer, km))
            day += timedelta(days=1)
    return tables.Table(title=str(_("Mileage per day")), columns=DAY_COLUMNS, rows=rows)
