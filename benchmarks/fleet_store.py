"""The fleet store, measured: the initial sync, a refresh, and fleet-wide reads from the store.

    .venv/bin/python -m benchmarks.fleet_store [--cars 1000] [--latency 0.05] [--runs 5]
    .venv/bin/python -m benchmarks.fleet_store --cars 10000 --sync-only [--profile-sync]

Starts a sandbox with `--cars` extra located cars, turns fleet sync on for the demo
customer and runs, in this process (as a worker would, without the pacing so that the
time is the calls' own), the initial full sync, then a refresh (a sample run and a second
full sync), with `--latency` seconds added to every upstream call. Then, with the latency
kept, it reads the fleet map's "now" (every batch) and "left open" from the store through
Django's test client, `--runs` times each, and prints the server times; and a 7-day route
of the demo car from stored samples (every FLEETSTORE_SAMPLE_MINUTES, taken from the
sandbox's history as the sampling job keeps them) beside the live path. The sync is one
call at a time: its time at the default pacing (FLEETSTORE_CALLS_PER_MINUTE) is the calls
divided by that rate, printed too.

The reads prove the user's reach first (fleetadmin.upstream.reach); the proof is kept a few minutes
(FLEETADMIN_REACH_RECHECK_SECONDS), so only the first read pays its calls.
"""

import argparse
import os
import time

