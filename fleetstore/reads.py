"""Fleet-wide answers from the store, as the flinkey client's own types.

Callers get the FleetSync from fleetstore.services.stored_fleet(user) (the fleet the user's
own credentials reach now) and pass it here: nothing here checks who asks.
"""

from datetime import UTC, datetime

from django.db.models import Q

from fleetstore.models import FleetSync, StoredCar, StoredEvent
from flinkey import Car, Event, Location


def stored_car(row: StoredCar) -> Car:
    """The stored row as the client's Car."""
    return Car(id=row.car_id, name=row.name, description=row.description, vin=row.vin,
               license_plate=row.license_plate, brand=row.brand, model=row.model)


def car_name(fleet: FleetSync, car_id: int) -> str | None:
    """The car's name as the store last learnt it, or None (not in the store)."""
    return (StoredCar.objects.filter(fleet=fleet, car_id=car_id)
            .values_list("name", flat=True).first())


def stored_event(row: StoredEvent, car_id: int) -> Event:
    """The stored row as the client's Event (utc_ticks kept)."""
    local = row.local_date_time.replace(tzinfo=None) if row.local_date_time else None
    return Event(id=row.event_id, car_id=car_id, user_id=row.user_id, type=row.type,
                 utc_date_time=row.utc_date_time.astimezone(UTC), local_date_time=local,
                 user_agent=row.user_agent, latitude=row.latitude, longitude=row.longitude,
                 utc_ticks=row.utc_ticks)


def cars_left_open(fleet: FleetSync, *, opened_before: datetime) -> list[tuple[Car, Event]]:
    """Current cars of the fleet whose newest stored event is an opening before
    `opened_before`, longest open first, each with that opening.

    One query over the cars' `last_event`, so "left open" over 10,000 cars loads only the
    cars it shows.
    """
    rows = (StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True,
                                     last_event__type=Event.OPENED,
                                     last_event__utc_date_time__lt=opened_before)
            .select_related("last_event")
            .order_by("last_event__utc_date_time", "last_event__utc_ticks", "car_id"))
    return [(stored_car(row), stored_event(row.last_event, row.car_id)) for row in rows]


def cars_with_location(fleet: FleetSync, *, search: str = "", start: int = 0,
                       size: int | None = None) -> tuple[list[tuple[Car, bool | None,
                                                              Location | None]], bool]:
    """Current cars of the fleet (by name, id) from `start`, `size` of them (None: all),
    each with whether it has an IQ and its latest stored location; and whether more follow.

    `search` matches name, licence plate, VIN, brand or model (case-insensitive), as the car
    list's search does.
    """
    rows = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True)
    if search:
        rows = rows.filter(_matching(search))
    rows = rows.order_by("name", "car_id")
    window = list(rows[start:] if size is None else rows[start:start + size + 1])
    more = size is not None and len(window) > size
    return [(stored_car(row), row.has_iq, _location(row))
            for row in window[:size]], more


def count_cars(fleet: FleetSync, *, search: str = "") -> int:
    """How many current cars of the fleet match `search`."""
    rows = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True)
    if search:
        rows = rows.filter(_matching(search))
    return rows.count()


def _matching(search: str) -> Q:
    condition = Q()
    for name in ("name", "license_plate", "vin", "brand", "model"):
        condition |= Q(**{f"{name}__icontains": search.strip()})
    return condition


def _location(row: StoredCar) -> Location | None:
    if row.location_learnt_at is None:
        return None
    return Location(latitude=row.latitude, longitude=row.longitude, recorded_at=row.fix_at,
                    odometer=row.odometer, odometer_recorded_at=row.odometer_at)


def as_of(fleet: FleetSync) -> datetime | None:
    """When the fleet's events and cars were last synced in full."""
    return fleet.synced_at


# What the fleet map shows of a car, as plain values: a 10,000-car map reads them in a few
# batches, and model instances would cost more than the rest of the answer.
# One date only (the fix time): on SQLite each is parsed from text, 10,000 times a map.
MAP_FIELDS = ("car_id", "name", "license_plate", "has_iq", "latitude", "longitude", "fix_at",
              "odometer", "last_event__type")


def map_rows(fleet: FleetSync, *, search: str = "", start: int = 0,
             size: int | None = None) -> tuple[list[tuple], bool]:
    """Current cars of the fleet (by name, id) from `start`, `size` of them (None: all), as
    tuples of MAP_FIELDS (the newest stored event's type last, or None); and whether more
    follow. `search` as in cars_with_location."""
    rows = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True)
    if search:
        rows = rows.filter(_matching(search))
    rows = rows.order_by("name", "car_id").values_list(*MAP_FIELDS)
    window = list(rows[start:] if size is None else rows[start:start + size + 1])
    more = size is not None and len(window) > size
    return window[:size], more
