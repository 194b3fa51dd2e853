"""A fleet store the tests fill themselves: a few cars with devices, samples and events.

The expected figures in the tests are worked out from these same rows, in the tests, not
by the reports' code.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from fleetadmin.models import UserPreferences
from flinkey import Event, Product
from flinkey_sandbox import DEMO

ZONE = "Europe/Berlin"
# November 2026 in Berlin (CET, UTC+1): [2026-10-31 23:00Z, 2026-11-30 23:00Z).
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
PERIOD_START = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

ALPHA, BRAVO, CHARLIE, GONE = 7001, 7002, 7003, 7004
PERSON = "Erika Mustermann"
STRANGER = 555


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Filled:
    store: object
    cars: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)  # car id → [(at, lat, lon, odometer)]
    events: dict = field(default_factory=dict)  # car id → [(at, type, user, lat, lon)]
    products: list = field(default_factory=list)  # (car id, type, serial, service end)


def fill(store) -> Filled:
    from fleetstore.models import PositionSample, StoredCar, StoredEvent, StoredProduct

    now = timezone.now()
    filled = Filled(store)
    cars = {
        ALPHA: {"name": "Alpha", "license_plate": "M-A 1", "has_iq": True,
                "fix_at": now - timedelta(minutes=10)},
        BRAVO: {"name": "Bravo", "license_plate": "M-B 2", "has_iq": True, "fix_at": None},
        CHARLIE: {"name": "Charlie", "license_plate": None, "has_iq": False, "fix_at": None},
        GONE: {"name": "Gone", "license_plate": "M-G 4", "has_iq": True, "fix_at": None,
               "gone_at": now},
    }
    for car_id, fields in cars.items():
        filled.cars[car_id] = StoredCar.objects.create(fleet=store, car_id=car_id,
                                                       learnt_at=now, **fields)
    filled.samples = {
        ALPHA: [(at("2026-10-31T12:00"), 48.1, 11.5, 1000.0),
                (at("2026-11-03T08:00"), 48.1, 11.5, 1000.0),
                (at("2026-11-03T10:00"), 48.2, 11.6, 1042.5),
                (at("2026-11-20T09:00"), 48.2, 11.6, 1100.25),
                (at("2026-12-05T09:00"), 48.3, 11.7, 1200.0)],
        CHARLIE: [(at("2026-11-10T09:00"), 48.0, 11.0, 500.0),
                  (at("2026-11-10T15:00"), 48.0, 11.0, 500.0)],  # a day without a move
    }
    for car_id, samples in filled.samples.items():
        for recorded_at, lat, lon, odometer in samples:
            PositionSample.objects.create(car=filled.cars[car_id], recorded_at=recorded_at,
                                          latitude=lat, longitude=lon, odometer=odometer,
                                          learnt_at=now)
    filled.events = {
        ALPHA: [(at("2026-11-03T07:55"), Event.OPENED, DEMO.user_id, 48.1, 11.5),
                (at("2026-11-03T10:05"), Event.CLOSED, DEMO.user_id, 48.2, 11.6),
                (at("2026-11-20T08:00"), Event.OPENED, STRANGER, 48.2, 11.6)],
        CHARLIE: [(at("2026-10-20T08:00"), Event.CLOSED, DEMO.user_id, None, None)],
        GONE: [(at("2026-11-05T08:00"), Event.OPENED, DEMO.user_id, None, None)],
    }
    event_id = 90_000
    for car_id, events in filled.events.items():
        last = None
        for moment, kind, user, lat, lon in events:
            event_id += 1
            last = StoredEvent.objects.create(
                fleet=store, car=filled.cars[car_id], event_id=event_id, user_id=user,
                type=kind, utc_date_time=moment, latitude=lat, longitude=lon, learnt_at=now)
        StoredCar.objects.filter(pk=filled.cars[car_id].pk).update(last_event=last)
    filled.products = [
        (ALPHA, Product.BOX, "BOX-A", now + timedelta(days=400)),
        (BRAVO, Product.BOX, "BOX-B", datetime(2026, 1, 1, tzinfo=UTC)),
        (BRAVO, Product.IQ, "IQ-B", now + timedelta(days=10)),
        (CHARLIE, Product.BOX, "BOX-C", None),
        (GONE, Product.BOX, "BOX-G", datetime(2025, 1, 1, tzinfo=UTC)),
    ]
    for number, (car_id, kind, serial, ends) in enumerate(filled.products, start=1):
        StoredProduct.objects.create(car=filled.cars[car_id], product_id=number, type=kind,
                                     serial_number=serial, service_ends_at=ends,
                                     learnt_at=now)
    return filled


@pytest.fixture
def store(db, flinkey_api):
    """The demo customer's store, synced (as far as the reports can tell), filled."""
    from fleetstore.tests.conftest import make_fleet
    from people.models import Person

    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now())
    Person.objects.create(api_url=flinkey_api.url, customer_id=DEMO.customer_id,
                          flinkey_user_id=DEMO.user_id, name=PERSON)
    return fill(fleet)


@pytest.fixture
def berlin(manager):
    UserPreferences.objects.update_or_create(user=manager, defaults={"time_zone": ZONE})
    return manager


@pytest.fixture
def fast_sync(settings):
    """No pacing (the sandbox answers at once), as in fleetstore's tests."""
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    return settings