from benchmarks.car_list import configure_django, percentile, signed_in_client
from benchmarks.fleet_map import located_sandbox


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cars", type=int, default=1000, help="extra located cars")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--browser-runs", type=int, default=0,
                        help="also open the fleet map in Chromium this many times: time to the "
                             "first markers and to every marker drawn")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="FLEETSTORE_CONCURRENCY for the syncs (default: the setting's)")
    parser.add_argument("--versus-concurrency", type=int, default=None,
                        help="time the initial sync again at this concurrency, into an emptied "
                             "store, right after the first: the two side by side")
    parser.add_argument("--profile-route", action="store_true",
                        help="also cProfile one 7-day route read from the store and print "
                             "where its time went")
    parser.add_argument("--profile-map", action="store_true",
                        help="also cProfile one fleet map read from the store (every batch) "
                             "and print where its time went")
    parser.add_argument("--profile-sync", action="store_true",
                        help="cProfile the initial sync's own thread (the worker's writes; "
                             "the calls run on the fan-out's threads) and count its SQL "
                             "queries and its calls per endpoint, per car")
    parser.add_argument("--sync-only", action="store_true",
                        help="stop after the syncs (no reads measured)")
    parser.add_argument("--reads-only", action="store_true",
                        help="skip the syncs: fill the store directly with --cars cars (one "
                             "position and one opening each) and measure only the reads")
    args = parser.parse_args(argv)

    sandbox, how = located_sandbox(args.cars)
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    configure_django(sandbox.url)
    from django.conf import settings

    from config.testing import hx
    from fleetstore import sync
    from fleetstore.models import FleetSync, PositionSample, StoredCar, StoredEvent
    from flinkey_sandbox import DEMO

    paced = settings.FLEETSTORE_CALLS_PER_MINUTE
    settings.FLEETSTORE_CALLS_PER_MINUTE = 10**9  # measure the calls, not the pacing
    if args.concurrency:
        settings.FLEETSTORE_CONCURRENCY = args.concurrency
    client, _user = signed_in_client()
    fleet = FleetSync.objects.create(api_url=sandbox.url, customer_id=DEMO.customer_id,
                                     api_key=DEMO.api_key, username=DEMO.username,
                                     password=DEMO.password)
    sandbox.faults.latency = args.latency
    print(f"sandbox: {how}; latency {args.latency * 1000:.0f} ms per call; "
          f"load average {os.getloadavg()[0]:.2f}")

    if args.reads_only:
        fill_directly(fleet, args.cars)
        fleet.synced_at = fleet.sampled_at = django_now()
        fleet.save()
        cars = StoredCar.objects.filter(fleet=fleet).count()
        print(f"store filled directly: {cars} cars (no sync measured)")
        return measure_reads(args, sandbox, client, cars, hx)
    sandbox.clear_requests()
    if args.profile_sync:
        first, seconds = profiled_sync(lambda: sync.full_sync(fleet.pk, force=True), sandbox,
                                       fleet)
    else:
        cpu = time.thread_time()
        first, seconds = timed(lambda: sync.full_sync(fleet.pk, force=True))
        cpu = time.thread_time() - cpu
    cars = StoredCar.objects.filter(fleet=fleet).count()
    if not args.profile_sync:
        # The worker's own writing (its calls run on the fan-out's threads; the sandbox,
        # in this process, on its own).
        print(f"initial sync: the run's own thread {cpu:.1f} s CPU, "
              f"{cpu / max(1, cars) * 1000:.1f} ms a car")
    print(f"initial sync: {cars} cars, {first.calls} calls, {seconds:.1f} s "
          f"({first.outcome}); at {paced} calls/min: {first.calls / paced:.1f} min; stored "
          f"{StoredEvent.objects.count()} events, {PositionSample.objects.count()} samples; "
          f"concurrency {settings.FLEETSTORE_CONCURRENCY}; load average {os.getloadavg()[0]:.2f}")
    if args.versus_concurrency:
        mine, other = settings.FLEETSTORE_CONCURRENCY, args.versus_concurrency
        StoredCar.objects.filter(fleet=fleet).delete()  # its products, samples and events too
        settings.FLEETSTORE_CONCURRENCY = other
        second, other_seconds = timed(lambda: sync.full_sync(fleet.pk, force=True))
        settings.FLEETSTORE_CONCURRENCY = mine
        print(f"initial sync again at concurrency {other}: {second.calls} calls, "
              f"{other_seconds:.1f} s ({second.outcome}); concurrency {mine} ÷ {other}: "
              f"{seconds / other_seconds:.2f}; load average {os.getloadavg()[0]:.2f}")
    samples, sample_seconds = timed(lambda: sync.sample_positions(fleet.pk, force=True))
    again, again_seconds = timed(lambda: sync.full_sync(fleet.pk, force=True))
    per_hour_full = 60 / settings.FLEETSTORE_SYNC_MINUTES
    per_hour_samples = 60 / settings.FLEETSTORE_SAMPLE_MINUTES - per_hour_full
    hourly = again.calls * per_hour_full + samples.calls * per_hour_samples
    print(f"refresh: a sample run {samples.calls} calls ({sample_seconds:.1f} s), a full sync "
          f"{again.calls} calls ({again_seconds:.1f} s); with the defaults "
          f"({settings.FLEETSTORE_SYNC_MINUTES} / {settings.FLEETSTORE_SAMPLE_MINUTES} min) "
          f"{hourly:,.0f} calls per hour, {hourly * 24:,.0f} per day")
    if args.sync_only:
        print(f"load average {os.getloadavg()[0]:.2f}")
        sandbox.stop()
        return 0
    return measure_reads(args, sandbox, client, cars, hx)


def profiled_sync(run, sandbox, fleet):
    """`run` (a sync) timed, its own thread under cProfile; prints that thread's CPU, its SQL
    queries by kind and the upstream calls by endpoint, each also per car."""
    import cProfile
    import pstats
    import re
    from collections import Counter

    from django.db import connection

    queries = Counter()

    def count(execute, sql, params, many, context):
        words = sql.split()
        table = next((w for w in words[1:] if w.startswith('"')), "")
        queries[f"{words[0]} {table}".strip()] += 1
        return execute(sql, params, many, context)

    profile = cProfile.Profile()
    cpu = time.thread_time()
    with connection.execute_wrapper(count):
        value, seconds = timed(lambda: profile.runcall(run))
    cpu = time.thread_time() - cpu
    from fleetstore.models import StoredCar

    per = max(1, StoredCar.objects.filter(fleet=fleet).count())
    print(f"profiled sync: {seconds:.1f} s wall, the run's own thread {cpu:.1f} s CPU "
          f"({cpu / per * 1000:.1f} ms a car, under the profiler); load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  SQL queries: {sum(queries.values())} ({sum(queries.values()) / per:.1f} a car)")
    for kind, n in queries.most_common(15):
        print(f"    {n:8d}  {n / per:6.2f} a car  {kind}")
    calls = Counter(re.sub(r"/\d+", "/{id}", record.path) for record in sandbox.requests)
    print(f"  upstream calls: {sum(calls.values())} ({sum(calls.values()) / per:.2f} a car)")
    for path, n in calls.most_common():
        print(f"    {n:8d}  {n / per:6.2f} a car  {path}")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"(fleetstore|flinkey|django/db)", 30)
    return value, seconds


