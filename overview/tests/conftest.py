"""A fleet store filled with known data, and the figures the home page should show for it,
worked out here car by car (plain Python, not the page's queries)."""

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fleetstore.tests.conftest import make_fleet
from flinkey import Event

TILE = re.compile(r'id="tile-([\w-]+)" href="([^"]*)">.*?data-value="(-?\d+)"', re.S)


def tiles(html: str) -> dict[str, int]:
    """Each tile's figure by its id."""
    return {name: int(value) for name, _url, value in TILE.findall(html)}


def tile_links(html: str) -> dict[str, str]:
    """Each tile's link by its id (as in the HTML: &amp; escaped)."""
    return {name: url.replace("&amp;", "&") for name, url, _value in TILE.findall(html)}


@dataclass
class Filled:
    """The store as written, and what the test expects from it."""

    fleet: object
    now: datetime
    cars: list = field(default_factory=list)  # dicts: what each car was given
    events: list = field(default_factory=list)  # (car index, type, utc moment)
    samples: list = field(default_factory=list)  # (car index, utc moment, odometer)


def fill(fleet, *, count=60, seed=21, now=None, first=0) -> Filled:
    """Write `count` cars with devices, events and odometer samples over the last 5 weeks."""
    from fleetstore.models import PositionSample, StoredCar, StoredEvent, StoredProduct

    rng = random.Random(seed)  # noqa: S311 - test data
    now = now or timezone.now()
    filled = Filled(fleet=fleet, now=now)
    for n in range(count):
        has_iq = rng.random() < 0.8
        gone = rng.random() < 0.05
        fix_age = rng.choice([None, timedelta(minutes=rng.randint(1, 59)),
                              timedelta(hours=rng.randint(2, 23)),
                              timedelta(hours=rng.randint(25, 200))]) if has_iq else None
        row = StoredCar.objects.create(
            fleet=fleet, car_id=700_000 + first + n, name=f"Test car {first + n:03d}",
            learnt_at=now,
            gone_at=now - timedelta(days=1) if gone else None, has_iq=has_iq,
            fix_at=now - fix_age if fix_age is not None else None,
            latitude=48.1 if fix_age is not None else None,
            longitude=11.5 if fix_age is not None else None,
            location_learnt_at=now if fix_age is not None else None)
        ends = [now + timedelta(days=rng.choice([-40, -1, 3, 29, 31, 200]),
                                hours=rng.randint(0, 5)) if rng.random() < 0.9 else None
                for _device in range(rng.choice([0, 1, 2]))]
        for index, ends_at in enumerate(ends):
            StoredProduct.objects.create(car=row, product_id=row.car_id * 10 + index,
                                         service_ends_at=ends_at, learnt_at=now,
                                         type="flinkey Box" if index == 0 else "flinkey IQ")
        events = []
        moment = now - timedelta(days=34, minutes=rng.randint(0, 600))
        kind = Event.OPENED
        while True:
            moment += timedelta(minutes=rng.randint(20, 60 * 30))
            if moment >= now:
                break
            events.append((kind, moment))
            kind = Event.CLOSED if kind == Event.OPENED else Event.OPENED
        stored = StoredEvent.objects.bulk_create([
            StoredEvent(fleet=fleet, car=row, event_id=row.car_id * 1000 + index, type=kind,
                        utc_date_time=moment, learnt_at=now)
            for index, (kind, moment) in enumerate(events)])
        if stored:
            StoredCar.objects.filter(pk=row.pk).update(last_event=stored[-1].pk)
        samples = []
        if has_iq and rng.random() < 0.9:
            odometer = rng.uniform(1_000, 90_000)
            moment = now - timedelta(days=rng.choice([45, 36, 20, 3]), minutes=rng.randint(0, 900))
            while moment < now:
                samples.append((moment, round(odometer, 1)))
                moment += timedelta(hours=rng.randint(1, 30))
                odometer += rng.choice([0, 0, rng.uniform(1, 180)])
            if rng.random() < 0.1 and len(samples) > 3:  # a replaced device: the reading drops
                cut = len(samples) // 2
                samples[cut:] = [(m, round(o - 5_000, 1)) for m, o in samples[cut:]]
        PositionSample.objects.bulk_create([
            PositionSample(car=row, recorded_at=moment, odometer=odometer, learnt_at=now)
            for moment, odometer in samples])
        filled.cars.append({"gone": gone, "has_iq": has_iq, "fix_age": fix_age,
                            "ends": ends, "last": events[-1] if events else None})
        filled.events += [(n, kind, moment) for kind, moment in events]
        filled.samples += [(n, moment, odometer) for moment, odometer in samples]
    return filled


