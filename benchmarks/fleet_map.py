"""Benchmark: the fleet map and a route against 1,000 located cars with upstream latency.

    .venv/bin/python -m benchmarks.fleet_map [--cars 1000] [--latency 0.05] [--browser-runs 3]

Starts a sandbox with the extra cars located (its large-fleet mode; on a sandbox without
it, the extra cars are given a seeded car's IQ and history), runs the dashboard in-process
(Django's test Client, in-memory SQLite, local-memory cache), logs a fleet manager in, and
measures, one run each:
- the fleet map's HTML as our code renders it (the page; positions follow as JSON batches)
  and the time folium takes to build its best page (FastMarkerCluster) from positions in
  hand;
- loading every batch of the fleet map uncached, one after the other as the browser asks
  them, against the floor: the fewest round trips those calls can take (`fan_out_rounds`:
  the first list call alone, then per batch ceil(its calls / concurrency), since the count
  and the next batch's list call travel in the batch's location fan-out) x latency;
- the cached reload: every batch again within FLEETADMIN_LOCATION_CACHE_SECONDS, as the sum
  of the batches' server times (the whole Django request, in-process: no network);
- a 7-day route uncached and cached, with its upstream calls;
- in Chromium (`--browser-runs`, 0 to skip), against the same dashboard served over HTTP
  on loopback: the time from navigation start to the first and to the last marker or
  cluster icon drawn (all markers on the map), our map uncached (the API token excepted)
  and reloaded with everything cached, and folium's FastMarkerCluster page with the same
  cars, its Leaflet and markercluster from our static files (no CDN).
Prints the load average before and after: the machine is shared, and figures taken while
it is busy are slower. Not a test: it asserts nothing, it measures.
"""

import argparse
import inspect
import json
import math
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.car_list import configure_django, load_average, signed_in_client

HTMX = {"HX-Request": "true", "HX-Target": "car-route"}

# Records, from navigation start (performance.now()), when the first and the last marker or
# cluster icon entered the page (any Leaflet map: ours or folium's), and when our map says
# every batch is in (data-loaded).
MARKER_PROBE = """
window.__fleet = {};
new MutationObserver(function (records) {
  var now = performance.now();
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.classList.contains('leaflet-marker-icon')) {
        if (!window.__fleet.first) window.__fleet.first = now;
        window.__fleet.last = now;
      }
    });
  });
  var map = document.querySelector('[data-map="fleet"]');
  if (map && !window.__fleet.loaded && map.getAttribute('data-loaded') === 'true')
    window.__fleet.loaded = now;
}).observe(document, { childList: true, subtree: true, attributes: true });
"""
# Settled: no marker or cluster icon added for this long (after our data-loaded, or after
# folium's page load): the last one's time is when every marker was drawn.
SETTLED_MS = 1500
SETTLED = f"""() => window.__fleet.last !== undefined
  && performance.now() - window.__fleet.last > {SETTLED_MS}"""


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


VENDOR = "/static/vendor"
# The popup's text is set as text (a name is data), as our map does.
FOLIUM_CALLBACK = """function (row) {
  return L.marker(new L.LatLng(row[0], row[1])).bindPopup(function () {
    var name = document.createElement('b'); name.textContent = row[2]; return name;
  });
}"""


