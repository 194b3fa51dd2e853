"""Mileage per car: the odometer at the period's start and end, and the km between.

From the stored position samples: at the start, the newest reading at or before it (else
the first one in the period); at the end, the newest reading before it. A car without a
reading in reach shows none. `per_day` gives one car's km per day in the reader's zone.

Where the store cannot know a car's odometer at the start or the end (`Mileage.missing_*`:
sync was not on then, or no sample lies near enough), the report page asks flinkey live
(reports.mileage_live); the files and scheduled reports do not and say so per car (the
"Odometer from" column).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, PositionSample
from fleetstore.sync import minutes_between
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
    tables.Column("source", _("Odometer from")),
]
SOURCE = len(COLUMNS) - 1

DAY_COLUMNS = [
    tables.Column("day", _("Day"), tables.DAY),
    tables.Column("odometer", _("Odometer at the day's end (km)"), tables.KM),
    tables.Column("km", _("km"), tables.KM),
]


class MileageRow(tuple):
    """A report row (plain values), and whether the store cannot tell an edge of it (the
    page asks flinkey for those)."""

    missing = False


@dataclass(frozen=True)
class Reading:
    odometer: float
    at: datetime


@dataclass(frozen=True)
class Mileage:
    """One car's readings at the period's edges, and which of them the store cannot know."""

    car_id: int
    name: str
    license_plate: str | None
    start: Reading | None
    end: Reading | None
    missing_start: bool = False
    missing_end: bool = False

    @property
    def missing(self) -> bool:
        return self.missing_start or self.missing_end

    def row(self, source: str) -> tuple:
        """The report's row of these readings, `source` in the "Odometer from" column."""
        start, end = self.start, self.end
        if start is not None and end is not None and end.at < start.at:
            end = None
        km = round(end.odometer - start.odometer, 1) if start and end else None
        return (self.car_id, self.name, self.license_plate,
                start.odometer if start else None, start.at if start else None,
                end.odometer if end else None, end.at if end else None, km, source)


def reach_of(store: FleetSync) -> timedelta:
    """How near a stored reading must lie to a moment to stand for it when none lies beyond
    it: the store samples every car this often (as maps.route_store reads it); twice that,
    so that one late sync round does not send a whole page of cars to flinkey."""
    return 2 * timedelta(minutes=minutes_between(store, "samples"))


def known(moment: datetime, before: Reading | None, after: Reading | None, *, reach: timedelta,
          latest_at: datetime | None, asked_until: datetime | None) -> bool:
    """True when the stored readings tell the odometer at `moment` (no need to ask flinkey):
    readings bracket it (`before` at or before it, `after` at or after it); or, with none
    after it yet, the one before lies within `reach` of it, or is the car's latest
    (`latest_at`) and the store asked for a newer one within `reach` of it (`asked_until`:
    a parked car reports rarely).
    """
    if before is None:
        return False
    if after is not None:
        return True
    newest = before.at
    if latest_at is not None and asked_until is not None and before.at >= latest_at:
        newest = max(newest, asked_until)
    return moment - newest <= reach


def _reading(odometer, at) -> Reading | None:
    return Reading(odometer, at) if odometer is not None and at is not None else None


def mileages(store: FleetSync, *, start: datetime, end: datetime, car_ids=None,
             now: datetime | None = None) -> tables.LazyRows:
    """Every car's Mileage from the stored samples (lazily, in batches; by name, id)."""
    now = now or timezone.now()
    before_end = end - timedelta(microseconds=1)
    # The end as far as it has come: a period ending today ends now.
    end_moment = min(end, now)
    cars = cars_of(store, car_ids).annotate(
        before_odo=last_at_or_before(start), before_at=last_at_or_before(start,
                                                                         field="recorded_at"),
        first_odo=first_at_or_after(start), first_at=first_at_or_after(start,
                                                                       field="recorded_at"),
        end_odo=last_at_or_before(before_end),
        end_read_at=last_at_or_before(before_end, field="recorded_at"),
        after_end_odo=first_at_or_after(end_moment),
        after_end_at=first_at_or_after(end_moment, field="recorded_at"),
    ).values_list("car_id", "name", "license_plate", "before_odo", "before_at", "first_odo",
                  "first_at", "end_odo", "end_read_at", "after_end_odo", "after_end_at",
                  "has_iq", "odometer_at", "location_learnt_at")
    reach = reach_of(store)

    def of(batch):
        found = []
        for (car_id, name, plate, before_odo, before_at, first_odo, first_at, end_odo,
             end_at, after_end_odo, after_end_at, has_iq, latest_at, asked_until) in batch:
            before, first = _reading(before_odo, before_at), _reading(first_odo, first_at)
            last, after_end = _reading(end_odo, end_at), _reading(after_end_odo, after_end_at)
            if before is not None:
                start_reading = before
            elif first is not None and first.at < end:
                start_reading = first
            else:
                start_reading = None
            # A car the store knows has no flinkey IQ has no odometer to ask for.
            askable = has_iq is not False
            missing_start = askable and not (
                known(start, before, first, reach=reach, latest_at=latest_at,
                      asked_until=asked_until)
                # No reading before the start, the first one just after it: as near.
                or (before is None and first is not None and first.at - start <= reach))
            missing_end = askable and not known(end_moment, last, after_end, reach=reach,
                                                latest_at=latest_at, asked_until=asked_until)
            found.append(Mileage(car_id, name, plate, start_reading, last, missing_start,
                                 missing_end))
        return found

    return tables.LazyRows(cars, of)


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> tables.Table:
    stored = mileages(store, start=start, end=end, car_ids=car_ids)

    def rows_of(batch):
        from_store = gettext("fleet store")
        # Files and scheduled reports do not ask flinkey (10,000 cars are 20,000 calls, far
        # beyond a request's time budget); they name the cars whose figures the store
        # cannot give, so that a file never differs from the page without saying so.
        not_stored = gettext("no stored odometer; open the report page")
        rows = []
        for item in stored.rows_of(batch):
            row = MileageRow(item.row(not_stored if item.missing else from_store))
            row.missing = item.missing
            rows.append(row)
        return rows

    return tables.Table(title=str(_("Mileage per car")), columns=COLUMNS,
                        rows=tables.LazyRows(stored.queryset, rows_of))


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
