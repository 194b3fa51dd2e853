"""The reports, measured: each 30-day report over a store of 10,000 cars, and its XLSX.

    .venv/bin/python -m benchmarks.reports [--cars 10000] [--samples-per-day 4] [--runs 3]
        [--database-url postgres://postgres@127.0.0.1:5432/wt_reports] [--reuse]
        [--only sessions,mileage] [--no-files]

Fills the fleet store directly (no sync): every car with a Box and an IQ, `--samples-per-day`
position samples a day over 32 days (the odometer and the place changing on most days) and
one opened → closed pair a day on most days; then asks each report's page for the last 30
days through Django's test client, `--runs` times, and prints the server times; then each
report's 30-day CSV and the mileage XLSX, read piece by piece: the time to the first byte
and to the last, and the memory Python allocated at the peak while writing it
(tracemalloc, a second download). `--reuse` measures a store an earlier run of the same
size left in `--database-url` instead of filling one (a fill takes minutes).

A store sampled every 15 minutes (FLEETSTORE_SAMPLE_MINUTES' default) holds 96 samples per
car and day: `--samples-per-day 96` measures that (10,000 cars: 30 million rows; use
PostgreSQL). The default database is SQLite in memory, as the other benchmarks use.
"""

import argparse
import os
import random
import time
import tracemalloc
from datetime import timedelta

from benchmarks.car_list import configure_django, percentile

REPORT_URLS = {"service-ends": "/reports/service-ends/", "mileage": "/reports/mileage/",
               "utilisation": "/reports/utilisation/", "sessions": "/reports/sessions/"}


def fill(fleet, *, cars: int, samples_per_day: int, days: int = 32) -> dict:
    """`cars` cars with devices, samples and sessions over the last `days` days."""
    from django.utils import timezone

    from fleetstore.models import PositionSample, StoredCar, StoredEvent, StoredProduct

    rng = random.Random(21)  # noqa: S311 - benchmark data, not secrets
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(days=days)
    StoredCar.objects.bulk_create([
        StoredCar(fleet=fleet, car_id=800_000 + n, name=f"Car {n:05d}", license_plate=f"M-R {n}",
                  learnt_at=now, has_iq=True, latitude=48.1, longitude=11.5,
                  fix_at=now - timedelta(minutes=rng.randint(1, 3000)), location_learnt_at=now)
        for n in range(cars)], batch_size=2000)
    keys = list(StoredCar.objects.filter(fleet=fleet).values_list("pk", flat=True))
    StoredProduct.objects.bulk_create([
        StoredProduct(car_id=key, product_id=2 * key + kind, type=name, learnt_at=now,
                      serial_number=f"S{key}-{kind}",
                      service_ends_at=now + timedelta(days=rng.randint(-60, 700)))
        for key in keys for kind, name in ((0, "flinkey Box"), (1, "flinkey IQ"))],
        batch_size=5000)
    step = timedelta(hours=24) / samples_per_day
    samples = events = 0
    batch, event_batch = [], []
    event_id = 1
    for key in keys:
        odometer, lat, lon = rng.uniform(1000, 90000), 48.1, 11.5
        for day in range(days):
            used = rng.random() < 0.7
            start = first + timedelta(days=day)
            if used:
                opened = start + timedelta(hours=rng.randint(6, 12))
                closed = opened + timedelta(hours=rng.randint(1, 6))
                for moment, kind in ((opened, "CarOpened"), (closed, "CarClosed")):
                    event_batch.append(StoredEvent(fleet=fleet, car_id=key, event_id=event_id,
                                                   user_id=rng.randint(1, 300), type=kind,
                                                   utc_date_time=moment, latitude=lat,
                                                   longitude=lon, learnt_at=now))
                    event_id += 1
            for n in range(samples_per_day):
                if used and n == samples_per_day // 2:
                    odometer += rng.uniform(5, 200)
                    lat, lon = lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01)
                batch.append(PositionSample(car_id=key, recorded_at=start + n * step,
                                            latitude=lat, longitude=lon, odometer=odometer,
                                            learnt_at=now))
        if len(batch) >= 20_000:
            PositionSample.objects.bulk_create(batch, batch_size=5000)
            samples += len(batch)
            batch = []
        if len(event_batch) >= 20_000:
            StoredEvent.objects.bulk_create(event_batch, batch_size=5000)
            events += len(event_batch)
            event_batch = []
    PositionSample.objects.bulk_create(batch, batch_size=5000)
    StoredEvent.objects.bulk_create(event_batch, batch_size=5000)
    return {"samples": samples + len(batch), "events": events + len(event_batch)}


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def download(client, url: str, query: dict) -> dict:
    """One file through the test client, read piece by piece as a browser would: the time
    to its first byte and to its last, its size and the memory Python allocated at the peak
    (tracemalloc: this slows Python down, so the times come from a run without it)."""
    # The user's reach is proven for a few minutes only: a long file before may outlast it.
    client.get("/reports/", secure=True)
    started = time.perf_counter()
    response = client.get(url, query, secure=True)
    first = None
    size = 0
    for piece in response.streaming_content:
        if piece and first is None:
            first = time.perf_counter() - started
        size += len(piece)
    last = time.perf_counter() - started
    client.get("/reports/", secure=True)
    tracemalloc.start()
    for _piece in client.get(url, query, secure=True).streaming_content:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"first": first or last, "last": last, "bytes": size, "peak": peak}