def django_now():
    from django.utils import timezone

    return timezone.now()


def fill_directly(fleet, count: int) -> None:
    """`count` stored cars around Munich, each with a position and a last event 1–48 h ago."""
    import random
    from datetime import timedelta

    from fleetstore.models import StoredCar, StoredEvent

    rng = random.Random(7)  # noqa: S311 - benchmark data, not secrets
    now = django_now()
    StoredCar.objects.bulk_create([
        StoredCar(fleet=fleet, car_id=900_000 + n, name=f"Car {n:05d}", license_plate=f"M-B {n}",
                  learnt_at=now, has_iq=True, latitude=48.1 + rng.random() * 0.2,
                  longitude=11.4 + rng.random() * 0.3, fix_at=now - timedelta(minutes=5),
                  location_learnt_at=now)
        for n in range(count)], batch_size=2000)
    cars = StoredCar.objects.filter(fleet=fleet).values_list("pk", "car_id")
    # One in fifty cars was last opened (1–48 h ago), the others closed: a fleet's usual day.
    StoredEvent.objects.bulk_create([
        StoredEvent(fleet=fleet, car_id=pk, event_id=5_000_000 + car_id,
                    type="CarOpened" if rng.random() < 0.02 else "CarClosed",
                    utc_date_time=now - timedelta(hours=rng.randint(1, 48)), learnt_at=now)
        for pk, car_id in cars], batch_size=2000)
    from django.db.models import OuterRef, Subquery

    StoredCar.objects.filter(fleet=fleet).update(last_event=Subquery(
        StoredEvent.objects.filter(car=OuterRef("pk")).values("pk")[:1]))


def measure_reads(args, sandbox, client, cars, hx) -> int:
    from maps.tests.batches import batch_of, next_url

    def customers_call():
        return timed(lambda: sandbox.request_count(path_prefix="/customers"))[1]

    def read(url, headers=None):
        before = sandbox.request_count(path_prefix="/cars")
        response, seconds = timed(lambda: client.get(url, headers=headers or {}, secure=True))
        assert response.status_code == 200, (url, response.status_code)
        assert sandbox.request_count(path_prefix="/cars") == before, "a read asked flinkey"
        return response, seconds

    batches = 0

    def fleet_map():
        nonlocal batches
        total, url, markers, batches = 0.0, "/map/cars/", 0, 0
        while url:
            # As the page's #fleet-next region asks: each answer names the next batch.
            response, seconds = read(url, hx("fleet-next"))
            body = batch_of(response)
            batches += 1
            total += seconds
            markers += sum(1 for car in body["cars"] if car["state"] == "located")
            url = next_url(response)
        return total, markers

    # Django warmed up first, as a running server is: the first request of a process imports
    # the whole URLconf (folium and its templates among it), 1.5–5 s here, which made the
    # slowest run, and so the p95, 5x the median.
    client.get("/map/", secure=True)
    map_times, markers = [], 0
    for _ in range(args.runs):
        calls = sandbox.request_count()
        seconds, markers = fleet_map()
        map_times.append(seconds)
        if len(map_times) == 1:
            first_calls = sandbox.request_count() - calls
    if args.profile_map:
        profiled(fleet_map, "one fleet map read (every batch)")
    print(f"fleet map from the store: {markers} markers, {batches} batches, server time "
          f"median {percentile(map_times, 0.5) * 1000:.0f} ms, p95 "
          f"{percentile(map_times, 0.95) * 1000:.0f} ms")
    # The first run proves the user's reach (flinkey calls at --latency each, then kept
    # FLEETADMIN_REACH_RECHECK_SECONDS) and compiles the batch's template.
    print(f"  the first of them: {map_times[0] * 1000:.0f} ms, {first_calls} upstream calls "
          f"(the reach proof; no /cars call), the others none")
    left_times = [read("/left-open/?hours=12", hx("left-open"))[1] for _ in range(args.runs)]
    print(f"left open from the store: median {percentile(left_times, 0.5) * 1000:.0f} ms, p95 "
          f"{percentile(left_times, 0.95) * 1000:.0f} ms; 0 calls per car")
    measure_route(args, sandbox, client, hx)
    customers_call()
    if args.browser_runs > 0:
        browser_figures(client, args.browser_runs, markers)
    print(f"load average {os.getloadavg()[0]:.2f}")
    sandbox.stop()
    return 0


