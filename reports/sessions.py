"""Usage sessions, the key-handover log: each opened → closed pair of a car.

A session is an opening and the car's next event: a closing ends it; another opening (no
closing stored between) or nothing yet leaves it without an end. Its flinkey user is the
one who opened the car. The odometer at either end is the stored sample nearest in time to
the event. A session that began before the period and was still open in it is included
when its opening lies within LOOKBACK of the period's start.

One opening is one row of the queryset, its next event and odometers subqueries on the
(car, time) indexes: a page works out its own 200 sessions, not the fleet's month.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, StoredEvent
from flinkey import Event
from reports import tables
from reports.odometers import nearest, nearest_of_events
from reports.scope import car_keys, cars_of, people_of

LOOKBACK = timedelta(days=7)
KINDS = (Event.OPENED, Event.CLOSED)
FAR_FUTURE = datetime(2999, 12, 31, tzinfo=UTC)

COLUMNS = [
    tables.Column("car_id", _("Car"), tables.CAR),
    tables.Column("car_name", _("Name")),
    tables.Column("license_plate", _("Licence plate")),
    tables.Column("user_id", _("flinkey user"), tables.USER),
    tables.Column("start", _("Opened at"), tables.MOMENT),
    tables.Column("end", _("Closed at"), tables.MOMENT),
    tables.Column("start_latitude", _("Latitude when opened"), tables.COORDINATE),
    tables.Column("start_longitude", _("Longitude when opened"), tables.COORDINATE),
    tables.Column("end_latitude", _("Latitude when closed"), tables.COORDINATE),
    tables.Column("end_longitude", _("Longitude when closed"), tables.COORDINATE),
    tables.Column("start_odometer", _("Odometer when opened (km)"), tables.KM),
    tables.Column("end_odometer", _("Odometer when closed (km)"), tables.KM),
    tables.Column("km", _("km"), tables.KM),
]


@dataclass(frozen=True)
class Session:
    car_id: int
    car_name: str
    license_plate: str | None
    user_id: int | None
    start: datetime
    end: datetime | None
    start_latitude: float | None
    start_longitude: float | None
    end_latitude: float | None = None
    end_longitude: float | None = None
    start_odometer: float | None = None
    end_odometer: float | None = None

    @property
    def km(self) -> float | None:
        if self.start_odometer is None or self.end_odometer is None:
            return None
        return round(self.end_odometer - self.start_odometer, 1)

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment <= self.end)

    def row(self) -> tuple:
        return (self.car_id, self.car_name, self.license_plate, self.user_id, self.start,
                self.end, self.start_latitude, self.start_longitude, self.end_latitude,
                self.end_longitude, self.start_odometer, self.end_odometer, self.km)


def _next(field: str) -> Subquery:
    """`field` of the car's next opening or closing after the outer event (time, 100 ns, id).

    The plain `>=` on the time lets the database read the (car, time) index from the outer
    event on; the exact order among events of the same time is the filter after it.
    """
    later = (Q(utc_date_time__gt=OuterRef("utc_date_time"))
             | Q(utc_date_time=OuterRef("utc_date_time"), utc_ticks__gt=OuterRef("utc_ticks"))
             | Q(utc_date_time=OuterRef("utc_date_time"), utc_ticks=OuterRef("utc_ticks"),
                 event_id__gt=OuterRef("event_id")))
    return Subquery(StoredEvent.objects.filter(car=OuterRef("car_id"), type__in=KINDS,
                                               utc_date_time__gte=OuterRef("utc_date_time"))
                    .filter(later).order_by("utc_date_time", "utc_ticks", "event_id")
                    .values(field)[:1])


def _next_time() -> Subquery:
    """The time of the car's next opening or closing strictly after the outer event, or the
    far future: a plain range on the (car, time) index, one probe per opening."""
    return Coalesce(Subquery(
        StoredEvent.objects.filter(car=OuterRef("car_id"), type__in=KINDS,
                                   utc_date_time__gt=OuterRef("utc_date_time"))
        .order_by("utc_date_time").values("utc_date_time")[:1]),
        Value(FAR_FUTURE, output_field=DateTimeField()))


_FIELDS = ("pk", "car__car_id", "car__name", "car__license_plate", "user_id",
           "utc_date_time", "latitude", "longitude", "next_pk")


def _with_next(events: QuerySet) -> QuerySet:
    """The openings as tuples of _FIELDS: the next event's row key, nothing of it yet."""
    return events.annotate(next_pk=_next("pk")).values_list(*_FIELDS)


