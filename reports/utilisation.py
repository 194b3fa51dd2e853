"""Utilisation: on how many days of the period each car was used, idle cars, silent devices.

A car was used on a day (in the reader's zone) with an opening or closing stored that day,
or with position samples that day at different places or odometer readings. Idle: not used
in the last `idle_days` days of the period. Silent: the car has an IQ and no position for
more than 24 hours (or never), as the car list's filter counts it.
"""

from datetime import date, datetime, timedelta, tzinfo

from django.db import connection
from django.db.models import F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, PositionSample, StoredEvent
from reports import tables
from reports.scope import cars_of

IDLE_DAYS = 7
# A file's batch of cars: one query counts their days used (a row per car comes back).
FILE_BATCH = 2500
SILENT_AFTER = timedelta(hours=24)

COLUMNS = [
    tables.Column("car_id", _("Car"), tables.CAR),
    tables.Column("car_name", _("Name")),
    tables.Column("license_plate", _("Licence plate")),
    tables.Column("days_used", _("Days used"), tables.NUMBER),
    tables.Column("days", _("Days in the period"), tables.NUMBER),
    tables.Column("share", _("Share of days used (%)"), tables.NUMBER),
    tables.Column("last_used", _("Last used"), tables.DAY),
    tables.Column("idle", _("Idle"), tables.FLAG),
    tables.Column("has_iq", _("Has an IQ"), tables.FLAG),
    tables.Column("fix_at", _("Last position"), tables.MOMENT),
    tables.Column("silent", _("IQ silent"), tables.FLAG),
]


def local_days(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The first and last day (in `zone`) of the period [start, end)."""
    return (timezone.localtime(start, zone).date(),
            timezone.localtime(end - timedelta(microseconds=1), zone).date())


def usage(store: FleetSync, *, start: datetime, end: datetime, keys,
          zone: tzinfo) -> dict[int, tuple[int, date]]:
    """Row key of each car among `keys` (row keys) that was used in the period → (days
    used, the last of them). One query: the days with an event and the days the samples
    moved, united (which drops a day both have), counted per car by the database; only a
    row per car comes back, not one per car and day."""
    events = (StoredEvent.objects.filter(fleet=store, car__in=keys, utc_date_time__gte=start,
                                         utc_date_time__lt=end)
              .annotate(day=TruncDate("utc_date_time", tzinfo=zone))
              .values_list("car_id", "day"))
    # A day the car moved: its samples that day at more than one place or odometer reading
    # (the highest above the lowest; a day of samples without any reading is no move).
    moves = (PositionSample.objects.filter(car__in=keys, recorded_at__gte=start,
                                           recorded_at__lt=end)
             .annotate(day=TruncDate("recorded_at", tzinfo=zone))
             .values("car_id", "day")
             .annotate(lat_low=Min("latitude"), lat_high=Max("latitude"),
                       lon_low=Min("longitude"), lon_high=Max("longitude"),
                       odo_low=Min("odometer"), odo_high=Max("odometer"))
             .filter(Q(lat_high__gt=F("lat_low")) | Q(lon_high__gt=F("lon_low"))
                     | Q(odo_high__gt=F("odo_low")))
             .values_list("car_id", "day"))
    days, params = events.union(moves).query.sql_with_params()
    found = {}
    with connection.cursor() as cursor:
        # The united days come from the ORM's own SQL for this database; only the count
        # around them is written here.
        cursor.execute(f"SELECT used.car_id, COUNT(*), MAX(used.day) FROM ({days}) used "  # noqa: S608
                       "GROUP BY used.car_id", params)
        for key, count, last in cursor.fetchall():
            # SQLite hands a date back as its ISO text.
            found[key] = (count, date.fromisoformat(last) if isinstance(last, str) else last)
    return found


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None,
          idle_days: int = IDLE_DAYS, now: datetime | None = None,
          zone: tzinfo | None = None) -> tables.Table:
    zone = zone or timezone.get_current_timezone()
    now = now or timezone.now()
    first_day, last_day = local_days(start, end, zone)
    period_days = (last_day - first_day).days + 1
    last_event = Subquery(StoredEvent.objects.filter(car=OuterRef("pk"), utc_date_time__lt=end)
                          .order_by("-utc_date_time").values("utc_date_time")[:1])
    cars = cars_of(store, car_ids).annotate(last_event_at=last_event).values_list(
        "pk", "car_id", "name", "license_plate", "has_iq", "fix_at", "last_event_at")
    idle_from = last_day - timedelta(days=idle_days - 1)

    def rows_of(batch):
        # The days used of this batch's cars only: a page of 200 cars reads their events
        # and samples, not the fleet's.
        used = usage(store, start=start, end=end, keys=[item[0] for item in batch], zone=zone)
        rows = []
        for key, car_id, name, plate, has_iq, fix_at, last_event_at in batch:
            days, last_used = used.get(key, (0, None))
            if last_event_at is not None:
                last_event_day = timezone.localtime(last_event_at, zone).date()
                last_used = max(last_used or last_event_day, last_event_day)
            idle = last_used is None or last_used < idle_from
            silent = bool(has_iq) and (fix_at is None or fix_at < now - SILENT_AFTER)
            share = round(100 * days / period_days) if period_days else 0
            rows.append((car_id, name, plate, days, period_days, share, last_used, idle,
                         has_iq, fix_at, silent))
        return rows

    return tables.Table(title=str(_("Utilisation")), columns=COLUMNS,
                        rows=tables.LazyRows(cars, rows_of, batch=FILE_BATCH))
