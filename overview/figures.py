"""The home page's figures, from the fleet store: a few aggregate queries, never one per car.

Callers pass the FleetSync that fleetstore.services.store_for(user) returned (the fleet the
user's own credentials reach now): nothing here checks who asks.

Definitions (the car list's filters and the "left open" page count the same way):
- a car is one the last full car list had, or created through fleetadmin since, and not
  deleted through it since (`gone_at` empty);
- located in the last hour: its latest fix is at most an hour old and has coordinates;
- silent: it has an IQ and no fix for more than 24 h, or never;
- open now: its newest stored event is an opening; left open: that opening is older than
  the "left open" threshold (FLEETADMIN_LEFT_OPEN_HOURS);
- service ended: a device of it has a service end in the past; ending: none has, and one
  ends within 30 days;
- kilometres of a day: per car, the odometer at the day's end less the odometer at its
  start, from the stored position samples. An odometer only grows, so "at a moment" is the
  highest reading sampled before it, looked for in the LOOKBACK_DAYS days before (in the
  user's zone), and with none there the last reading before the day, however old (an IQ
  that sleeps while its car is parked sends nothing over a weekend: Monday's km start at
  Friday's last reading, as the mileage report counts them); a car with no reading before
  at all counts from its lowest reading within the day (its first, as readings grow); a
  difference that went down (a replaced device) counts as 0 for that car. A week's
  kilometres are the sum of its days'.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from fleetstore.models import FleetSync, PositionSample, StoredCar, StoredEvent, StoredProduct
from flinkey import Event
from overview import rollups
from overview.periods import Calendar

LOCATED_WITHIN = timedelta(hours=1)
SILENT_AFTER = timedelta(hours=24)
SERVICE_ENDING_WITHIN = timedelta(days=30)
# How many days before a day a car's last reading is looked for (its odometer at the start).
LOOKBACK_DAYS = 2


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
        # fix_at is the latest answer's time, also of one without coordinates (a tunnel):
        # only a car with coordinates is on the map the tile leads to.
        located=Count("pk", filter=Q(fix_at__gte=now - LOCATED_WITHIN,
                                     latitude__isnull=False, longitude__isnull=False)),
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
    """Count the current cars with a device whose service has ended, and those without one
    but with a device whose service ends within 30 days (1 query; as the car list's
    `service=ended` and `service=ending` select them)."""
    devices = StoredProduct.objects.filter(car=OuterRef("pk"))
    counts = (StoredCar.objects.filter(fleet=store, gone_at__isnull=True)
              .annotate(has_ended=Exists(devices.filter(service_ends_at__lte=now)),
                        has_ending=Exists(devices.filter(
                            service_ends_at__gt=now,
                            service_ends_at__lte=now + SERVICE_ENDING_WITHIN)))
              .aggregate(ended=Count("pk", filter=Q(has_ended=True)),
                         ending=Count("pk", filter=Q(has_ending=True, has_ended=False))))
    return ServiceCounts(**counts)


def _day_of(field: str, starts: list[datetime]) -> Case:
    """Which of the days beginning at `starts` (ascending) `field` falls on: its index, or
    None before the first. Plain comparisons the database makes itself (no time-zone
    function per row): the days' limits are UTC moments worked out once, here."""
    return Case(*[When(**{f"{field}__gte": start}, then=Value(index))
                  for index, start in reversed(list(enumerate(starts)))],
                default=Value(None), output_field=IntegerField())


