"""The openings of a sessions report with their next event, in one window-function query.

Each opening's next opening or closing of the same car is LEAD() over the car's events in
(time, 100 ns, id) order: one pass over the fleet's events of the period (the (fleet, time)
index), not one index probe per opening. The window reads events up to the period's end
only; an opening whose next event lies beyond it gets that event in one more query for the
few such openings (at most one per car). Acts as much like a queryset as tables.LazyRows
needs: count(), slices and iterator().
"""

from datetime import datetime

from django.db import connection

from fleetstore.models import StoredCar, StoredEvent
from flinkey import Event
from reports.scope import car_keys

# What each item holds, in this order.
FIELDS = ("pk", "car_id", "car_name", "license_plate", "user_id", "start", "latitude",
          "longitude", "next_pk", "next_type", "next_at", "next_latitude", "next_longitude",
          "car_key")

_EVENTS = StoredEvent._meta.db_table
_CARS = StoredCar._meta.db_table

# Table names from the models; every value is a query parameter.
_QUERY = f"""
WITH ordered AS (
    SELECT e.id, e.car_id, e.type, e.user_id, e.utc_date_time, e.utc_ticks, e.event_id,
           e.latitude, e.longitude,
           LEAD(e.id) OVER w AS next_pk, LEAD(e.type) OVER w AS next_type,
           LEAD(e.utc_date_time) OVER w AS next_at, LEAD(e.latitude) OVER w AS next_latitude,
           LEAD(e.longitude) OVER w AS next_longitude
    FROM {_EVENTS} e
    WHERE e.fleet_id = %(fleet)s AND e.type IN (%(opened)s, %(closed)s)
      AND e.utc_date_time >= %(since)s AND e.utc_date_time < %(end)s
    WINDOW w AS (PARTITION BY e.car_id ORDER BY e.utc_date_time, e.utc_ticks, e.event_id)
)
SELECT {{select}}
FROM ordered o JOIN {_CARS} c ON c.id = o.car_id
WHERE o.type = %(opened)s AND c.gone_at IS NULL {{cars}}
  AND (o.utc_date_time >= %(start)s OR o.next_at IS NULL OR o.next_at >= %(start)s)
{{tail}}
"""  # noqa: S608

# The sessions carried into the period: each car's last opening and last closing in the
# look-back days, from the (fleet, type, time, car) index alone; a car whose last opening is
# later than its last closing was still open at the start. Times equal to the microsecond
# are told apart by (100 ns, id) in Python (`_carried_ties`).
_CARRIED = f"""
WITH last AS (
    SELECT e.car_id,
           MAX(CASE WHEN e.type = %(opened)s THEN e.utc_date_time END) AS opened_at,
           MAX(CASE WHEN e.type = %(closed)s THEN e.utc_date_time END) AS closed_at
    FROM {_EVENTS} e
    WHERE e.fleet_id = %(fleet)s AND e.type IN (%(opened)s, %(closed)s)
      AND e.utc_date_time >= %(since)s AND e.utc_date_time < %(start)s
    GROUP BY e.car_id
)
SELECT o.id, c.car_id, c.name, c.license_plate, o.user_id, o.utc_date_time, o.latitude,
       o.longitude, NULL, NULL, NULL, NULL, NULL, o.car_id,
       CASE WHEN l.closed_at = l.opened_at THEN 1 ELSE 0 END
FROM last l
JOIN {_EVENTS} o ON o.car_id = l.car_id AND o.utc_date_time = l.opened_at
                AND o.type = %(opened)s AND o.fleet_id = %(fleet)s
                AND o.utc_date_time >= %(since)s AND o.utc_date_time < %(start)s
JOIN {_CARS} c ON c.id = l.car_id
WHERE c.gone_at IS NULL {{cars}} AND (l.closed_at IS NULL OR l.closed_at <= l.opened_at)
ORDER BY o.utc_date_time, c.name, c.car_id, o.event_id
"""  # noqa: S608

_SELECT = ("o.id, c.car_id, c.name, c.license_plate, o.user_id, o.utc_date_time, "
           "o.latitude, o.longitude, o.next_pk, o.next_type, o.next_at, o.next_latitude, "
           "o.next_longitude, o.car_id")
_ORDER = "ORDER BY o.utc_date_time, c.name, c.car_id, o.event_id"


