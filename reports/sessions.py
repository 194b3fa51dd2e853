"""Usage sessions, the key-handover log: each opened → closed pair of a car.

A session starts at an opening and ends at the car's next closing; an opening followed by
another opening (no closing stored between) or by nothing yet has no end. Its flinkey user
is the one who opened the car. The odometer at either end is the stored sample nearest in
time to the event. A session that began before the period and was still open in it is
included when its opening lies within LOOKBACK of the period's start.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync, StoredEvent
from flinkey import Event
from reports import tables
from reports.odometers import nearest, nearest_of_events
from reports.scope import car_keys, cars_of, people_of

LOOKBACK = timedelta(days=7)

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


def sessions(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> list[Session]:
    """The sessions of the store's (selected) cars overlapping [start, end), by start."""
    cars = {car.pk: car for car in cars_of(store, car_ids).only("pk", "car_id", "name",
                                                                "license_plate")}
    events = nearest_of_events(
        StoredEvent.objects.filter(fleet=store, car__in=car_keys(store, car_ids),
                                   type__in=(Event.OPENED, Event.CLOSED),
                                   utc_date_time__gte=start - LOOKBACK, utc_date_time__lt=end)
    ).order_by("car_id", "utc_date_time", "utc_ticks", "event_id")
    found: list[Session] = []
    open_one: dict | None = None
    open_car = None
    for event in events.iterator(chunk_size=2000):
        if open_car != event.car_id:
            if open_one is not None:
                found.append(Session(**open_one))
            open_one, open_car = None, event.car_id
        odometer = nearest(event.utc_date_time, (event.odo_before, event.odo_before_at),
                           (event.odo_after, event.odo_after_at))
        if event.type == Event.OPENED:
            if open_one is not None:  # opened again, no closing between: no known end
                found.append(Session(**open_one))
            car = cars[event.car_id]
            open_one = {"car_id": car.car_id, "car_name": car.name,
                        "license_plate": car.license_plate, "user_id": event.user_id,
                        "start": event.utc_date_time, "end": None,
                        "start_latitude": event.latitude, "start_longitude": event.longitude,
                        "start_odometer": odometer}
        elif open_one is not None:
            open_one.update(end=event.utc_date_time, end_latitude=event.latitude,
                            end_longitude=event.longitude, end_odometer=odometer)
            found.append(Session(**open_one))
            open_one = None
    if open_one is not None:
        found.append(Session(**open_one))
    overlapping = [s for s in found if s.start < end and (s.end is None or s.end >= start)]
    return sorted(overlapping, key=lambda s: (s.start, s.car_name, s.car_id))


def build(store: FleetSync, *, start: datetime, end: datetime, car_ids=None) -> tables.Table:
    rows = [session.row() for session in sessions(store, start=start, end=end,
                                                   car_ids=car_ids)]
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
    before = (StoredEvent.objects.filter(car=car, utc_date_time__lte=at)
              .order_by("-utc_date_time", "-utc_ticks", "-event_id").first())
    if before is None or before.type != Event.OPENED:
        return Answer(None, before)
    # The car's sessions from that opening on, up to just after the next event after `at`.
    until = (StoredEvent.objects.filter(car=car, utc_date_time__gt=at)
             .aggregate(next=Min("utc_date_time"))["next"] or at)
    for session in sessions(store, start=before.utc_date_time, end=until + timedelta(seconds=1),
                            car_ids=[car_id]):
        if session.start == before.utc_date_time and session.covers(at):
            return Answer(session, before)
    return Answer(None, before)
