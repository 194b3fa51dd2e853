"""Benchmark: the car-list page against one raw upstream GET, across an honest network.

    .venv/bin/python -m benchmarks.round_trips [--rtt 0.05] [--runs 30] [--cars 0]

Two sandboxes (plain HTTP and HTTPS with a throwaway CA), each behind a delaying TCP proxy
(`benchmarks.netdelay`: one round trip per connection set-up, half a round trip per
segment each way), so every TCP and TLS handshake costs what it costs across a network.
Each sandbox and its proxy run in a process of their own (`benchmarks.remote`), as the
real API runs on another machine: in ours they would share the dashboard's GIL. The
dashboard runs in-process (Django's test Client, in-memory SQLite) with a fleet
manager logged in. For each scheme, in turn, side by side: the whole car-list page (the
full page, as a browser loads it), and the one upstream request that page needs, sent with
a reused `requests.Session` through the same proxy (the floor: a warm keep-alive GET).

Prints the median of each, the median of the pairwise ratios page ÷ GET (goal ≤ 1.15),
and the round trips (connections + exchanges) each cost. Not a test: it measures.
"""

import argparse
import statistics
import sys
import tempfile
import time

from benchmarks.car_list import configure_django, percentile, signed_in_client


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt", type=float, default=0.05, help="round trip in seconds")
    parser.add_argument("--runs", type=int, default=30, help="pairs per scheme")
    parser.add_argument("--cars", type=int, default=0, help="extra cars to seed")
    parser.add_argument("--path", default="/cars/", help="dashboard page to measure")
    args = parser.parse_args(argv)

    # The yardstick is a plain requests.Session GET, not our client: that is the point.
    import requests  # noqa: TID251

    from benchmarks.remote import RemoteUpstream
    from flinkey_sandbox import DEMO
    from flinkey_sandbox.tls import make_certificates

    workdir = tempfile.TemporaryDirectory(prefix="fleetadmin-bench-")
    tls = make_certificates(workdir.name)
    upstreams = {}
    try:
        upstreams["https"] = RemoteUpstream(rtt=args.rtt, extra_cars=args.cars,
                                            tls=(str(tls.cert), str(tls.key)))
        upstreams["http"] = RemoteUpstream(rtt=args.rtt, extra_cars=args.cars)
        configure_django(upstreams["http"].url)
        from django.conf import settings

        from flinkey import FlinkeyClient, close_sessions

        browser, _user = signed_in_client()

        # Warm-up of Django itself (templates, URL resolver, the first token): not counted.
        from django.core.cache import cache

        browser.get(args.path, secure=True)
        print(f"Round trips: the car list ({args.path}) vs one raw keep-alive GET of the same "
              f"upstream page, {args.rtt * 1000:.0f} ms round trip (delaying proxy), "
              f"{args.runs} pairs per scheme, alternating.\n")
        header = (f"{'scheme':6} {'page ms':>8} {'GET ms':>8} {'page÷GET':>9} {'p95 ratio':>9} "
                  f"{'RT/page':>8} {'RT/GET':>7} {'cold page ms':>12} {'cold RT':>8}")
        print(header)
        print("-" * len(header))
        for scheme, upstream in upstreams.items():
            base = upstream.url
            settings.FLINKEY_API_URL = base
            settings.FLINKEY_CA_BUNDLE = str(tls.ca) if scheme == "https" else ""
            close_sessions()  # the first page of each scheme opens its connection
            cache.clear()  # and fetches its token
            # Cold: new connection (and TLS handshake) plus the token, once per process.
            before = upstream.round_trips()
            t0 = time.perf_counter()
            response = browser.get(args.path, secure=True)
            cold_ms = (time.perf_counter() - t0) * 1000
            cold_rt = upstream.round_trips() - before
            if response.status_code != 200:
                print(f"{scheme}: the page answered {response.status_code}", file=sys.stderr)
                return 1
            # The upstream request the page made, for the raw GET to repeat exactly.
            page_query = upstream.last_query("/cars")
            token = FlinkeyClient(
                base, api_key=DEMO.api_key, username=DEMO.username, password=DEMO.password,
                verify=settings.FLINKEY_CA_BUNDLE or True,
            ).authenticate()
            raw = requests.Session()
            # Per call: REQUESTS_CA_BUNDLE in the environment would override the session's.
            verify = settings.FLINKEY_CA_BUNDLE or True
            headers = {
                "flinkey-API-Key": DEMO.api_key,
                "Authorization": f"Bearer {token.access_token}",
                "Customer-ID": str(DEMO.customer_id),
                "Accept": "application/json",
            }

            def raw_get(raw=raw, base=base, headers=headers, query=page_query,
                        verify=verify):
                answer = raw.get(
                    base + "/cars", params=query, headers=headers, timeout=10, verify=verify
                )
                answer.raise_for_status()

            raw_get()  # its connection, as the page's is open
            browser.get(args.path, secure=True)
            pages, gets, ratios, page_rts, get_rts = [], [], [], [], []
            for _ in range(args.runs):
                before = upstream.round_trips()
                t0 = time.perf_counter()
                response = browser.get(args.path, secure=True)
                page = time.perf_counter() - t0
                page_rts.append(upstream.round_trips() - before)
                before = upstream.round_trips()
                t0 = time.perf_counter()
                raw_get()
                get = time.perf_counter() - t0
                get_rts.append(upstream.round_trips() - before)
                pages.append(page * 1000)
                gets.append(get * 1000)
                ratios.append(page / get)
            print(f"{scheme:6} {statistics.median(pages):8.1f} {statistics.median(gets):8.1f} "
                  f"{statistics.median(ratios):9.3f} {percentile(ratios, 0.95):9.3f} "
                  f"{statistics.mean(page_rts):8.2f} {statistics.mean(get_rts):7.2f} "
                  f"{cold_ms:12.1f} {cold_rt:8d}")
        print("\nRT = round trips through the proxy: connections set up + request/response "
              "exchanges (a TLS handshake is one exchange). Cold = the first page after the "
              "process's connections were closed, token included.")
    finally:
        for upstream in upstreams.values():
            upstream.stop()
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
