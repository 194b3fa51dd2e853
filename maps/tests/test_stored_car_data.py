"""The fleet store's fast path (maps.fleet.stored_car_data) draws every car as the general
path (maps.fleet.car_data over Cars and Positions) would: the same items, key for key."""

from datetime import timedelta

from django.utils import timezone

from flinkey import Car, Event, Location
from maps import fleet
from maps.services import LOCATED, NO_DEVICE, NO_POSITION, Position


def positions_of(rows):
    """The Cars, Positions and newest event types the store's rows stood for before the fast
    path (the way maps.services.stored_batch built them)."""
    cars, found, locks = [], {}, {}
    for car_id, name, plate, has_iq, lat, lon, fix_at, odometer, last_type in rows:
        cars.append(Car(id=car_id, name=name, license_plate=plate))
        location = None if lat is None and odometer is None else Location(
            latitude=lat, longitude=lon, recorded_at=fix_at, odometer=odometer,
            odometer_recorded_at=None)
        if has_iq is False:
            found[car_id] = Position(car_id, NO_DEVICE)
        elif location is None or location.latitude is None or location.longitude is None:
            found[car_id] = Position(car_id, NO_POSITION, location, has_iq=has_iq)
        else:
            found[car_id] = Position(car_id, LOCATED, location)
        if last_type is not None:
            locks[car_id] = last_type
    return cars, found, locks


def test_the_store_rows_are_drawn_as_the_general_path_draws_them():
    now = timezone.now()
    # Ages well inside their minute: the two paths read the clock a moment apart.
    fresh, day, old = (now - timedelta(minutes=5, seconds=30),
                       now - timedelta(hours=3, seconds=30), now - timedelta(days=3, seconds=30))
    rows = [
        (1, "Fresh", "M-A 1", True, 48.1, 11.5, fresh, 1200, Event.OPENED),
        (2, "Day", None, None, 48.2, 11.6, day, None, Event.CLOSED),
        (3, "Old", "M-A 3", True, 48.3, 11.7, old, 10, "SomethingElse"),
        (4, "No time", "", True, 48.4, 11.8, None, None, None),
        (5, "No IQ", "M-A 5", False, None, None, None, None, Event.OPENED),
        (6, "Not reported, IQ known", "M-A 6", True, None, None, None, None, None),
        (7, "Not reported, IQ unknown", "M-A 7", None, None, None, None, None, None),
        (8, "Odometer only", "M-A 8", None, None, None, fresh, 5000, None),
        (9, "Latitude only", "M-A 9", None, 48.5, None, None, None, None),
        (10, "Time only", "M-A 10", None, None, None, fresh, None, None),
    ]
    cars, found, locks = positions_of(rows)

    expected = fleet.car_data(found, at=None, cars=cars, last_events=locks)

    assert fleet.stored_car_data(rows) == expected
    # And in the same key order (the JSON the script reads is written in it).
    assert [list(item) for item in fleet.stored_car_data(rows)] == [list(i) for i in expected]
