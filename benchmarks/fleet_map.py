"""Benchmark: the fleet map and a route against 1,000 located cars with upstream latency.

    .venv/bin/python -m benchmarks.fleet_map [--cars 1000] [--latency 0.05]

Starts a sandbox with the extra cars located (its large-fleet mode; on a sandbox without
it, the extra cars are given a seeded car's IQ and history), runs the dashboard in-process
(Django's test Client, in-memory SQLite, local-memory cache), logs a fleet manager in, and
measures, one run each:
- the fleet map's HTML as our code renders it (the page; positions follow as JSON batches)
  next to folium with one Marker (and popup) per car, the naive way;
- loading every batch of the fleet map uncached (one list call per batch plus one location
  call per car, FLEETADMIN_FANOUT_CONCURRENCY at a time) against the floor
  ceil(N / concurrency) x latency + the list calls, and then the cached reload;
- a 7-day route uncached and cached, with its upstream calls.
Not a test: it asserts nothing, it measures.
"""

import argparse
import inspect
import json
import math
import re
import sys
import time

from benchmarks.car_list import configure_django, signed_in_client

HTMX = {"HX-Request": "true", "HX-Target": "car-route"}


def located_sandbox(cars: int):
    """Return a started sandbox whose `cars` extra cars all have positions, and how."""
    from flinkey_sandbox import DEMO, Sandbox

    if "extra_located" in inspect.signature(Sandbox).parameters:
        sandbox = Sandbox(extra_cars=cars, extra_located=True)
        sandbox.start()
        return sandbox, "the sandbox's large-fleet mode (extra_located)"
    # Older sandbox: lend every extra car the IQ and history of the seeded demo car.
    sandbox = Sandbox(extra_cars=cars)
    sandbox.start()
    store = sandbox.store
    seeded = set(range(2001, 2075))
    for car_id in store.cars[DEMO.customer_id]:
        if car_id not in seeded:
            store.products[car_id] = store.products[DEMO.car_id]
            store.locations[car_id] = store.locations[DEMO.car_id]
    return sandbox, "extra cars lent the demo car's IQ history (sandbox without extra_located)"


