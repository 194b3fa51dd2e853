"""Usage sessions, the key-handover log: each opened → closed pair of a car.

A session is an opening and the car's next event: a closing ends it; another opening (no
closing stored between) or nothing yet leaves it without an end. Its flinkey user is the
one who opened the car. The odometer at either end is the stored sample nearest in time to
the event. A session that began before the period and was still open in it is included
when its opening lies within LOOKBACK of the period's start.

The openings and their next events come from one window-function query (session_rows);
the odometers of a page's (or a file's batch's) sessions from one more, indexed probes for
those events only: a page works out its own 200 sessions, not the fleet's month.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, StoredEvent
from flinkey import Event
from reports import tables
from reports.odometers import nearest, nearest_by_merge, nearest_of_events
from reports.scope import cars_of, people_of
from reports.session_rows import OpeningRows

LOOKBACK = timedelta(days=7)
KINDS = (Event.OPENED, Event.CLOSED)

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


_FIELDS = ("pk", "car__car_id", "car__name", "car__license_plate", "user_id",
           "utc_date_time", "latitude", "longitude")


def with_next_key(events: QuerySet) -> QuerySet:
    """`events` annotated with `next_pk`, the row key of the car's next opening or closing."""
    return events.annotate(next_pk=_next("pk"))


def _odometers(keys) -> dict:
    """Row key → the odometer nearest in time, for these events: one query, an index probe
    on (car, recorded_at) before and after each event."""
    return {pk: nearest(moment, (before, before_at), (after, after_at))
            for pk, moment, before, before_at, after, after_at
            in nearest_of_events(StoredEvent.objects.filter(pk__in=keys)).values_list(
                "pk", "utc_date_time", "odo_before", "odo_before_at", "odo_after",
                "odo_after_at")}


# From this many events on, a batch's odometers come from one merge over its samples
# (odometers.nearest_by_merge); a page's few hundred probe the index instead, since the
# sessions carried into the period stretch its events over the look-back days.
MERGE_FROM = 1000
# A file's batch: a day or two of a large fleet's openings, so that the samples each
# merge reads (the batch's stretch and the slack around it) overlap the next one's little.
BATCH = 10_000


def _odometers_of(events: list[tuple]) -> dict:
    """Row key → the nearest reading, for (key, car row key, moment) events."""
    if len(events) < MERGE_FROM:
        return _odometers([key for key, _car, _moment in events])
    found, undecided = nearest_by_merge(events)
    if undecided:
        found.update(_odometers(undecided))
    return found


def _sessions_of(batch) -> list[Session]:
    """Sessions of a batch of session_rows.FIELDS tuples (the next event already in each):
    the odometers at both ends in one more query."""
    ends = [(item[0], item[13], item[5]) for item in batch]
    ends += [(item[8], item[13], item[10]) for item in batch
             if item[8] is not None and item[9] == Event.CLOSED]
    odometers = _odometers_of(ends)
    found = []
    for (pk, car_id, name, plate, user_id, start, latitude, longitude, next_pk, next_type,
         next_at, next_latitude, next_longitude, _car_key) in batch:
        closed = next_pk is not None and next_type == Event.CLOSED
        found.append(Session(
            car_id=car_id, car_name=name, license_plate=plate, user_id=user_id, start=start,
            end=next_at if closed else None, start_latitude=latitude,
            start_longitude=longitude,
            end_latitude=next_latitude if closed else None,
            end_longitude=next_longitude if closed else None,
            start_odometer=odometers.get(pk),
            end_odometer=odometers.get(next_pk) if closed else None))
    return found


def openings(store: FleetSync, *, start: datetime, end: datetime,
             car_ids=None) -> OpeningRows:
    """The openings that start a session overlapping [start, end), by time, car, with
    their next event (session_rows.FIELDS)."""
    return OpeningRows(store, since=start - LOOKBACK, start=start, end=end, car_ids=car_ids)


def sessions(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> list[Session]:
    """Every session of the store's (selected) cars overlapping [start, end), by start."""
    return _sessions_of(list(openings(store, start=start, end=end, car_ids=car_ids)
                             .iterator()))


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> tables.Table:
    rows = tables.LazyRows(
        openings(store, start=start, end=end, car_ids=car_ids),
        lambda batch: [session.row() for session in _sessions_of(batch)], batch=BATCH)
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
    opening = with_next_key(StoredEvent.objects.filter(pk=before.pk)).values_list(
        *_FIELDS, "next_pk").get()
    following = (StoredEvent.objects.filter(pk=opening[-1]).values_list(
        "pk", "type", "utc_date_time", "latitude", "longitude").first()
        if opening[-1] is not None else None)
    found = _sessions_of([(*opening[:8], *(following or (None,) * 5), car.pk)])
    session = found[0] if found and found[0].covers(at) else None
    return Answer(session, before)
