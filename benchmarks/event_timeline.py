"""Benchmark: a car's timeline with 100,000 events, its CSV export, and "cars left open".

    .venv/bin/python -m benchmarks.event_timeline [--events 100000] [--cars 1000]
                                                  [--latency 0.05] [--runs 10]

Starts a sandbox whose busy pool car (DEMO.large_event_car_id) has the extra events and
whose demo customer has `--cars` cars in all, in a process of its own behind the delaying
proxy (`benchmarks.remote`: `--latency` is the round trip; a new connection costs one
more), as the real API is another machine. Runs the dashboard in-process (Django's test
Client, an in-memory SQLite database), logs a fleet manager in and measures, through the
proxy:
- the timeline's first page (the page itself, and the htmx region) and scroll pages at
  depth 1, 10, 100 and 1,000 (cursor paging: each should cost one call whatever the depth);
- the CSV export of every event: wall time, upstream calls, and the peak memory Python
  allocated while streaming it (tracemalloc: the dashboard's process only) and the growth
  of the process's peak RSS;
- the "left open" report over the whole fleet, batch by batch as the browser asks for it.
Not a test: it asserts nothing, it measures. Token requests are not counted.
"""

import argparse
import re
import resource
import statistics
import sys
import time
import tracemalloc

from benchmarks.car_list import configure_django, load_average, percentile, signed_in_client

DEPTHS = (1, 10, 100, 1000)


def region(target: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target}