def browser_figures(client, runs: int, markers: int) -> None:
    """The fleet map from the store in Chromium, `runs` times (a fresh context each): from
    navigation start to the first marker or cluster icon drawn, and to the last (every
    marker on the map; settled: none added for fleet_map.SETTLED_MS after)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings

    from benchmarks.fleet_map import SETTLED_MS, serve_dashboard

    base_url, stop = serve_dashboard()
    cookie = (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    try:
        # Playwright's sync API runs an event loop in its thread: kept off this one, where
        # Django refuses database calls beside a running loop.
        with ThreadPoolExecutor(1) as pool:
            times = pool.submit(store_map_in_chromium, base_url, cookie, runs, markers).result()
    finally:
        stop()
    firsts = sorted(run["first"] for run in times)
    lasts = sorted(run["last"] for run in times)
    print(f"fleet map from the store in Chromium, {runs} runs ({times[-1]['markers']:,} markers;"
          f" settled: none added for {SETTLED_MS} ms): first markers median "
          f"{firsts[len(firsts) // 2]:.0f} ms (worst {firsts[-1]:.0f}), all drawn median "
          f"{lasts[len(lasts) // 2]:.0f} ms (worst {lasts[-1]:.0f}); goals 1 s and 2 s")


def store_map_in_chromium(base_url: str, cookie: tuple[str, str], runs: int,
                          markers: int) -> list[dict]:
    import re

    from playwright.sync_api import sync_playwright

    from benchmarks.fleet_map import MARKER_PROBE, SETTLED, opened
    from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path

    executable = chromium_path(full=True)  # what a user's browser does
    if executable is None:
        raise RuntimeError("Chromium not found: run scripts/setup --browser (or CHROMIUM_PATH)")
    timeout_ms = max(60_000, markers * 30)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            for _run in range(runs):
                context = browser.new_context(locale="en-US")
                name, value = cookie
                context.add_cookies([{"name": name, "value": value, "url": base_url}])
                # Offline, like the browser tests: no tile server is reached.
                context.route(re.compile(r"https?://[^/]*tile[^/]*/.*"),
                              lambda route: route.abort())
                context.add_init_script(MARKER_PROBE)
                page = context.new_page()
                opened(page, f"{base_url}/map/")
                page.wait_for_function("() => window.__fleet.loaded", timeout=timeout_ms)
                page.wait_for_function(SETTLED, timeout=timeout_ms)
                found = page.evaluate("() => window.__fleet")
                found["markers"] = int(page.locator('[data-map="fleet"]')
                                       .get_attribute("data-located") or 0)
                results.append(found)
                context.close()
        finally:
            browser.close()
    return results


def profiled(read, what="one route read"):
    """Like timed, under cProfile; prints where the time went (own time, and with what each
    function called), and the calls to flinkey among it."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    value, seconds = timed(lambda: profile.runcall(read))
    stats = pstats.Stats(profile)
    print(f"  {what} profiled: {seconds * 1000:.0f} ms under the profiler "
          f"(load average {os.getloadavg()[0]:.2f})")
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(r"(maps|fleetstore|fleetadmin|flinkey|template)", 40)
    return value, seconds