def _sessions_of(batch) -> list[Session]:
    """Sessions of a batch of _FIELDS tuples: the next events and the samples around both
    ends in one more query (indexed probes for these events only)."""
    keys = [item[0] for item in batch] + [item[-1] for item in batch if item[-1] is not None]
    events = {pk: (kind, moment, latitude, longitude,
                   nearest(moment, (before, before_at), (after, after_at)))
              for pk, kind, moment, latitude, longitude, before, before_at, after, after_at
              in nearest_of_events(StoredEvent.objects.filter(pk__in=keys)).values_list(
                  "pk", "type", "utc_date_time", "latitude", "longitude", "odo_before",
                  "odo_before_at", "odo_after", "odo_after_at")}
    found = []
    for pk, car_id, name, plate, user_id, start, latitude, longitude, next_pk in batch:
        following = events.get(next_pk)
        closed = following is not None and following[0] == Event.CLOSED
        found.append(Session(
            car_id=car_id, car_name=name, license_plate=plate, user_id=user_id, start=start,
            end=following[1] if closed else None, start_latitude=latitude,
            start_longitude=longitude,
            end_latitude=following[2] if closed else None,
            end_longitude=following[3] if closed else None,
            start_odometer=events[pk][4], end_odometer=following[4] if closed else None))
    return found


def openings(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> QuerySet:
    """The openings that start a session overlapping [start, end), by time, car, as tuples
    of _FIELDS."""
    events = StoredEvent.objects.filter(
        fleet=store, car__in=car_keys(store, car_ids), type=Event.OPENED,
        utc_date_time__gte=start - LOOKBACK, utc_date_time__lt=end).annotate(
        open_until=_next_time())
    # Before the period: only while it was still open at its start (the first test is
    # cheap and decides for every opening inside the period).
    return _with_next(
        events.filter(Q(utc_date_time__gte=start) | Q(open_until__gte=start))
        .order_by("utc_date_time", "car__name", "car__car_id", "event_id"))


def sessions(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> list[Session]:
    """Every session of the store's (selected) cars overlapping [start, end), by start."""
    return _sessions_of(list(openings(store, start=start, end=end, car_ids=car_ids)))


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> tables.Table:
    rows = tables.LazyRows(
        openings(store, start=start, end=end, car_ids=car_ids),
        lambda batch: [session.row() for session in _sessions_of(batch)])
    return tables.Table(title=str(_("Usage sessions")), columns=COLUMNS, rows=rows,
                        people=people_of(store))


@dataclass(frozen=True)
class Answer:
    """Who had a car at a moment: the session covering it, else the car's last event before."""

    session: Session | None
    last_event: StoredEvent | None


def covering(store: FleetSync, *, car_id: int, at: datetime) -> Answer | None:
    """The answer for the store's car `car_id` at `at`; None if the store has no such car."""
    car = cars_of(store, [car_id]).first()
    if car is None:
        return None
    before = (StoredEvent.objects.filter(car=car, type__in=KINDS, utc_date_time__lte=at)
              .order_by("-utc_date_time", "-utc_ticks", "-event_id").first())
    if before is None or before.type != Event.OPENED:
        return Answer(None, before)
    found = _sessions_of(list(_with_next(StoredEvent.objects.filter(pk=before.pk))))
    session = found[0] if found and found[0].covers(at) else None
    return Answer(session, before)