def naive_folium(cars) -> str:
    """The fleet map the naive way: folium, one Marker with a popup per car."""
    import folium

    fleet = folium.Map(location=[48.137, 11.576], zoom_start=11)
    for name, lat, lon in cars:
        folium.Marker([lat, lon], popup=folium.Popup(name), tooltip=name).add_to(fleet)
    return fleet.get_root().render()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=1000, help="extra located cars")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sandbox, how = located_sandbox(args.cars)
    seeded = time.perf_counter() - started
    try:
        configure_django(sandbox.url)
        from django.conf import settings

        # Local memory keeps 300 entries by default: fewer than one position per car here.
        # Set before the cache is first used (every thread reads these settings).
        settings.CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 100_000
        from django.core.cache import cache

        assert cache._max_entries == 100_000  # noqa: S101 - the figures depend on it

        from flinkey_sandbox import DEMO

        client, _user = signed_in_client()
        fleet = len(sandbox.store.cars[DEMO.customer_id])
        concurrency = settings.FLEETADMIN_FANOUT_CONCURRENCY
        batch = settings.FLEETADMIN_MAP_BATCH_SIZE
        client.get("/map/", secure=True)  # warm-up: token, templates
        # The sandbox makes a car's history on first touch: touch them all before timing.
        for page in range(1, math.ceil(fleet / batch) + 1):
            client.get(f"/map/cars.json?page={page}", secure=True)
        cache.clear()
        client.get("/map/", secure=True)  # the token again (the cache held it)
        sandbox.faults.latency = args.latency
        print(f"Fleet map benchmark: customer {DEMO.customer_id} with {fleet:,} cars "
              f"(sandbox started in {seeded:.1f} s; {how}), upstream latency "
              f"{args.latency * 1000:.0f} ms per call, concurrency {concurrency}, "
              f"{batch} cars per batch, local-memory cache of 100,000 entries, one run.\n")

        # 1. Uncached: every batch, as the browser asks them one after the other.
        sandbox.clear_requests()
        t0 = time.perf_counter()
        page, located, bodies, pages = 1, [], 0, 0
        while True:
            response = client.get(f"/map/cars.json?page={page}", secure=True)
            body = response.json()
            bodies += len(response.content)
            pages += 1
            located += [(car["name"], car["lat"], car["lon"]) for car in body["cars"]
                        if car["state"] == "located"]
            if not body["has_next"]:
                break
            page += 1
        uncached = time.perf_counter() - t0
        calls = sandbox.request_count(path_prefix="/cars")
        list_calls = sandbox.request_count(path_prefix="/cars") - sum(
            1 for r in sandbox.requests if "/location" in r.path)
        location_calls = calls - list_calls
        floor = math.ceil(location_calls / concurrency) * args.latency + list_calls * args.latency

        # 2. The map's HTML: ours (the page; positions come as the JSON above) vs folium.
        t0 = time.perf_counter()
        page_html = client.get("/map/", secure=True).content
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        naive = naive_folium(located).encode()
        folium_time = time.perf_counter() - t0

        # 3. Cached reload (within FLEETADMIN_LOCATION_CACHE_SECONDS).
        sandbox.clear_requests()
        t0 = time.perf_counter()
        for number in range(1, pages + 1):
            client.get(f"/map/cars.json?page={number}", secure=True)
        cached = time.perf_counter() - t0
        cached_calls = sandbox.request_count(path_prefix="/cars")

        # 4. A 7-day route, uncached then cached.
        route_url = f"/cars/{DEMO.car_id}/map/?period=7d"
        sandbox.clear_requests()
        t0 = time.perf_counter()
        route_html = client.get(route_url, secure=True, headers=HTMX).content.decode()
        route_uncached = time.perf_counter() - t0
        route_calls = sandbox.request_count(path_prefix="/cars")
        sandbox.clear_requests()
        t0 = time.perf_counter()
        client.get(route_url, secure=True, headers=HTMX)
        route_cached = time.perf_counter() - t0
        route_cached_calls = sandbox.request_count(path_prefix="/cars")
        data = re.search(r'id="car-route-data" type="application/json">(.*?)</script>',
                         route_html, re.S)
        points = len(json.loads(data.group(1))["points"]) if data else 0

        print(f"{'':44} {'ms':>9} {'KB':>8}")
        print(f"{'map HTML, ours (page; data as JSON batches)':44} {ours * 1000:9.1f} "
              f"{len(page_html) / 1024:8.1f}")
        print(f"{'map HTML, folium: one Marker per car':44} {folium_time * 1000:9.1f} "
              f"{len(naive) / 1024:8.1f}")
        print(f"  -> ours {folium_time / ours:.0f}x faster, {len(located):,} cars located; the "
              f"JSON batches add {bodies / 1024:.0f} KB in {pages} requests\n")
        print(f"fan-out, all {pages} batches uncached:  {uncached * 1000:8.0f} ms  "
              f"({location_calls:,} location + {list_calls} list/count calls)")
        print(f"  floor ceil({location_calls}/{concurrency}) x {args.latency * 1000:.0f} ms + "
              f"{list_calls} x {args.latency * 1000:.0f} ms = {floor * 1000:8.0f} ms")
        print(f"fan-out, cached reload:               {cached * 1000:8.0f} ms  "
              f"({cached_calls} upstream calls: the list pages only)\n")
        print(f"7-day route, uncached:                {route_uncached * 1000:8.0f} ms  "
              f"({route_calls} upstream calls, ~{points} distinct samples)")
        print(f"7-day route, cached:                  {route_cached * 1000:8.0f} ms  "
              f"({route_cached_calls} upstream calls)")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