def best_folium(cars) -> str:
    """The fleet map the best way folium allows: FastMarkerCluster (the markers made in the
    browser from one array), our clustering options and view, Leaflet and markercluster
    from our own static files (folium's CDN assets, jQuery and Bootstrap left out)."""
    import folium
    from folium.plugins import FastMarkerCluster

    fleet = folium.Map(location=[48.137, 11.576], zoom_start=11)
    fleet.default_js = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
    fleet.default_css = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]
    cluster = FastMarkerCluster([[lat, lon, name] for name, lat, lon in cars],
                                callback=FOLIUM_CALLBACK,
                                options={"chunkedLoading": True, "maxClusterRadius": 50})
    cluster.default_js = [("markerclusterjs",
                           f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js")]
    cluster.default_css = [
        ("markerclustercss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
    ]
    cluster.add_to(fleet)
    lats = [lat for _name, lat, _lon in cars]
    lons = [lon for _name, _lat, lon in cars]
    fleet.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20),
                     max_zoom=15)
    html = fleet.get_root().render()
    if re.search(r"(src|href)=\"https?://(?!tile)", html):
        raise RuntimeError("the folium page still loads something from a CDN")
    return html


def all_batches(client, calls: list[int] | None = None, sandbox=None
                ) -> tuple[list[dict], list[float], int]:
    """Ask every batch as the browser does; return (answers, server seconds each, bytes).

    With `calls` and `sandbox`: appends the upstream calls each batch made (tokens not
    counted) to `calls`.
    """
    from config.testing import hx
    from maps.tests.batches import batch_of, next_url

    bodies, seconds, size, url = [], [], 0, "/map/cars/"
    while url:
        before = upstream_calls(sandbox) if sandbox is not None else 0
        t0 = time.perf_counter()
        # As the page's #fleet-next region asks: each answer names the next batch.
        response = client.get(url, headers=hx("fleet-next"), secure=True)
        seconds.append(time.perf_counter() - t0)
        if calls is not None:
            calls.append(upstream_calls(sandbox) - before)
        bodies.append(batch_of(response))
        url = next_url(response)
        size += len(response.content)
    return bodies, seconds, size


def upstream_calls(sandbox) -> int:
    return sandbox.request_count() - sandbox.request_count(path_prefix="/oauth2")


def fan_out_rounds(batch_calls: list[int], concurrency: int) -> int:
    """The fewest round trips the batches' upstream calls can take, batch after batch.

    The browser asks the batches one after the other. The first batch's list call goes
    alone (its cars are not known before it); every other call of a batch travels in that
    batch's one fan-out, `concurrency` at a time: the positions and, next to them, the count
    and the next batch's list call (which is why later batches make no list call of their
    own). So: 1 + sum over batches of ceil(fan-out calls / concurrency).
    """
    rounds = 0
    for number, calls in enumerate(batch_calls):
        alone = 1 if number == 0 and calls else 0
        rounds += alone + math.ceil((calls - alone) / concurrency)
    return rounds


def serve_dashboard():
    """Serve the in-process dashboard over HTTP on loopback; return (base URL, stop)."""
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.db import connections

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    # Plain HTTP on loopback, as the browser tests' live server: no HTTPS redirect.
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    # The request threads share this thread's in-memory database (as Django's live server).
    connection = connections["default"]
    connection.inc_thread_sharing()
    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False,
                                connections_override={"default": connection})
    server.daemon_threads = True
    server.set_app(StaticFilesHandler(WSGIHandler()))
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        server.server_close()
        connection.dec_thread_sharing()

    return f"http://127.0.0.1:{server.server_port}", stop


def browser_runs(base_url: str, session_cookie: tuple[str, str], runs: int,
                 fleet: int, folium_html: str) -> list[dict]:
    """Open the fleet map in Chromium `runs` times, uncached then reloaded, then folium's page
    with the same cars; return the times (see MARKER_PROBE).

    Each run: the cache cleared, a fresh browser context (nothing of the last run), the car
    list opened first (it fetches the API token: a token lives an hour, so a real first
    visit rarely pays for one), then the fleet map, then the map once more, all cached, then
    the folium page (served from the same origin, its assets from our static files).
    """
    from django.core.cache import cache
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path

    executable = chromium_path(full=True)  # what a user's browser does
    if executable is None:
        raise RuntimeError("Chromium not found: run scripts/setup --browser (or CHROMIUM_PATH)")
    timeout_ms = max(60_000, fleet * 30)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            for _run in range(runs):
                cache.clear()
                context = browser.new_context(locale="en-US")
                name, value = session_cookie
                context.add_cookies([{"name": name, "value": value, "url": base_url}])
                # Offline, like the browser tests: no tile server is reached, markers still show.
                context.route(re.compile(r"https?://[^/]*tile[^/]*/.*"),
                              lambda route: route.abort())
                context.route(f"{base_url}/folium/", lambda route: route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=folium_html))
                context.add_init_script(MARKER_PROBE)
                page = context.new_page()
                opened(page, f"{base_url}/cars/")
                times = {}
                for label in ("uncached", "cached"):
                    opened(page, f"{base_url}/map/")
                    page.wait_for_function("() => window.__fleet.loaded", timeout=timeout_ms)
                    page.wait_for_function(SETTLED, timeout=timeout_ms)
                    times[label] = page.evaluate("() => window.__fleet")
                    times[label]["markers"] = int(page.locator('[data-map="fleet"]')
                                                  .get_attribute("data-located") or 0)
                opened(page, f"{base_url}/folium/")
                page.wait_for_function(SETTLED, timeout=timeout_ms)
                times["folium"] = page.evaluate("() => window.__fleet")
                times["folium"]["markers"] = page.evaluate(
                    "() => Object.values(window).filter(v => v instanceof L.MarkerClusterGroup)"
                    ".reduce((n, c) => n + c.getLayers().length, 0)")
                results.append(times)
                context.close()
        finally:
            browser.close()
    return results