def local_midnight(day, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def expected_km(filled: Filled, since: datetime, start: datetime, end: datetime) -> float:
    """Kilometres of the fleet from `start` to `end`, car by car, as overview.figures defines
    a day's: a car's odometer at a moment is its highest reading from `since` (the start of
    the day 2 days before) up to that moment; a car without one at `start` counts from its
    lowest reading from `start` to `end`; a negative difference counts as 0."""
    by_car: dict[int, list] = {}
    for car, moment, odometer in filled.samples:
        if since <= moment < end:
            by_car.setdefault(car, []).append((moment, odometer))
    total = 0.0
    for readings in by_car.values():
        at_end = max((odometer for at, odometer in readings if at < end), default=None)
        if at_end is None:
            continue
        at_start = max((odometer for at, odometer in readings if at < start), default=None)
        if at_start is None:
            at_start = min(odometer for at, odometer in readings if start <= at < end)
        total += max(at_end - at_start, 0.0)
    return total


@pytest.fixture
def redis_down(settings, flinkey_api):
    """The cache as CACHE_URL=redis://127.0.0.1:<closed port>/0 configures it (as
    fleetadmin/tests/test_cache_outage.py)."""
    from django.core.cache import cache

    from config.testing import free_port
    from fleetadmin.ops.cache_backend import cache_config

    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{free_port()}/0")}
    yield cache
    cache.clear()  # the stand-in of this process; the next test starts clean


def roll_up(fleet) -> None:
    """Roll the chart days up in every user's zone, as the worker does after a store run
    (the page shows only rolled-up days: overview.charts)."""
    from overview.tasks import roll_up_fleet

    roll_up_fleet.call(fleet.pk)


def shifted(filled: Filled, delta: timedelta) -> Filled:
    """`filled` and its fleet's rows moved `delta` later in time: every stored moment, and
    every moment the test expects. `fill` writes each moment as an offset from its `now`,
    so this is exactly the store `fill` would write with `now + delta` (the same cars,
    events, samples and service ends, the same ages and days as seen from the new now)."""
    from django.db.models import DateTimeField, F

    from fleetstore.models import FleetSync, PositionSample, StoredCar, StoredEvent, StoredProduct

    fleet_id = filled.fleet.pk
    for model, rows in ((FleetSync, {"pk": fleet_id}), (StoredCar, {"fleet_id": fleet_id}),
                        (StoredProduct, {"car__fleet_id": fleet_id}),
                        (PositionSample, {"car__fleet_id": fleet_id}),
                        (StoredEvent, {"fleet_id": fleet_id})):
        moments = [f.attname for f in model._meta.concrete_fields
                   if isinstance(f, DateTimeField) and f.attname != "local_date_time"]
        # Null stays null (NULL + interval is NULL); local_date_time is a naive wall time
        # fill never writes.
        model.objects.filter(**rows).update(**{name: F(name) + delta for name in moments})
    later = Filled(fleet=FleetSync.objects.get(pk=fleet_id), now=filled.now + delta)
    for car in filled.cars:
        later.cars.append({
            **car,
            "ends": [None if end is None else end + delta for end in car["ends"]],
            "last": None if car["last"] is None else (car["last"][0], car["last"][1] + delta),
        })
    later.events = [(n, kind, moment + delta) for n, kind, moment in filled.events]
    later.samples = [(n, moment + delta, odometer) for n, moment, odometer in filled.samples]
    return later


@pytest.fixture(scope="module")
def filled_rows(django_db_setup, django_db_blocker, sandbox_server):
    """The rows of `synced_store`'s fleet and fill, written once for the module (4,000 rows
    through the ORM cost a second a test) and copied into each test's transaction
    (fleetstore.tests.snapshot); `synced_store` then moves them to the test's own now."""
    from fleetstore.tests.snapshot import take_rows

    def build() -> Filled:
        now = timezone.now()
        # Sync on for months: every chart day has its samples (a newer store says where
        # they begin).
        fleet = make_fleet(sandbox_server.url, synced_at=now - timedelta(minutes=1),
                           created_at=now - timedelta(days=90))
        return fill(fleet, now=now)

    with django_db_blocker.unblock():
        return take_rows(build)


@pytest.fixture
def synced_store(db, flinkey_api, filled_rows):
    """A fleet store of the demo customer, synced a minute ago, filled with known data and
    its chart days rolled up (in the zones chosen so far: a test that picks a zone rolls
    up again)."""
    from fleetstore.tests.snapshot import put_rows

    rows, built = filled_rows
    put_rows(rows)
    filled = shifted(built, timezone.now() - built.now)
    roll_up(filled.fleet)
    return filled


def zone_where_today_is_not_utc_today(now: datetime) -> ZoneInfo:
    """A zone whose date differs from UTC's at `now` (UTC+14 late in the UTC day, else UTC-11)."""
    return ZoneInfo("Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago")
