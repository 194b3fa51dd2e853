""""Located in the last hour" counts the cars whose latest answer put them on the map."""

from datetime import timedelta

from django.utils import timezone

from fleetstore.models import StoredCar
from fleetstore.sync import store_location
from fleetstore.tests.conftest import make_fleet
from flinkey import Location
from overview import figures


def test_a_car_whose_latest_answer_has_no_coordinates_is_not_located(db):
    # The IQ reported five minutes ago from a tunnel: flinkey answered a time and an
    # odometer, no coordinates. The store keeps that answer as the car's latest (the map
    # shows the car without a position); the IQ is not silent either.
    fleet = make_fleet("http://sandbox.invalid/v3")
    now = timezone.now()
    tunnel = StoredCar.objects.create(fleet=fleet, car_id=1, name="Tunnel", learnt_at=now,
                                      has_iq=True)
    road = StoredCar.objects.create(fleet=fleet, car_id=2, name="Road", learnt_at=now,
                                    has_iq=True)
    for car, latitude, longitude in ((tunnel, None, None), (road, 48.1, 11.5)):
        store_location(car, Location(48.2, 11.6, now - timedelta(minutes=20), 1000.0,
                                     now - timedelta(minutes=20)), learnt_at=now)
        store_location(car, Location(latitude, longitude, now - timedelta(minutes=5), 1004.0,
                                     now - timedelta(minutes=5)), learnt_at=now)

    counts = figures.car_counts(fleet, now=now, left_open_hours=12)

    assert (counts.cars, counts.located, counts.silent) == (2, 1, 0)