def store_a_week(fleet, sandbox, car_id, now, minutes):
    """The car's last 7 days in the store, a sample every `minutes` (the IQ's nearest to
    each run, as the sampling job keeps them); returns the stored positions' times (ms)."""
    from datetime import UTC, datetime, timedelta

    from fleetstore.models import PositionSample, StoredCar

    car, _new = StoredCar.objects.update_or_create(
        fleet=fleet, car_id=car_id,
        defaults={"name": "benchmark", "learnt_at": now, "has_iq": True, "gone_at": None,
                  "location_learnt_at": now})
    history = sandbox.store.locations[car_id]
    found, moment = {}, now - timedelta(days=7, hours=1)
    while moment <= now:
        ts, lat, lon, odometer = history.near(moment.timestamp())
        recorded = datetime.fromtimestamp(ts, UTC)
        # Learnt at the run (the car's latest position then), as the job keeps them.
        found[recorded] = PositionSample(car=car, recorded_at=recorded, learnt_at=moment,
                                         latitude=None if lat != lat else lat,
                                         longitude=None if lon != lon else lon,
                                         odometer=odometer)
        moment += timedelta(minutes=minutes)
    PositionSample.objects.filter(car=car).delete()
    PositionSample.objects.bulk_create(found.values())
    start = now - timedelta(days=7)
    return {int(t.timestamp() * 1000) for t, row in found.items()
            if row.latitude is not None and start <= t <= now}


def measure_route(args, sandbox, client, hx) -> None:
    """A 7-day route from stored samples: server time, upstream calls, positions missing;
    then the live look-ups between samples where the car moved; and today's live path."""
    import json
    import re

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from fleetadmin.upstream.reach import proven_fleet
    from fleetstore.models import FleetSync
    from flinkey_sandbox import DEMO
    from maps.services import utc_param

    user = get_user_model().objects.get(username="benchmark")

    fleet = FleetSync.objects.get(customer_id=DEMO.customer_id)
    now = django_now().replace(microsecond=0)
    stored = store_a_week(fleet, sandbox, DEMO.car_id, now, settings.FLEETSTORE_SAMPLE_MINUTES)
    url = f"/cars/{DEMO.car_id}/map/?period=7d&now={utc_param(now)}"

    def route(query, round_=0, measure=timed):
        cache.clear()  # cold: nothing of an earlier run
        proven_fleet(user)  # but the user's reach proven, as by the page before
        before = sandbox.request_count(path_prefix="/cars")
        response, seconds = measure(lambda: client.get(f"{query}&round={round_}", secure=True,
                                                       headers=hx("car-route")))
        html = response.content.decode()
        match = re.search(r'<script id="car-route-data" type="application/json">(.*?)</script>',
                          html, re.S)
        points = json.loads(match.group(1))["points"] if match else []
        return ({p[2] for p in points}, sandbox.request_count(path_prefix="/cars") - before,
                seconds)

    runs = [route(url) for _ in range(args.runs)]
    drawn, calls, _seconds = runs[-1]
    times = [seconds for _drawn, _calls, seconds in runs]
    print(f"7-day route from the store: {len(drawn)} positions, {len(stored - drawn)} of "
          f"{len(stored)} stored positions missing, {max(c for _d, c, _s in runs)} upstream "
          f"calls, server time median {percentile(times, 0.5) * 1000:.0f} ms, p95 "
          f"{percentile(times, 0.95) * 1000:.0f} ms")
    if args.profile_route:
        route(url, measure=profiled)
    settings.FLEETADMIN_ROUTE_ROUND_SECONDS = 60.0  # the whole, in one load
    merged, calls, seconds = route(url, 1)
    print(f"  then flinkey between samples where the car moved: {calls} calls, "
          f"{seconds:.1f} s, {len(merged)} positions ({len(stored - merged)} stored missing)")
    # What that live round learnt is stored (fleetstore.services.learnt_live_route): the
    # same route again, nothing cached, asks flinkey only what the store still lacks.
    again, calls, seconds = route(url, 1)
    print(f"  the same again, nothing cached: {calls} calls, {seconds:.1f} s, {len(again)} "
          f"positions ({len(merged - again)} of the {len(merged)} before missing)")
    FleetSync.objects.filter(pk=fleet.pk).update(enabled=False)
    live, calls, seconds = route(url)
    FleetSync.objects.filter(pk=fleet.pk).update(enabled=True)
    print(f"  live path (sync off): {calls} calls, {seconds:.1f} s, {len(live)} positions; "
          f"{len(stored - live)} of the stored positions not among them")


if __name__ == "__main__":
    raise SystemExit(main())
