"""Benchmark: the car list against a 10,000-car customer with upstream latency injected.

    .venv/bin/python -m benchmarks.car_list [--cars 10000] [--latency 0.05] [--runs 20]

Starts a sandbox with the extra cars, runs the dashboard in-process (Django's test Client,
an in-memory SQLite database), logs a fleet manager in and requests list pages, searches and
sorts. For each it prints the wall time of the whole Django request (median and p95 over the
runs) and how many upstream calls one page cost (the token request excluded: it happens
once per token lifetime, not per page). Not a test: it asserts nothing, it measures.
"""

import argparse
import os
import statistics
import sys
import time

# (label, query string): what a fleet manager does with a big fleet.
SCENARIOS = [
    ("first page", ""),
    ("page 2", "page=2"),
    ("page 200 (skip 4,975)", "page=200"),
    ("last page (skip 10,050)", "page=403"),
    ("100 per page, page 1", "size=100"),
    ("100 per page, page 80", "size=100&page=80"),
    ("sort by brand, descending", "sort=-brand"),
    ("sort by VIN, page 150", "sort=vin&page=150"),
    ("search 'golf' (many hits)", "q=golf"),
    ("search 'golf', page 20", "q=golf&page=20"),
    ("search a plate 'm-ab' (few hits)", "q=m-ab"),
    ("search without a match", "q=no-such-car"),
]


# What the search box, sort links and pager send: the #car-table fragment.
HTMX = {"HX-Request": "true", "HX-Target": "car-table"}


def configure_django(api_url: str, database_url: str | None = None) -> None:
    """Set up Django for this process: settings module, the sandbox, a throwaway database
    (SQLite in memory, or `database_url`)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["FLINKEY_API_URL"] = api_url
    # Before django.setup(): settings read it once. In memory, so nothing on disk changes.
    os.environ["DATABASE_URL"] = database_url or "sqlite://:memory:"
    os.environ["CACHE_URL"] = "locmemcache://benchmark"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    # Benchmarks measure time and calls, not the call budgets (fleetadmin/upstream/call_budget.py):
    # a 10,000-car map or a "left open" over 1,000 cars is more than one user's minute.
    os.environ["FLEETADMIN_USER_CALLS_PER_MINUTE"] = "0"
    os.environ["FLEETADMIN_FLEET_CALLS_PER_MINUTE"] = "0"
    if not os.environ.get("DJANGO_SECRET_KEY") and not _dotenv_has("DJANGO_SECRET_KEY"):
        os.environ["DJANGO_SECRET_KEY"] = "benchmark-only-" + os.urandom(16).hex()
    if not os.environ.get("FLINKEY_ENCRYPTION_KEYS") and not _dotenv_has("FLINKEY_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["FLINKEY_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def signed_in_client():
    """Return (Django test Client, user): a fleet manager with sandbox credentials, signed in."""
    from django.test import Client

    from config.testing import make_user

    user = make_user("benchmark")
    client = Client()
    client.force_login(user)  # no password hashing: not what a benchmark measures
    return client, user


def _dotenv_has(name: str) -> bool:
    from pathlib import Path

    dotenv = Path(__file__).resolve().parents[1] / ".env"
    return dotenv.is_file() and any(
        line.startswith(f"{name}=") for line in dotenv.read_text().splitlines()
    )


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: every run prints them (it is shared)."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of `values` (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=10_000, help="extra cars to seed")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--runs", type=int, default=20, help="requests per scenario")
    args = parser.parse_args(argv)

    from flinkey_sandbox import DEMO, Sandbox

    started = time.perf_counter()
    sandbox = Sandbox(extra_cars=args.cars)
    sandbox.start()
    seeded = time.perf_counter() - started
    try:
        configure_django(sandbox.url)


        client, _user = signed_in_client()
        fleet = len(sandbox.store.cars[DEMO.customer_id])
        sandbox.faults.latency = args.latency
        # Warm-up: obtains and caches the token, fills the template caches.
        client.get("/cars/", secure=True)

        print(f"Car list benchmark: customer {DEMO.customer_id} with {fleet:,} cars "
              f"(sandbox seeded in {seeded:.1f} s), upstream latency {args.latency * 1000:.0f} ms "
              f"per call, {args.runs} runs per row.\n")
        header = (f"{'scenario':36} {'median ms':>9} {'p95 ms':>8} {'calls/page':>10} "
                  f"{'rows':>5} {'status':>6}")
        print(header)
        print("-" * len(header))
        worst_calls = 0
        for label, query in SCENARIOS:
            url = "/cars/" + (f"?{query}" if query else "")
            times = []
            calls = []
            response = None
            for _ in range(args.runs):
                before = sandbox.request_count()
                before_token = sandbox.request_count(path_prefix="/oauth2")
                t0 = time.perf_counter()
                # secure=True: production settings redirect plain HTTP to HTTPS.
                response = client.get(url, secure=True, headers=HTMX)
                times.append((time.perf_counter() - t0) * 1000)
                token_calls = sandbox.request_count(path_prefix="/oauth2") - before_token
                calls.append(sandbox.request_count() - before - token_calls)
            rows = response.content.decode().count('<tr id="car-row-')
            worst_calls = max(worst_calls, max(calls))
            per_page = statistics.mean(calls)
            print(f"{label:36} {statistics.median(times):9.1f} {percentile(times, 0.95):8.1f} "
                  f"{per_page:10.2f} {rows:5d} {response.status_code:6d}")
        print(f"\nAt most {worst_calls} upstream call(s) for any page, whatever the fleet size.")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