class OpeningRows:
    """The openings starting a session that overlaps [start, end): opened at or after
    `since` (the period's start less the look-back) and before `end`, and still open at
    `start` if opened before it. By time, car name, car id, event id.

    A page reads two short lists instead of the month's window: the sessions carried into
    the period (each car's last event before `start`, if an opening since `since`: at most
    one per car, and all of them sort before the period's own) from each car's last opening
    and closing in the look-back days (one grouped query over the (fleet, type, time, car)
    index), then its slice of the period's openings from the same index. A file reads the
    whole window once, in order.
    """

    def __init__(self, store, *, since: datetime, start: datetime, end: datetime,
                 car_ids=None):
        self.store, self.start, self.end, self.car_ids = store, start, end, car_ids
        self.params = {"fleet": store.pk, "opened": Event.OPENED, "closed": Event.CLOSED,
                       "since": since, "start": start, "end": end}
        self.cars = ""
        if car_ids:
            names = []
            for number, car_id in enumerate(car_ids):
                self.params[f"car{number}"] = int(car_id)
                names.append(f"%(car{number})s")
            self.cars = f"AND c.car_id IN ({', '.join(names)})"
        self._carried = None
        self._own_count = None

    def _sql(self, select: str, tail: str = "") -> str:
        return _QUERY.format(select=select, cars=self.cars, tail=tail)

    def carried(self) -> list[tuple]:
        """The sessions opened in the look-back days and still open at the period's start
        (their next event, at or after the start, not yet filled in)."""
        if self._carried is None:
            with connection.cursor() as cursor:
                cursor.execute(_CARRIED.format(cars=self.cars), self.params)
                rows = _typed(cursor.fetchall())
            self._carried = _carried_ties(rows, since=self.params["since"], start=self.start)
        return self._carried

    def _own(self):
        """The openings inside the period, in the report's order (next events not yet in)."""
        return (StoredEvent.objects.filter(
            fleet=self.store, car__in=car_keys(self.store, self.car_ids), type=Event.OPENED,
            utc_date_time__gte=self.start, utc_date_time__lt=self.end)
            .order_by("utc_date_time", "car__name", "car__car_id", "event_id")
            .values_list(*_OWN_FIELDS))

    def count(self) -> int:
        if self._own_count is None:
            # Without the page's join to the cars for their names: the index alone.
            self._own_count = StoredEvent.objects.filter(
                fleet=self.store, car__in=car_keys(self.store, self.car_ids),
                type=Event.OPENED, utc_date_time__gte=self.start,
                utc_date_time__lt=self.end).count()
        return len(self.carried()) + self._own_count

    def __getitem__(self, index: slice) -> list[tuple]:
        first = index.start or 0
        carried = self.carried()
        rows = list(carried[first:index.stop])
        own_first = max(first - len(carried), 0)
        own_stop = None if index.stop is None else max(index.stop - len(carried), 0)
        if own_stop is None or own_stop > own_first:
            rows += [(*row[:8], *_NO_NEXT, row[8]) for row in self._own()[own_first:own_stop]]
        return _completed(rows)

    def iterator(self, chunk_size: int = 2000):
        # A server-side cursor where the database has one: the rows come a chunk at a time.
        with connection.chunked_cursor() as cursor:
            cursor.execute(self._sql(_SELECT, _ORDER), self.params)
            while chunk := cursor.fetchmany(chunk_size):
                yield from _completed(_typed(chunk))


_OWN_FIELDS = ("pk", "car__car_id", "car__name", "car__license_plate", "user_id",
               "utc_date_time", "latitude", "longitude", "car_id")
_NO_NEXT = (None,) * 5


def _carried_ties(rows: list[tuple], *, since: datetime, start: datetime) -> list[tuple]:
    """`rows` (the carried query's, a tie flag last) without the openings that are not
    their car's last event before `start` in (time, 100 ns, id) order: those of a car with
    an opening and a closing, or two openings, at the same last time. Rare: one query."""
    cars: dict[int, int] = {}
    for row in rows:
        cars[row[13]] = cars.get(row[13], 0) + 1
    doubtful = {row[13]: row[5] for row in rows if row[14] or cars[row[13]] > 1}
    last: dict[int, int] = {}
    if doubtful:
        for pk, car, moment in (StoredEvent.objects.filter(
                car__in=list(doubtful), type__in=(Event.OPENED, Event.CLOSED),
                utc_date_time__in=list(set(doubtful.values())), utc_date_time__gte=since,
                utc_date_time__lt=start)
                .order_by("utc_date_time", "utc_ticks", "event_id")
                .values_list("pk", "car_id", "utc_date_time")):
            if moment == doubtful[car]:
                last[car] = pk
    return [row[:14] for row in rows if row[13] not in doubtful or last.get(row[13]) == row[0]]


def _typed(rows) -> list[tuple]:
    """SQLite hands raw SQL's times back as text: the same aware datetimes as the ORM's."""
    if connection.vendor != "sqlite":
        return list(rows)
    convert = connection.ops.convert_datetimefield_value
    return [(*row[:5], convert(row[5], None, connection), *row[6:10],
             convert(row[10], None, connection), *row[11:]) for row in rows]


def _completed(rows: list[tuple]) -> list[tuple]:
    """Rows whose opening's next event lies beyond the period get it (one query for all)."""
    missing = [row[0] for row in rows if row[8] is None]
    if not missing:
        return rows
    following = {}
    for pk, next_pk in _next_of(missing):
        following[pk] = next_pk
    found = {pk: (pk, kind, moment, latitude, longitude) for pk, kind, moment, latitude, longitude
             in StoredEvent.objects.filter(pk__in=[key for key in following.values() if key])
             .values_list("pk", "type", "utc_date_time", "latitude", "longitude")}
    result = []
    for row in rows:
        after = found.get(following.get(row[0])) if row[8] is None else None
        result.append(row if after is None else (*row[:8], *after, *row[13:]))
    return result


def _next_of(keys: list[int]):
    """(opening key, the key of its car's next opening or closing) for these openings."""
    from reports.sessions import with_next_key

    return with_next_key(StoredEvent.objects.filter(pk__in=keys)).values_list("pk", "next_pk")
