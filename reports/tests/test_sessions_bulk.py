"""The sessions report's set-wise queries (a window over the events, a merge over the
samples) against a slow, straightforward computation on a small random store."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from flinkey import Event
from reports import sessions
from reports.tests.conftest import PERIOD_END, PERIOD_START


def straightforward(cars, events, samples, start, end):
    """Sessions worked out by hand: every opening, its car's next event, nearest samples."""

    def nearest(car, moment):
        readings = [(abs((at - moment).total_seconds()), odometer)
                    for at, odometer in samples.get(car.pk, [])]
        return min(readings)[1] if readings else None

    found = []
    for car in cars:
        own = sorted(events.get(car.pk, []), key=lambda e: (e.utc_date_time, e.event_id))
        for number, event in enumerate(own):
            if event.type != Event.OPENED or not (
                    start - sessions.LOOKBACK <= event.utc_date_time < end):
                continue
            following = own[number + 1] if number + 1 < len(own) else None
            if event.utc_date_time < start and following is not None \
                    and following.utc_date_time < start:
                continue
            closed = following is not None and following.type == Event.CLOSED
            session = sessions.Session(
                car_id=car.car_id, car_name=car.name, license_plate=car.license_plate,
                user_id=event.user_id, start=event.utc_date_time,
                end=following.utc_date_time if closed else None,
                start_latitude=event.latitude, start_longitude=event.longitude,
                end_latitude=following.latitude if closed else None,
                end_longitude=following.longitude if closed else None,
                start_odometer=nearest(car, event.utc_date_time),
                end_odometer=nearest(car, following.utc_date_time) if closed else None)
            found.append(((event.utc_date_time, car.name, car.car_id, event.event_id),
                          session.row()))
    return [row for _key, row in sorted(found)]


@pytest.mark.parametrize("merge_from", [1, 10_000])
def test_sessions_match_a_straightforward_computation(db, flinkey_api, monkeypatch,
                                                      merge_from):
    from fleetstore.models import FleetSync, PositionSample, StoredCar, StoredEvent
    from flinkey_sandbox import DEMO

    # Both ways to the odometers: the merge over a batch's samples and the index probes.
    monkeypatch.setattr(sessions, "MERGE_FROM", merge_from)
    rng = random.Random(7)  # noqa: S311 - test data
    now = timezone.now()
    store = FleetSync.objects.create(api_url=flinkey_api.url, customer_id=DEMO.customer_id,
                                     api_key=DEMO.api_key, username=DEMO.username,
                                     password=DEMO.password, synced_at=now)
    cars = [StoredCar.objects.create(fleet=store, car_id=6000 + n, name=f"Car {n % 4}",
                                     license_plate=None, learnt_at=now) for n in range(12)]
    events, samples = {}, {}
    event_id = 1
    first = PERIOD_START - timedelta(days=10)
    for car in cars:
        moment = first
        while moment < PERIOD_END + timedelta(days=3):
            moment += timedelta(minutes=rng.randint(30, 60 * 40))
            kind = rng.choice([Event.OPENED, Event.CLOSED, Event.OPENED])
            events.setdefault(car.pk, []).append(StoredEvent.objects.create(
                fleet=store, car=car, event_id=event_id, user_id=rng.randint(1, 5), type=kind,
                utc_date_time=moment, latitude=rng.uniform(47, 49), longitude=11.0,
                learnt_at=now))
            event_id += 1
        if car.car_id % 5 == 0:
            continue  # a car without any sample
        moment, odometer = first - timedelta(days=rng.randint(0, 20)), 1000.0
        while moment < PERIOD_END + timedelta(days=2):
            # Gaps from minutes to days: some events' nearest sample lies far outside a
            # batch's stretch of samples.
            moment += timedelta(minutes=rng.choice([7, 90, 400, 60 * 30, 60 * 80]))
            odometer += rng.uniform(0, 50)
            PositionSample.objects.create(car=car, recorded_at=moment, odometer=odometer,
                                          learnt_at=now)
            samples.setdefault(car.pk, []).append((moment, odometer))
    expected = straightforward(cars, events, samples, PERIOD_START, PERIOD_END)
    assert len(expected) > 50
    table = sessions.build(store, start=PERIOD_START, end=PERIOD_END)
    assert list(table.rows) == expected  # a file: the whole window, in batches
    assert len(table.rows) == len(expected)
    pages = [row for first_row in range(0, len(expected), 7)
             for row in table.rows[first_row:first_row + 7]]
    assert pages == expected  # a page at a time
    some = [cars[1].car_id, cars[4].car_id]
    chosen = sessions.build(store, start=PERIOD_START, end=PERIOD_END, car_ids=some)
    assert list(chosen.rows) == [row for row in expected if row[0] in some]


def test_sessions_carried_into_the_period_tell_events_of_the_same_moment_apart(db,
                                                                                flinkey_api):
    """Events stored to the same microsecond before the period: (100 ns, id) decides which
    is a car's last one, so which session was still open at the period's start."""
    from fleetstore.models import FleetSync, StoredCar, StoredEvent
    from flinkey_sandbox import DEMO

    now = timezone.now()
    store = FleetSync.objects.create(api_url=flinkey_api.url, customer_id=DEMO.customer_id,
                                     api_key=DEMO.api_key, username=DEMO.username,
                                     password=DEMO.password, synced_at=now)
    moment = PERIOD_START - timedelta(days=2)
    opened, closed = Event.OPENED, Event.CLOSED
    # car → its events at `moment`, each (type, 100 ns, event id); the last one decides.
    stories = {
        "ticks: the opening last": [(closed, 3, 1), (opened, 5, 2)],
        "ticks: the closing last": [(opened, 3, 3), (closed, 5, 4)],
        "ids: two openings": [(opened, 0, 6), (opened, 0, 5)],
        "ids: the opening last": [(closed, 0, 7), (opened, 0, 8)],
        "ids: the closing last": [(opened, 0, 9), (closed, 0, 10)],
    }
    for number, (name, events) in enumerate(stories.items()):
        car = StoredCar.objects.create(fleet=store, car_id=6100 + number, name=name,
                                       learnt_at=now)
        for kind, ticks, event_id in events:
            StoredEvent.objects.create(fleet=store, car=car, event_id=event_id, type=kind,
                                       user_id=event_id, utc_date_time=moment, utc_ticks=ticks,
                                       learnt_at=now)
    table = sessions.build(store, start=PERIOD_START, end=PERIOD_END)
    expected = [("ids: the opening last", 8), ("ids: two openings", 6),
                ("ticks: the opening last", 2)]
    position = table.index("user_id")
    assert [(row[1], row[position]) for row in table.rows[0:10]] == expected  # a page
    assert [(row[1], row[position]) for row in table.rows] == expected  # a file
    assert len(table.rows) == 3
