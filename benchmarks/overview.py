"""The home page at fleet scale: its server time with a big fleet store.

    .venv/bin/python -m benchmarks.overview [--cars 10000] [--events-per-day 4]
        [--samples-per-day 8] [--runs 10] [--database-url postgres://...]

Fills the fleet store directly (no sync): `--cars` cars with a Box and an IQ each, 35 days
of openings and closings (`--events-per-day` per car) and of odometer samples
(`--samples-per-day` per car, the odometer growing), then signs a fleet manager in and
times GET / through Django's test client, `--runs` times after one warm-up (which proves the
user's reach: a few sandbox calls, then none). Prints the server time's median and p95 and
how many database queries one page took; and the cases where the chart days are not all
rolled up (overview.charts): a zone with no roll-up (the page "Preparing the charts…", its
poll's answers before and after the roll-up), right after a store run before its roll-up
(the newest roll-up shown), the newest day without a row (prepared the same way), each
beside what asking the store inline would cost (the parts). SQLite in memory unless
`--database-url` (e.g. PostgreSQL, or a SQLite file; its tables are used, so give it a
throwaway one: a second run on it measures the store the first one filled).
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
    """Each figure's own time (one run each), to see which one the page waits for; and
    what the page would pay to ask the store inline (the worker's work now)."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from overview import charts, figures
    from overview.models import FleetDay
    from overview.periods import Calendar
    from overview.tasks import roll_up_fleet

    now = timezone.now()
    calendar = Calendar(now=now.astimezone(UTC), zone=ZoneInfo("Europe/Berlin"))
    parts = {
        "car counts": lambda: figures.car_counts(fleet, now=now, left_open_hours=12),
        "service counts": lambda: figures.service_counts(fleet, now=now),
        "all 30 chart days asked (the roll-up of a new zone, in the worker)": lambda: (
            FleetDay.objects.all().delete(), figures.chart_days(fleet, calendar)),
        "chart days for the page, all rolled up": lambda: charts.charts(fleet, calendar),
        "chart days for the page after a run, before its roll-up": lambda: (
            _new_run(fleet), charts.charts(fleet, calendar)),
        "the last days asked after a run (the roll-up's part, in the worker)": lambda: (
            figures.chart_days(fleet, calendar)),
        "the newest day alone asked (what the page does not do inline)": lambda: figures.ask(
            fleet, calendar, [calendar.today]),
        "the roll-up task after a run (in the worker)": lambda: (
            _new_run(fleet), roll_up_fleet.call(fleet.pk)),
    }
    timings = []
    for name, part in parts.items():
        began = time.perf_counter()
        part()
        timings.append(f"{name} {(time.perf_counter() - began) * 1000:.0f} ms")
    print("parts: " + ", ".join(timings) + f"; load average {os.getloadavg()[0]:.2f}")


def _new_run(fleet) -> None:
    """As a sample run does: the store's sample time moves (its last days are asked again)."""
    from django.utils import timezone

    fleet.sampled_at = timezone.now()
    fleet.save(update_fields=["sampled_at"])


def statements(run) -> list[str]:
    """The SQL statements `run()` sent (counted as they go: Django's query log is cut when
    a request starts, so CaptureQueriesContext around a test-client page may see none)."""
    from django.db import connection

    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        run()
    return sent


def _asked_keys(fleet):
    """The marks of roll-ups a page enqueued (overview.charts), in every zone."""
    from overview.tasks import zones

    return (f"overview:roll-up-asked:{fleet.pk}:{zone}" for zone in zones())


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

    def page(path="/", expect=b'id="tile-cars"', **headers):
        began = time.perf_counter()
        response = client.get(path, secure=True, **headers)
        assert response.status_code == 200, response.status_code
        assert expect in response.content, expect
        return time.perf_counter() - began

    from django.core.cache import cache

    from overview.models import FleetDay
    from overview.tasks import roll_up_fleet

    cache.clear()
    FleetDay.objects.all().delete()
    proof = page()  # the proof of reach; no roll-up: the charts are prepared in the worker
    roll_up_fleet.call(fleet.pk)
    cache.clear()  # the page's own keeps (the reach) gone, the days rolled up: a cold cache
    cold_cache = page()
    before = sandbox.request_count(path_prefix="/cars")
    times = [page() for _ in range(args.runs)]
    after_run, before_roll_up, new_zone, polls, newest_missing = [], [], [], [], []
    for _ in range(max(args.runs // 2, 1)):
        _new_run(fleet)
        roll_up_fleet.call(fleet.pk)  # as the worker does right after the run
        after_run.append(page())
    for _ in range(max(args.runs // 5, 1)):
        _new_run(fleet)
        before_roll_up.append(page())  # the newest roll-up shown
    roll_up_fleet.call(fleet.pk)
    for _ in range(max(args.runs // 5, 1)):
        FleetDay.objects.filter(day=FleetDay.objects.latest("day").day).delete()
        newest_missing.append(page(expect=b"Preparing the charts"))  # prepared, not asked
        roll_up_fleet.call(fleet.pk)
    queries = statements(page)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "home-charts"}
    for _ in range(max(args.runs // 2, 1)):
        FleetDay.objects.all().delete()
        cache.clear()  # the "roll-up asked" mark gone: each page enqueues it again
        client.get("/", secure=True)  # the reach proven again (the cache was cleared)
        cache.delete_many(list(_asked_keys(fleet)))
        new_zone.append(page(expect=b"Preparing the charts"))
        polls.append(page("/?polls=1", expect=b"Preparing the charts", **poll))
    new_zone_queries = statements(lambda: page(expect=b"Preparing the charts"))
    asked = " ".join(new_zone_queries)
    assert "fleetstore_positionsample" not in asked, "a page in a new zone asked the samples"
    began = time.perf_counter()
    roll_up_fleet.call(fleet.pk)
    rolled = time.perf_counter() - began
    ready = page("/?polls=2", expect=b"overview-charts", **poll)
    assert sandbox.request_count(path_prefix="/cars") == before, "the home page asked flinkey"

    def ms(values):
        return f"{percentile(values, 0.5) * 1000:.0f} ms"

    print(f"home page: server time median {ms(times)}, p95 "
          f"{percentile(times, 0.95) * 1000:.0f} ms over {args.runs} runs; "
          f"{len(queries)} queries, 0 flinkey calls per car; the first page "
          f"after a store run and its roll-up median {ms(after_run)}; after a run before its "
          f"roll-up (the newest roll-up shown) median {ms(before_roll_up)}; the newest day "
          f"without a row (prepared) median {ms(newest_missing)}; with the cache "
          f"cleared (days rolled up) {cold_cache * 1000:.0f} ms; the first page with nothing "
          f"rolled up (the proof of reach too) {proof * 1000:.0f} ms; load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"a zone with no roll-up: the page (tiles, \"Preparing the charts…\") median "
          f"{ms(new_zone)}, {len(new_zone_queries)} queries, no sample "
          f"query; its poll while preparing median {ms(polls)}; the roll-up in the worker "
          f"{rolled * 1000:.0f} ms; the poll that brings the charts {ready * 1000:.0f} ms; "
          f"load average {os.getloadavg()[0]:.2f}")
    sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
