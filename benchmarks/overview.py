"""The home page at fleet scale: its server time with a big fleet store.

    .venv/bin/python -m benchmarks.overview [--cars 10000] [--events-per-day 4]
        [--samples-per-day 8] [--runs 10] [--database-url postgres://...]

Fills the fleet store directly (no sync): `--cars` cars with a Box and an IQ each, 35 days
of openings and closings (`--events-per-day` per car) and of odometer samples
(`--samples-per-day` per car, the odometer growing), then signs a fleet manager in and
times GET / through Django's test client, `--runs` times after one warm-up (which proves the
user's reach: a few sandbox calls, then none). Prints the server time's median and p95 and
how many database queries one page took. SQLite in memory unless `--database-url` (e.g.
PostgreSQL, or a SQLite file; its tables are used, so give it a throwaway one: a second run
on it measures the store the first one filled).
"""

import argparse
import os
import random
import time
from datetime import timedelta

from benchmarks.car_list import configure_django, percentile

DAYS = 35


def fill(fleet, *, cars: int, events_per_day: int, samples_per_day: int) -> dict:
    """Write the fleet; return how many rows of each kind."""
    from django.utils import timezone

    from fleetstore.models import PositionSample, StoredCar, StoredEvent, StoredProduct

    rng = random.Random(21)  # noqa: S311 - benchmark data
    now = timezone.now()
    StoredCar.objects.bulk_create([
        StoredCar(fleet=fleet, car_id=800_000 + n, name=f"Car {n:05d}", learnt_at=now, has_iq=True,
                  latitude=48.1, longitude=11.5,
                  fix_at=now - timedelta(minutes=rng.randint(1, 60 * 48)),
                  location_learnt_at=now, odometer=0)
        for n in range(cars)], batch_size=5000)
    pks = list(StoredCar.objects.filter(fleet=fleet).values_list("pk", flat=True))
    StoredProduct.objects.bulk_create([
        StoredProduct(car_id=pk, product_id=pk * 10 + index, learnt_at=now,
                      type=("flinkey Box", "flinkey IQ")[index],
                      service_ends_at=now + timedelta(days=rng.randint(-60, 700)))
        for pk in pks for index in (0, 1)], batch_size=5000)
    counts = {"cars": len(pks), "products": 2 * len(pks), "events": 0, "samples": 0}
    start = now - timedelta(days=DAYS)
    event_id = 0
    batch, samples = [], []
    for pk in pks:
        moment, opened = start, True
        for _ in range(DAYS * events_per_day):
            moment += timedelta(minutes=rng.randint(1, 2 * 24 * 60 // max(events_per_day, 1)))
            if moment >= now:
                break
            event_id += 1
            batch.append(StoredEvent(fleet=fleet, car_id=pk, event_id=event_id,
                                     type="CarOpened" if opened else "CarClosed",
                                     utc_date_time=moment, learnt_at=now))
            opened = not opened
        odometer, moment = rng.uniform(1000, 90_000), start
        step = timedelta(minutes=24 * 60 // max(samples_per_day, 1))
        while samples_per_day and moment < now:
            samples.append(PositionSample(car_id=pk, recorded_at=moment, odometer=odometer,
                                          learnt_at=now))
            moment += step
            odometer += rng.choice((0, 0, rng.uniform(1, 40)))
        if len(batch) > 50_000:
            StoredEvent.objects.bulk_create(batch, batch_size=5000)
            counts["events"] += len(batch)
            batch = []
        if len(samples) > 50_000:
            PositionSample.objects.bulk_create(samples, batch_size=5000)
            counts["samples"] += len(samples)
            samples = []
    StoredEvent.objects.bulk_create(batch, batch_size=5000)
    PositionSample.objects.bulk_create(samples, batch_size=5000)
    counts["events"] += len(batch)
    counts["samples"] += len(samples)
    # Each car's newest event, as the sync keeps it: one statement.
    from django.db.models import OuterRef, Subquery

    StoredCar.objects.filter(fleet=fleet).update(last_event=Subquery(
        StoredEvent.objects.filter(car=OuterRef("pk")).order_by("-utc_date_time")
        .values("pk")[:1]))
    return counts


def print_parts(fleet) -> None:
    """Each figure's own time (one run each), to see which one the page waits for.

    The charts' settled days are kept in the cache (overview.figures.chart_days): the first
    page of a day in a time zone asks about all 30 days, the others about the last few.
    """
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from overview import figures
    from overview.models import FleetDay
    from overview.periods import Calendar
    from overview.tasks import roll_up_fleet

    now = timezone.now()
    calendar = Calendar(now=now.astimezone(UTC), zone=ZoneInfo("Europe/Berlin"))
    parts = {
        "car counts": lambda: figures.car_counts(fleet, now=now, left_open_hours=12),
        "service counts": lambda: figures.service_counts(fleet, now=now),
        "chart days, none rolled up": lambda: (FleetDay.objects.all().delete(),
                                                figures.chart_days(fleet, calendar)),
        "chart days, all rolled up": lambda: figures.chart_days(fleet, calendar),
        "chart days after a run, before its roll-up (the last days asked)": lambda: (
            _new_run(fleet), figures.chart_days(fleet, calendar)),
        "the roll-up task after a run (in the worker)": lambda: (
            _new_run(fleet), roll_up_fleet.call(fleet.pk)),
    }
    timings = []
    for name, part in parts.items():
        began = time.perf_counter()
        part()
        timings.append(f"{name} {(time.perf_counter() - began) * 1000:.0f} ms")
    print("parts: " + ", ".join(timings))


def _new_run(fleet) -> None:
    """As a sample run does: the store's sample time moves (its last days are asked again)."""
    from django.utils import timezone

    fleet.sampled_at = timezone.now()
    fleet.save(update_fields=["sampled_at"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cars", type=int, default=10_000)
    parser.add_argument("--events-per-day", type=int, default=4)
    parser.add_argument("--samples-per-day", type=int, default=8)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    from flinkey_sandbox import DEMO, Sandbox

    sandbox = Sandbox()
    sandbox.start()
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    configure_django(sandbox.url, args.database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from benchmarks.car_list import signed_in_client
    from fleetstore.models import FleetSync

    get_user_model().objects.filter(username="benchmark").delete()  # an earlier run's
    client, _user = signed_in_client()
    fleet = FleetSync.objects.filter(customer_id=DEMO.customer_id).first()
    if fleet is not None:  # --database-url of an earlier run: its store again, at this sandbox
        fleet.api_url, fleet.synced_at = sandbox.url, timezone.now()
        fleet.save()
        print(f"store ({connection.vendor}): kept from an earlier run, "
              f"{fleet.cars.count():,} cars")
    else:
        fleet = FleetSync.objects.create(api_url=sandbox.url, customer_id=DEMO.customer_id,
                                         api_key=DEMO.api_key, username=DEMO.username,
                                         password=DEMO.password, synced_at=timezone.now())
        started = time.perf_counter()
        counts = fill(fleet, cars=args.cars, events_per_day=args.events_per_day,
                      samples_per_day=args.samples_per_day)
        print(f"store ({connection.vendor}): {counts['cars']:,} cars, {counts['products']:,} "
              f"devices, {counts['events']:,} events, {counts['samples']:,} samples over "
              f"{DAYS} days (filled in {time.perf_counter() - started:.0f} s); load average "
              f"{os.getloadavg()[0]:.2f}")
    print_parts(fleet)

    def page():
        began = time.perf_counter()
        response = client.get("/", secure=True)
        assert response.status_code == 200, response.status_code
        assert b'id="tile-cars"' in response.content
        return time.perf_counter() - began

    from django.core.cache import cache

    from overview.models import FleetDay
    from overview.tasks import roll_up_fleet

    cache.clear()
    FleetDay.objects.all().delete()
    cold = page()  # also the proof of reach
    cache.clear()  # the page's own keeps (the reach) gone, the days rolled up: a cold cache
    cold_cache = page()
    before = sandbox.request_count(path_prefix="/cars")
    times = [page() for _ in range(args.runs)]
    after_run, before_roll_up = [], []
    for _ in range(max(args.runs // 2, 1)):
        _new_run(fleet)
        roll_up_fleet.call(fleet.pk)  # as the worker does right after the run
        after_run.append(page())
    for _ in range(max(args.runs // 5, 1)):
        _new_run(fleet)
        before_roll_up.append(page())
    with CaptureQueriesContext(connection) as queries:
        page()
    assert sandbox.request_count(path_prefix="/cars") == before, "the home page asked flinkey"
    print(f"home page: server time median {percentile(times, 0.5) * 1000:.0f} ms, p95 "
          f"{percentile(times, 0.95) * 1000:.0f} ms over {args.runs} runs; "
          f"{len(queries.captured_queries)} queries, 0 flinkey calls per car; the first page "
          f"after a store run and its roll-up median {percentile(after_run, 0.5) * 1000:.0f} "
          f"ms; with the cache cleared (days rolled up) {cold_cache * 1000:.0f} ms; nothing "
          f"rolled up (the first page in a zone no roll-up covers, the proof of reach) "
          f"{cold * 1000:.0f} ms; after a run before its roll-up (the last days asked) median "
          f"{percentile(before_roll_up, 0.5) * 1000:.0f} ms; load average "
          f"{os.getloadavg()[0]:.2f}")
    sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