def kilometres(store: FleetSync, calendar: Calendar, days: list[date]) -> dict[date, float]:
    """The fleet's kilometres on each of `days` (consecutive), from the stored samples.

    One query: each car's highest and lowest reading per day, over the days asked and the
    LOOKBACK_DAYS before them; one more per day on which a car moved after none of those
    days had a reading of it (its last reading before, however old); the rest is arithmetic
    per car (see the module's docstring). A day's figure depends on the samples up to its
    end only, never on which other days were asked with it (so it can be kept and reused).
    """
    first = days[0] - timedelta(days=LOOKBACK_DAYS)
    every = [first + timedelta(days=offset) for offset in range((days[-1] - first).days + 1)]
    starts = [calendar.start(day) for day in every]
    end = min(calendar.start(days[-1] + timedelta(days=1)), calendar.now)
    rows = (PositionSample.objects
            .filter(car__fleet=store, odometer__isnull=False, recorded_at__gte=starts[0],
                    recorded_at__lt=end)
            .annotate(day=_day_of("recorded_at", starts))
            .values("car", "day").annotate(high=Max("odometer"), low=Min("odometer"))
            .order_by())
    readings: dict[int, dict[int, tuple[float, float]]] = {}
    for row in rows:
        readings.setdefault(row["car"], {})[row["day"]] = (row["high"], row["low"])
    # Cars with readings on a day but none in the LOOKBACK_DAYS before: their last reading
    # before the day, however old (one index probe per car, a query per such day).
    parked = {day: [car for car, per_day in readings.items() if (day - first).days in per_day
                    and not any(back in per_day for back in range((day - first).days
                                                                  - LOOKBACK_DAYS,
                                                                  (day - first).days))]
              for day in days}
    older = {day: _last_readings(cars, calendar.start(day)) for day, cars in parked.items()
             if cars}
    totals = dict.fromkeys(days, 0.0)
    for car, per_day in readings.items():
        for day in days:
            index = (day - first).days
            before = [per_day[back][0] for back in range(index - LOOKBACK_DAYS, index)
                      if back in per_day]
            at_start = max(before) if before else older.get(day, {}).get(car)
            if index not in per_day:
                continue  # no reading on the day: the car did not move, as far as we know
            high, low = per_day[index]
            at_end = high if at_start is None else max(high, at_start)
            totals[day] += max(at_end - (low if at_start is None else at_start), 0.0)
    return totals


def _last_readings(cars: list[int], moment: datetime) -> dict[int, float]:
    """Each of `cars`' (StoredCar pks) last odometer reading before `moment`, by car."""
    last = (PositionSample.objects
            .filter(car=OuterRef("pk"), odometer__isnull=False, recorded_at__lt=moment)
            .order_by("-recorded_at").values("odometer")[:1])
    return {car: odometer for car, odometer in
            StoredCar.objects.filter(pk__in=cars).annotate(before=Subquery(last))
            .values_list("pk", "before") if odometer is not None}


@dataclass(frozen=True)
class Day:
    """One day of the charts: the fleet's openings, closings and kilometres."""

    day: date
    opened: int
    closed: int
    km: float

    @property
    def events(self) -> int:
        return self.opened + self.closed


def chart_days(store: FleetSync, calendar: Calendar) -> list[Day]:
    """The calendar's days, oldest first: from the rows kept per fleet and zone
    (overview.rollups) where they hold, the rest asked from the store and kept.

    The roll-up's work (overview.tasks.roll_up_fleet, in the worker): the home page never
    calls it (overview.charts shows the kept rows, or enqueues this). What is asked is from
    the first day without a holding row to today (consecutive days, as `ask` wants them):
    all 30 in a zone no roll-up covers yet, the last few after a store run.
    """
    kept = rollups.holding(store, calendar)
    found = {day: Day(day, row.opened, row.closed, row.km) for day, row in kept.items()}
    missing = [day for day in calendar.days if day not in found]
    if missing:
        asked = ask(store, calendar, calendar.days[calendar.days.index(missing[0]):])
        rollups.keep(store, calendar, asked.values())
        found.update(asked)
    return [found[day] for day in calendar.days]


def ask(store: FleetSync, calendar: Calendar, days: list[date]) -> dict[date, Day]:
    """Openings, closings (1 query) and kilometres (1 query) of `days`, from the store."""
    rows = (StoredEvent.objects
            .filter(fleet=store, utc_date_time__gte=calendar.start(days[0]),
                    utc_date_time__lt=calendar.start(days[-1] + timedelta(days=1)))
            .annotate(day=_day_of("utc_date_time", [calendar.start(day) for day in days]))
            .values("day", "type").annotate(count=Count("pk")).order_by())
    counted = {(days[row["day"]], row["type"]): row["count"] for row in rows}
    km = kilometres(store, calendar, days)
    return {day: Day(day, counted.get((day, Event.OPENED), 0),
                     counted.get((day, Event.CLOSED), 0), km[day]) for day in days}


@dataclass(frozen=True)
class Weeks:
    this_week: float  # Monday to now
    last_week: float  # the whole of last week


def weeks(days: list[Day], calendar: Calendar) -> Weeks:
    """Kilometres this week so far and last week: the sums of their days (in the charts)."""
    this_monday, last_monday = calendar.this_monday, calendar.last_monday
    return Weeks(sum(row.km for row in days if row.day >= this_monday),
                 sum(row.km for row in days if last_monday <= row.day < this_monday))