def existing_store(fleet_model, cars: int):
    """A store an earlier run of the same size left behind (--reuse), or None."""
    from fleetstore.models import StoredCar
    from flinkey_sandbox import DEMO

    for fleet in fleet_model.objects.filter(customer_id=DEMO.customer_id):
        if StoredCar.objects.filter(fleet=fleet).count() == cars:
            return fleet
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cars", type=int, default=10_000)
    parser.add_argument("--samples-per-day", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None,
                        help="a database of its own (its tables are filled and left there); "
                             "PostgreSQL: add ?options=-c%%20jit%%3Doff (see the README)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the store an earlier run with the same --cars left in "
                             "--database-url (its days end when that run filled it)")
    parser.add_argument("--only", default=",".join(REPORT_URLS),
                        help="the reports to measure, comma-separated slugs")
    parser.add_argument("--no-files", action="store_true", help="measure the pages only")
    args = parser.parse_args(argv)

    from flinkey_sandbox import Sandbox

    sandbox = Sandbox()  # only for the user's reach: the reports read the store
    sandbox.start()
    configure_django(sandbox.url, args.database_url or "sqlite://:memory:")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from benchmarks.car_list import signed_in_client
    from fleetstore.models import FleetSync, StoredEvent
    from flinkey_sandbox import DEMO

    # A database of its own may hold an earlier run's user and store: both start afresh,
    # unless --reuse finds a store of this size (then it is only pointed at this sandbox).
    get_user_model().objects.filter(username="benchmark").delete()
    client, _user = signed_in_client()
    fleet = existing_store(FleetSync, args.cars) if args.reuse else None
    if fleet is not None:
        FleetSync.objects.filter(pk=fleet.pk).update(api_url=sandbox.url)
        newest = StoredEvent.objects.filter(fleet=fleet).order_by("-utc_date_time").first()
        print(f"{connection.vendor}: reusing the store of {args.cars:,} cars filled before "
              f"(newest event {newest.utc_date_time:%Y-%m-%d %H:%M} UTC); load average "
              f"{os.getloadavg()[0]:.2f}")
    else:
        FleetSync.objects.filter(api_url=sandbox.url, customer_id=DEMO.customer_id).delete()
        if args.reuse:
            FleetSync.objects.filter(customer_id=DEMO.customer_id).delete()
        fleet = FleetSync.objects.create(api_url=sandbox.url, customer_id=DEMO.customer_id,
                                         api_key=DEMO.api_key, username=DEMO.username,
                                         password=DEMO.password, synced_at=timezone.now())
        counts, seconds = timed(lambda: fill(fleet, cars=args.cars,
                                             samples_per_day=args.samples_per_day))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # As autovacuum leaves a table in service: the visibility map lets an
                # index answer a count alone.
                cursor.execute("VACUUM ANALYZE")
        print(f"{connection.vendor}: store filled with {args.cars:,} cars, "
              f"{counts['samples']:,} samples ({args.samples_per_day} a day), "
              f"{counts['events']:,} events in {seconds:.0f} s; load average "
              f"{os.getloadavg()[0]:.2f}")

    today = timezone.localdate()
    period = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    # The user's reach is proven once (then kept a few minutes).
    client.get("/reports/", secure=True)
    for slug in args.only.split(","):
        url = REPORT_URLS[slug]
        times = []
        for _ in range(args.runs):
            response, seconds = timed(lambda url=url: client.get(url, period, secure=True))
            assert response.status_code == 200, (url, response.status_code)
            times.append(seconds)
        line = (f"{slug}: page median {percentile(times, 0.5) * 1000:,.0f} ms, worst "
                f"{max(times) * 1000:,.0f} ms")
        if not args.no_files:
            got = download(client, url, {**period, "format": "csv"})
            line += (f"; CSV first byte {got['first'] * 1000:,.0f} ms, last byte "
                     f"{got['last']:.2f} s ({got['bytes']:,} bytes), Python peak "
                     f"{got['peak'] / 2**20:.1f} MiB")
        print(f"{line}; load average {os.getloadavg()[0]:.2f}")

    if not args.no_files:
        got = download(client, REPORT_URLS["mileage"], {**period, "format": "xlsx"})
        print(f"mileage XLSX, {args.cars:,} rows: first byte {got['first']:.2f} s, last byte "
              f"{got['last']:.2f} s ({got['bytes']:,} bytes); Python peak while writing it "
              f"{got['peak'] / 2**20:.1f} MiB (tracemalloc, a second run); load average "
              f"{os.getloadavg()[0]:.2f}")
    sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
