"""The home page's figures, from the fleet store: a few aggregate queries, never one per car.

Callers pass the FleetSync that fleetstore.services.store_for(user) returned (the fleet the
user's own credentials reach now): nothing here checks who asks.

Definitions (the car list's filters and the "left open" page count the same way):
- a car is one the last full car list had (`gone_at` empty);
- located in the last hour: its latest fix is at most an hour old;
- silent: it has an IQ and no fix for more than 24 h, or never;
- open now: its newest stored event is an opening; left open: that opening is older than
  the "left open" threshold (FLEETADMIN_LEFT_OPEN_HOURS);
- service ended / ending: a device of it has a service end in the past / within 30 days
  (a car with one of each counts in both);
- kilometres between two moments: per car, the odometer at the end less the odometer at the
  start, from the stored position samples. An odometer only grows, so "at a moment" is the
  highest reading sampled before it, looked for from LOOKBACK before the earliest moment
  asked about (one window for all periods of a call); a car with no reading before the
  start counts from its lowest reading within the period (its first, as readings grow); a
  difference that went down (a replaced device) counts as 0 for that car.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, FloatField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate

from fleetstore.models import FleetSync, PositionSample, StoredCar, StoredEvent, StoredProduct
from flinkey import Event
from overview.periods import Calendar

LOCATED_WITHIN = timedelta(hours=1)
SILENT_AFTER = timedelta(hours=24)
SERVICE_ENDING_WITHIN = timedelta(days=30)
# How far before the earliest period a car's last sample is looked for (its odometer then).
LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class CarCounts:
    cars: int
    located: int
    silent: int
    open: int
    left_open: int


def car_counts(store: FleetSync, *, now: datetime, left_open_hours: int) -> CarCounts:
    """Count the fleet's current cars, and those located, silent, open and left open (1 query)."""
    opened = Q(last_event__type=Event.OPENED)
    counts = StoredCar.objects.filter(fleet=store, gone_at__isnull=True).aggregate(
        cars=Count("pk"),
        located=Count("pk", filter=Q(fix_at__gte=now - LOCATED_WITHIN)),
        silent=Count("pk", filter=Q(has_iq=True) & (
            Q(fix_at__isnull=True) | Q(fix_at__lt=now - SILENT_AFTER))),
        open=Count("pk", filter=opened),
        left_open=Count("pk", filter=opened & Q(
            last_event__utc_date_time__lt=now - timedelta(hours=left_open_hours))),
    )
    return CarCounts(**counts)


@dataclass(frozen=True)
class ServiceCounts:
    ended: int
    ending: int


def service_counts(store: FleetSync, *, now: datetime) -> ServiceCounts:
    """Count the current cars with a device whose service has ended / ends soon (1 query)."""
    counts = StoredProduct.objects.filter(car__fleet=store, car__gone_at__isnull=True).aggregate(
        ended=Count("car", distinct=True, filter=Q(service_ends_at__lte=now)),
        ending=Count("car", distinct=True, filter=Q(
            service_ends_at__gt=now, service_ends_at__lte=now + SERVICE_ENDING_WITHIN)),
    )
    return ServiceCounts(**counts)


@dataclass(frozen=True)
class EventDay:
    day: date
    opened: int
    closed: int

    @property
    def total(self) -> int:
        return self.opened + self.closed


def events_per_day(store: FleetSync, calendar: Calendar) -> list[EventDay]:
    """Openings and closings of the fleet on each of the calendar's days (1 query)."""
    days = calendar.days
    rows = (StoredEvent.objects
            .filter(fleet=store, utc_date_time__gte=calendar.start(days[0]),
                    utc_date_time__lt=calendar.start(days[-1] + timedelta(days=1)))
            .annotate(day=TruncDate("utc_date_time", tzinfo=calendar.zone))
            .values("day", "type").annotate(count=Count("pk")).order_by())
    counted = {(row["day"], row["type"]): row["count"] for row in rows}
    return [EventDay(day, counted.get((day, Event.OPENED), 0),
                     counted.get((day, Event.CLOSED), 0)) for day in days]


def fleet_km(store: FleetSync, periods: list[tuple[datetime, datetime]]) -> list[float]:
    """The fleet's kilometres in each (start, end) period, from the stored samples (1 query).

    Per car, the highest odometer sampled before each moment that starts or ends a period,
    and the lowest within each period (one pass over the samples, grouped by car); then per
    period the sum over the cars.
    """
    moments = sorted({moment for period in periods for moment in period})
    column = {moment: f"before_{index}" for index, moment in enumerate(moments)}
    per_car = (PositionSample.objects
               .filter(car__fleet=store, odometer__isnull=False,
                       recorded_at__gte=moments[0] - LOOKBACK, recorded_at__lt=moments[-1])
               .values("car")
               .annotate(**{name: Max("odometer", filter=Q(recorded_at__lt=moment))
                            for moment, name in column.items()},
                         **{f"lowest_{index}": Min("odometer", filter=Q(
                             recorded_at__gte=start, recorded_at__lt=end))
                            for index, (start, end) in enumerate(periods)}))
    zero = Value(0.0, output_field=FloatField())
    totals = per_car.aggregate(**{
        f"period_{index}": Coalesce(Sum(Greatest(
            F(column[end]) - Coalesce(F(column[start]), F(f"lowest_{index}")), zero)), zero)
        for index, (start, end) in enumerate(periods)})
    return [float(totals[f"period_{index}"]) for index in range(len(periods))]


@dataclass(frozen=True)
class Mileage:
    days: list[tuple[date, float]]
    this_week: float
    last_week: float  # the whole of last week
    last_week_so_far: float  # last week up to this moment of the week


def mileage(store: FleetSync, calendar: Calendar) -> Mileage:
    """Kilometres per chart day, this week so far, and last week (whole and so far): 1 query."""
    days = calendar.days
    day_periods = [(calendar.start(day), min(calendar.start(day + timedelta(days=1)),
                                             calendar.now)) for day in days]
    this_monday, last_monday = calendar.start(calendar.this_monday), calendar.start(
        calendar.last_monday)
    weeks = [(this_monday, calendar.now), (last_monday, this_monday),
             (last_monday, calendar.now - timedelta(days=7))]
    km = fleet_km(store, day_periods + weeks)
    this_week, last_week, last_week_so_far = km[len(days):]
    return Mileage(list(zip(days, km[:len(days)], strict=True)), this_week, last_week,
                   last_week_so_far)