class Meter:
    """Times Django requests and counts the upstream calls (token requests excluded)."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream

    def calls(self) -> int:
        return (self.upstream.request_count()
                - self.upstream.request_count(path_prefix="/oauth2"))

    def get(self, url: str, headers=None):
        before = self.calls()
        started = time.perf_counter()
        response = self.client.get(url, secure=True, headers=headers or {})
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
        elapsed = (time.perf_counter() - started) * 1000
        return response, elapsed, self.calls() - before

    def repeat(self, url: str, headers, runs: int):
        times, calls = [], []
        response = None
        for _ in range(runs):
            response, elapsed, cost = self.get(url, headers)
            times.append(elapsed)
            calls.append(cost)
        return response, times, calls


def cursors_at(user, car_id: int, depths, page_size: int) -> dict[int, str]:
    """Return the timeline's `before` value at the start of each page in `depths`.

    Walked against the sandbox directly, without the proxy's delay (one call per page, as
    the timeline does).
    """
    from django.utils import timezone

    from events import services

    zone = timezone.get_current_timezone()
    wanted = set(depths)
    found = {}
    cursor = None
    page_number = 1
    while page_number <= max(wanted):
        if page_number in wanted:
            found[page_number] = cursor.token() if cursor else ""
        page = services.page_of_events(user=user, car_id=car_id, filters=services.Filters(),
                                       cursor=cursor, zone=zone, size=page_size)
        cursor = page.next_cursor
        if cursor is None:
            break
        page_number += 1
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="extra events of the car")
    parser.add_argument("--cars", type=int, default=1000, help="cars of the customer in all")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--runs", type=int, default=10, help="requests per timeline row")
    args = parser.parse_args(argv)

    from benchmarks.remote import RemoteUpstream
    from flinkey_sandbox import DEMO

    seeded_cars = 62
    started = time.perf_counter()
    upstream = RemoteUpstream(rtt=args.latency, extra_cars=max(0, args.cars - seeded_cars),
                              large_event_car=args.events)
    seeded = time.perf_counter() - started
    try:
        configure_django(upstream.direct_url)
        from django.conf import settings
        from django.utils import timezone

        client, user = signed_in_client()
        meter = Meter(client, upstream)
        car = DEMO.large_event_car_id
        fleet = max(args.cars, seeded_cars)
        size = settings.FLEETADMIN_EVENTS_PAGE_SIZE
        base = f"/cars/{car}/events/"
        # Warm-up without the delay: token, templates, the sandbox making the car's events.
        client.get(base, secure=True)
        timezone.activate(settings.FLEETADMIN_DEFAULT_TIME_ZONE)
        walk_started = time.perf_counter()
        cursors = cursors_at(user, car, DEPTHS, size)
        walked = time.perf_counter() - walk_started
        # From here on through the delaying proxy; its connection and token first.
        settings.FLINKEY_API_URL = upstream.url
        client.get(base, secure=True)

        print(f"Event timeline benchmark: car {car} with {args.events:,} extra events, "
              f"customer {DEMO.customer_id} with {fleet:,} cars (sandbox in its own process, "
              f"started in {seeded:.1f} s), {args.latency * 1000:.0f} ms round trip "
              f"(delaying proxy), {size} events per page, {args.runs} runs per row; load "
              f"average {load_average()}.\n")
        header = f"{'request':40} {'median ms':>9} {'p95 ms':>8} {'calls':>6} {'rows':>5}"
        print(header)
        print("-" * len(header))
        rows = [
            ("timeline page (car + first page)", base, None),
            ("first page, htmx region", base, region("timeline")),
        ]
        for depth in DEPTHS:
            if depth in cursors and cursors[depth]:
                rows.append((f"scroll: page {depth:,}", f"{base}?before={cursors[depth]}",
                             region("timeline-more")))
        rows.append(("filtered (closed, one user), first page",
                     f"{base}?type=closed&user={DEMO.user_id}", region("timeline")))
        for label, url, headers in rows:
            response, times, calls = meter.repeat(url, headers, args.runs)
            shown = response.content.decode().count('class="event event-')
            print(f"{label:40} {statistics.median(times):9.1f} {percentile(times, 0.95):8.1f} "
                  f"{statistics.mean(calls):6.2f} {shown:5d}")
        print(f"(cursors for pages {', '.join(f'{d:,}' for d in cursors)} found by walking "
              f"the timeline without the delay in {walked:.1f} s)")

        # --- CSV export ---------------------------------------------------------------
        print("\nCSV export of every event of the car:")
        url = f"{base}export.csv"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        response, elapsed, calls = meter.get(url)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  {elapsed / 1000:.1f} s, {calls} upstream calls, status "
              f"{response.status_code}; peak RSS grew by {(rss_after - rss_before) / 1024:.1f} MB "
              f"(from {rss_before / 1024:.0f} MB)")
        tracemalloc.start()
        response = client.get(url, secure=True)
        size_bytes = 0
        lines = 0
        tail = b""
        for chunk in response.streaming_content:
            size_bytes += len(chunk)
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-300:]
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {lines - 1:,} rows, {size_bytes / 1e6:.1f} MB of CSV; peak memory allocated "
              f"while streaming (tracemalloc): {peak / 1e6:.1f} MB")
        # A cut export says why in its last line (the row cap, the request's time budget).
        print(f"  its last line: {tail.rstrip().splitlines()[-1].decode(errors='replace')[:200]}")

        # --- left open ----------------------------------------------------------------
        print(f"\n\"Cars left open\" over {fleet:,} cars, batch by batch as the browser asks:")
        before = meter.calls()
        started = time.perf_counter()
        html = client.get("/left-open/", secure=True).content.decode()
        batches = 0
        while found := re.search(r'<div id="left-open"[^>]*hx-get="([^"]+)"', html):
            html = client.get(found[1].replace("&amp;", "&"), secure=True,
                              headers=region("left-open")).content.decode()
            batches += 1
        total = time.perf_counter() - started
        progress = re.search(r"([\d,]+) of ([\d,]+) cars checked", html)
        opened = len(re.findall(r'<tr id="left-open-', html))
        print(f"  {total:.1f} s in {batches} batch requests, {meter.calls() - before} upstream "
              f"calls; {progress[0] if progress else '?'}, {opened} left open")
        print(f"\nload average at the end {load_average()}")
    finally:
        upstream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