def opened(page, url: str) -> None:
    """Open `url`; raise unless the dashboard answered it with 200."""
    response = page.goto(url)
    if response is None or response.status != 200:
        raise RuntimeError(f"{url}: {response.status if response else 'no answer'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=1000, help="extra located cars")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--browser-runs", type=int, default=3,
                        help="fleet map loads in Chromium (0: no browser)")
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
        from maps.services import batch_size

        client, _user = signed_in_client()
        fleet = len(sandbox.store.cars[DEMO.customer_id])
        concurrency = settings.FLEETADMIN_FANOUT_CONCURRENCY
        batch = settings.FLEETADMIN_MAP_BATCH_SIZE
        first_batch = batch_size(0)
        client.get("/map/", secure=True)  # warm-up: token, templates
        # The sandbox makes a car's history on first touch: touch them all before timing.
        all_batches(client)
        cache.clear()
        client.get("/cars/", secure=True)  # the token again (the cache held it)
        # The reload must find every batch cached: with 10,000 cars the uncached load alone
        # takes longer than the default "now" TTL of 60 s, and its first batches expire.
        ttl = settings.FLEETADMIN_LOCATION_CACHE_SECONDS
        settings.FLEETADMIN_LOCATION_CACHE_SECONDS = max(ttl, 3600)
        sandbox.faults.latency = args.latency
        load_before = load_average()
        print(f"Fleet map benchmark: customer {DEMO.customer_id} with {fleet:,} cars "
              f"(sandbox started in {seeded:.1f} s; {how}), upstream latency "
              f"{args.latency * 1000:.0f} ms per call, concurrency {concurrency}, "
              f"{batch} cars per batch ({first_batch} in the first), local-memory cache "
              f"of 100,000 entries (\"now\" kept {ttl} s in production, here "
              f"{settings.FLEETADMIN_LOCATION_CACHE_SECONDS} s so that the reload finds every "
              f"batch), one run; load average {load_before}.\n")

        # 1. Uncached: every batch, as the browser asks them one after the other.
        sandbox.clear_requests()
        batch_calls: list[int] = []
        t0 = time.perf_counter()
        bodies, _seconds, size = all_batches(client, batch_calls, sandbox)
        uncached = time.perf_counter() - t0
        pages = len(bodies)
        located = [(car["name"], car["lat"], car["lon"]) for body in bodies
                   for car in body["cars"] if car["state"] == "located"]
        location_calls = sum(1 for r in sandbox.requests if "/location" in r.path)
        list_calls = sandbox.request_count(path_prefix="/cars") - location_calls
        rounds = fan_out_rounds(batch_calls, concurrency)
        floor = rounds * args.latency

        # 2. The map's HTML: ours (the page; positions come as the JSON above) vs folium.
        t0 = time.perf_counter()
        page_html = client.get("/map/", secure=True).content
        ours = time.perf_counter() - t0
        best_folium(located[:1])  # warm-up: folium's imports and templates, as in a server
        t0 = time.perf_counter()
        folium_html = best_folium(located)
        folium_time = time.perf_counter() - t0

        # 3. Cached reload (within FLEETADMIN_LOCATION_CACHE_SECONDS): server time per batch.
        sandbox.clear_requests()
        _bodies, server_times, _size = all_batches(client)
        cached = sum(server_times)
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
        print(f"{'map HTML, folium FastMarkerCluster (data in)':44} {folium_time * 1000:9.1f} "
              f"{len(folium_html.encode()) / 1024:8.1f}")
        print(f"  ({len(located):,} cars located; our page's data follows as JSON batches: "
              f"{size / 1024:.0f} KB in {pages} requests. Folium's page needs every position "
              f"before it is built: the same fan-out as our batches. Compared in Chromium "
              f"below.)\n")
        print(f"fan-out, all {pages} batches uncached:  {uncached * 1000:8.0f} ms  "
              f"({location_calls:,} location + {list_calls} list/count calls)")
        print(f"  floor: {rounds} round trips (the first list call alone, then per batch "
              f"ceil(its calls / {concurrency}): the list calls travel in the fan-out) x "
              f"{args.latency * 1000:.0f} ms = {floor * 1000:8.0f} ms  -> "
              f"{uncached / floor:.2f}x the floor")
        print(f"fan-out, cached reload:               {cached * 1000:8.0f} ms  server time, "
              f"sum of {pages} batches (slowest {max(server_times) * 1000:.1f} ms; "
              f"{cached_calls} upstream calls)\n")
        print(f"7-day route, uncached:                {route_uncached * 1000:8.0f} ms  "
              f"({route_calls} upstream calls, ~{points} distinct samples)")
        print(f"7-day route, cached:                  {route_cached * 1000:8.0f} ms  "
              f"({route_cached_calls} upstream calls)")

        # 5. In Chromium: first markers on screen, and the whole map.
        if args.browser_runs > 0:
            browser_figures(client, args, fleet, folium_html, folium_time)
        print(f"\nload average before {load_before}, after {load_average()}")
    finally:
        sandbox.stop()
    return 0


def browser_figures(client, args, fleet: int, folium_html: str, folium_build: float) -> None:
    """Measure the fleet map and folium's in Chromium; print the median and worst of the runs."""
    from django.conf import settings

    base_url, stop = serve_dashboard()
    cookie = (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    try:
        # Playwright's sync API runs an event loop in its thread: kept off this one, where
        # Django refuses database calls beside a running loop.
        with ThreadPoolExecutor(1) as pool:
            runs = pool.submit(browser_runs, base_url, cookie, args.browser_runs, fleet,
                               folium_html).result()
    finally:
        stop()
    print(f"\nChromium, {len(runs)} runs, served over HTTP on loopback, from navigation start "
          f"to the first and to the last marker or cluster icon drawn (every marker on the "
          f"map; settled: none added for {SETTLED_MS} ms after), median / worst:")

    def middle_worst(values):
        ordered = sorted(values)
        return f"{ordered[len(ordered) // 2]:7.0f} / {ordered[-1]:7.0f} ms"

    for label, what in (("uncached", "ours, nothing cached"),
                        ("cached", "ours, reloaded (positions cached)"),
                        ("folium", "folium FastMarkerCluster")):
        first = middle_worst(run[label]["first"] for run in runs)
        last = middle_worst(run[label]["last"] for run in runs)
        markers = runs[-1][label]["markers"]
        print(f"  {what:34} first {first}   all drawn {last}  ({markers:,} markers)")
    folium_all = sorted(run["folium"]["last"] for run in runs)[len(runs) // 2]
    ours_cached = sorted(run["cached"]["last"] for run in runs)[len(runs) // 2]
    print(f"  with positions in hand, all markers drawn: ours {ours_cached:.0f} ms (our batches' "
          f"server time included) vs folium {folium_build * 1000:.0f} ms to build its page + "
          f"{folium_all:.0f} ms in Chromium = {folium_build * 1000 + folium_all:.0f} ms: ours "
          f"÷ folium {ours_cached / (folium_build * 1000 + folium_all):.2f}")


if __name__ == "__main__":
    sys.exit(main())
