"""Benchmark: a page as a user gets it, against the bare upstream call, over a delayed link.

    .venv/bin/python -m benchmarks.served [--cars 10000] [--rtt 0.05] [--rounds 60]
        [--path /cars/] [--compare REV ...] [--scheme https|http] [--no-raw]
        [--database-url URL] [--cache-url URL] [--env NAME=VALUE ...] [--store]
        [--profile DIR]

The whole path a user's page takes, each part in a process of its own:
- the flinkey sandbox with `--cars` extra cars behind the delaying proxy
  (`benchmarks.remote`: one round trip per connection set-up, half per segment each way),
  over HTTPS with a throwaway CA unless `--scheme http`;
- the dashboard in gunicorn as production runs it (gthread, 2 workers x 4 threads,
  DEBUG off, request log lines on), on a loopback port, its database and cache as given
  (default: a SQLite file and each worker's own memory);
- this process as the browser: a keep-alive `requests.Session`, signed in, asking `--path`.

The yardstick ("raw GET") is the one flinkey call the page makes, sent directly with a plain
keep-alive `requests.Session` through the same proxy: what no dashboard can beat. With
`--store` the car list reads a synced fleet store of `--cars` cars (benchmarks.car_status)
and makes no call; the yardstick is then the call it replaces (the list's first page).

`--compare REV` runs the same page from the code at another git revision (`git archive`
into a temp directory, the same virtualenv, database, cache and upstream) in a gunicorn of
its own: that is how a speed trick is measured with and without it. The machine is shared
and noisy, so every round asks each variant and the raw GET once, in an order rotated each
round, and the figures are medians of per-round values with their spread:
- per variant: page ms, page / raw GET, our own ms (page - raw GET, same round);
- per compared revision: this code's page / that revision's page, same round, with a
  distribution-free 95 % confidence interval of that median. A difference "pays" here when
  the median is at least 2 % below 1 and the whole interval lies below 1.

Not a test: it asserts nothing, it measures. Prints the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.car_list import load_average

ROOT = Path(__file__).resolve().parents[1]
WORKERS, THREADS = 2, 4  # scripts/demo's and the README's production flags on 2 cores
PAYS = 0.98  # a trick pays when its page is at least 2 % faster (median, CI below 1)


# --- statistics -----------------------------------------------------------------------------


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(p25, median, p75) of `values`."""
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def median_interval(values: list[float], z: float = 1.96) -> tuple[float, float]:
    """A distribution-free ~95 % confidence interval of the median (order statistics)."""
    ordered = sorted(values)
    n = len(ordered)
    low = max(0, math.floor(n / 2 - z * math.sqrt(n) / 2) - 1)
    high = min(n - 1, math.ceil(n / 2 + z * math.sqrt(n) / 2) - 1)
    return ordered[low], ordered[high]


def verdict(ratios: list[float]) -> str:
    """Whether the ratios (this code ÷ the other, per round) say this code pays."""
    median = statistics.median(ratios)
    low, high = median_interval(ratios)
    if median <= PAYS and high < 1:
        return "pays"
    if median >= 1 / PAYS and low > 1:
        return "costs"
    return "no difference that pays"


# --- the dashboard as production runs it ----------------------------------------------------


def code_at(revision: str, into: Path) -> Path:
    """The project's files at `revision`, unpacked into `into` (a new directory)."""
    into.mkdir(parents=True)
    archive = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "archive", "--format=tar", revision], cwd=ROOT, check=True,  # noqa: S607
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)  # noqa: S603, S607
    return into


def dashboard_environment(api_url: str, ca_bundle: str, database_url: str,
                          cache_url: str | None, extra: dict[str, str]) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FLINKEY_API_URL": api_url,
        "FLINKEY_CA_BUNDLE": ca_bundle,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "benchmark-only-" + secrets.token_hex(16),
        "FLINKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "INFO",  # production's: one line per request is part of a page
        "PYTHONUNBUFFERED": "1",
    }
    if cache_url:
        env["CACHE_URL"] = cache_url
    else:
        env.pop("CACHE_URL", None)
    env.update(extra)
    return env


def signed_in_session(env: dict[str, str], tree: Path) -> str:
    """Migrate, make the demo login (sandbox credentials) and return a session key for it."""
    manage = [sys.executable, "manage.py"]
    env = {**env, "DJANGO_LOG_LEVEL": "WARNING"}  # the set-up's log lines are not figures
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=tree, env=env,  # noqa: S603
                   check=True)
    script = ("from django.core.management import call_command\n"
              "from django.contrib.auth import get_user_model\n"
              "from django.test import Client\n"
              "call_command('demo_user', username='bench', password='bench-' + 'x' * 12,"
              " verbosity=0)\n"
              "client = Client()\n"
              "client.force_login(get_user_model().objects.get(username='bench'))\n"
              "print('session', client.cookies['sessionid'].value)\n")
    made = subprocess.run([*manage, "shell", "-c", script], cwd=tree, env=env,  # noqa: S603
                          check=True, text=True, stdout=subprocess.PIPE)
    return next(line.split()[1] for line in made.stdout.splitlines()
                if line.startswith("session "))


def fill_store(env: dict[str, str], tree: Path, cars: int) -> None:
    """A synced fleet store of `cars` cars with status in the dashboard's database."""
    env = {**env, "DJANGO_LOG_LEVEL": "WARNING"}
    script = f"from benchmarks.car_status import fill\nfill({int(cars)})\n"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=tree,  # noqa: S603
                   env=env, check=True)


def start_gunicorn(tree: Path, env: dict[str, str], log: Path,
                   app: str = "config.wsgi:application") -> tuple[subprocess.Popen, str]:
    """gunicorn serving the dashboard at `tree` on a free loopback port; (process, URL)."""
    from benchmarks.cluster import free_port

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn
        [sys.executable, "-m", "gunicorn", app,
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "-k", "gthread",
         "--threads", str(THREADS), "--timeout", "30", "--graceful-timeout", "5",
         "--keep-alive", "10", "--no-control-socket"],
        cwd=tree, env=env, stdin=subprocess.DEVNULL, stdout=log.open("ab"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    from benchmarks.cluster import http_status

    deadline = time.monotonic() + seconds
    while http_status(url + "/healthz") != 200:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} (see its log)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.2)


# --- measuring ------------------------------------------------------------------------------


class Variant:
    """One way to get the answer: a dashboard page (some revision) or the raw GET."""

    def __init__(self, name: str, fetch) -> None:
        self.name = name
        self.fetch = fetch  # () -> None; raises if the answer is not the real page
        self.ms: list[float] = []

    def timed(self) -> float:
        started = time.perf_counter()
        self.fetch()
        elapsed = (time.perf_counter() - started) * 1000
        self.ms.append(elapsed)
        return elapsed


def page_fetcher(base_url: str, path: str, session_key: str, expect: str):
    # The yardsticks are plain requests calls, not our client: that is the point.
    import requests  # noqa: TID251

    browser = requests.Session()
    browser.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")

    def fetch() -> None:
        answer = browser.get(base_url + path, timeout=30)
        if answer.status_code != 200 or expect not in answer.text:
            raise RuntimeError(f"{base_url}{path}: {answer.status_code}, not the page "
                               f"(no {expect!r}): {answer.text[:300]!r}")

    return fetch


# The call the car list's first page makes without a store (cars.services.list_query):
# the yardstick of the list answered from the store, which makes none.
LIST_PAGE_QUERY = {"$orderby": "name asc,id asc", "$skip": "0", "$top": "26"}


def raw_fetcher(upstream, ca_bundle: str, query: dict[str, str] | None = None):
    """The one flinkey call the page made last (or `query`), repeated with a bare
    keep-alive session."""
    import requests  # noqa: TID251

    from flinkey import FlinkeyClient
    from flinkey_sandbox import DEMO

    query = query or upstream.last_query("/cars")
    verify = ca_bundle or True
    token = FlinkeyClient(upstream.url, api_key=DEMO.api_key, username=DEMO.username,
                          password=DEMO.password, verify=verify).authenticate()
    raw = requests.Session()
    headers = {
        "flinkey-API-Key": DEMO.api_key,
        "Authorization": f"Bearer {token.access_token}",
        "Customer-ID": str(DEMO.customer_id),
        "Accept": "application/json",
    }

    def fetch() -> None:
        # verify per call: REQUESTS_CA_BUNDLE in the environment would override a session's.
        answer = raw.get(upstream.url + "/cars", params=query, headers=headers, timeout=30,
                         verify=verify)
        answer.raise_for_status()

    return fetch, query


def measure(variants: list[Variant], rounds: int, warm_up: int = 5) -> list[list[float]]:
    """Ask every variant once per round, the order rotated each round; per-round times."""
    for _ in range(warm_up):
        for variant in variants:
            variant.fetch()
    table = []
    for number in range(rounds):
        order = variants[number % len(variants):] + variants[:number % len(variants)]
        times = {variant.name: variant.timed() for variant in order}
        table.append([times[variant.name] for variant in variants])
    return table


def report(variants: list[Variant], table: list[list[float]], raw: bool) -> None:
    pages = [v for v in variants if v.name != "raw GET"]
    raw_column = len(variants) - 1 if raw else None
    header = (f"{'variant':28} {'ms p25':>7} {'median':>7} {'p75':>7}"
              + (f" {'÷GET p25':>8} {'median':>7} {'p75':>6} {'own ms':>7}" if raw else ""))
    print(header)
    print("-" * len(header))
    for index, variant in enumerate(variants):
        q1, q2, q3 = quartiles([row[index] for row in table])
        line = f"{variant.name[:28]:28} {q1:7.1f} {q2:7.1f} {q3:7.1f}"
        if raw and index != raw_column:
            ratios = [row[index] / row[raw_column] for row in table]
            own = [row[index] - row[raw_column] for row in table]
            r1, r2, r3 = quartiles(ratios)
            line += f" {r1:8.3f} {r2:7.3f} {r3:6.3f} {statistics.median(own):7.1f}"
        print(line)
    if len(pages) > 1:
        print(f"\n{pages[0].name} ÷ each other variant, per round (median, 95 % interval of "
              f"the median; 'pays' = median ≤ {PAYS} and interval below 1):")
        for index in range(1, len(pages)):
            ratios = [row[0] / row[index] for row in table]
            low, high = median_interval(ratios)
            saved = [row[index] - row[0] for row in table]
            print(f"  ÷ {pages[index].name:26} {statistics.median(ratios):6.3f} "
                  f"[{low:.3f}, {high:.3f}]  ({statistics.median(saved):+.1f} ms saved) "
                  f"-> {verdict(ratios)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=10_000, help="extra cars to seed")
    parser.add_argument("--located", action="store_true",
                        help="the extra cars have positions (for the fleet map's batches)")
    parser.add_argument("--rtt", type=float, default=0.05, help="round trip in seconds")
    parser.add_argument("--rounds", type=int, default=60, help="rounds of measuring")
    parser.add_argument("--path", default="/cars/", help="dashboard page to measure")
    parser.add_argument("--expect", default='id="car-row-',
                        help="text the real page contains (an error page does not)")
    parser.add_argument("--compare", action="append", default=[], metavar="REV",
                        help="also serve the code at this git revision (repeatable)")
    parser.add_argument("--scheme", choices=("https", "http"), default="https")
    parser.add_argument("--no-raw", action="store_true",
                        help="no raw GET (pages that make more than one list call)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL URL: the run makes (and drops) a database named "
                             "like it plus _served_<hex> (default: a SQLite file, removed after)")
    parser.add_argument("--cache-url", default=None,
                        help="the dashboard's cache (default: each worker's own memory)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra environment variable for every dashboard")
    parser.add_argument("--store", action="store_true",
                        help="the demo customer's fleet store synced with --cars cars with "
                             "status (benchmarks.car_status): the car list reads it and asks "
                             "flinkey nothing; the raw GET is the call it replaces")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="profile this code's requests (cProfile, every thread) into "
                             "DIR/worker-<pid>.prof (benchmarks.profiled_wsgi); the figures "
                             "then include the profiler's own cost")
    args = parser.parse_args(argv)

    from benchmarks.remote import RemoteUpstream
    from flinkey_sandbox.tls import make_certificates

    work = tempfile.TemporaryDirectory(prefix="fleetadmin-served-")
    workdir = Path(work.name)
    tls = make_certificates(workdir / "tls") if args.scheme == "https" else None
    processes: list[subprocess.Popen] = []
    upstream = None
    # A PostgreSQL database of this run's own (its secrets are encrypted with this run's
    # key), dropped afterwards: `--database-url` names the server and the name's prefix.
    database_url = (f"{args.database_url}_served_{secrets.token_hex(4)}"
                    if args.database_url else None)
    try:
        started = time.perf_counter()
        upstream = RemoteUpstream(rtt=args.rtt, extra_cars=args.cars,
                                  extra_located=args.located,
                                  tls=(str(tls.cert), str(tls.key)) if tls else None)
        seeded = time.perf_counter() - started
        ca_bundle = str(tls.ca) if tls else ""
        env = dashboard_environment(
            upstream.url, ca_bundle,
            database_url or f"sqlite:///{workdir / 'db.sqlite3'}", args.cache_url,
            dict(item.split("=", 1) for item in args.env),
        )
        if database_url:
            from benchmarks.cluster import ensure_database

            ensure_database(database_url)
        session_key = signed_in_session(env, ROOT)
        if args.store:
            fill_store(env, ROOT, args.cars)
        trees = [("this code", ROOT)] + [
            (f"at {rev}", code_at(rev, workdir / f"tree-{number}"))
            for number, rev in enumerate(args.compare)
        ]
        variants = []
        for number, (name, tree) in enumerate(trees):
            app, tree_env = "config.wsgi:application", env
            if args.profile and number == 0:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                app = "benchmarks.profiled_wsgi:application"
                tree_env = {**env, "FLEETADMIN_PROFILE_DIR": str(Path(args.profile).resolve())}
            process, url = start_gunicorn(tree, tree_env, workdir / f"gunicorn-{number}.log",
                                          app=app)
            processes.append(process)
            wait_until_up(url, process)
            variants.append(Variant(name, page_fetcher(url, args.path, session_key,
                                                        args.expect)))
        for variant in variants:  # each worker's token and connection; the page asked once
            for _ in range(2 * WORKERS):
                variant.fetch()
        query = None
        if not args.no_raw:
            fetch, query = raw_fetcher(upstream, ca_bundle,
                                       LIST_PAGE_QUERY if args.store else None)
            variants.append(Variant("raw GET", fetch))
        load_before = load_average()
        print(f"Served: {args.path} through gunicorn ({WORKERS} workers × {THREADS} threads, "
              f"gthread) over TCP, flinkey sandbox ({args.cars:,} extra cars, seeded in "
              f"{seeded:.1f} s) in its own process behind the delaying proxy, "
              f"{args.rtt * 1000:.0f} ms round trip, {args.scheme.upper()}; "
              f"{args.rounds} rounds, order rotated each round; load average {load_before}.")
        if query is not None:
            print(f"raw GET = GET /cars?{'&'.join(f'{k}={v}' for k, v in query.items())} "
                  f"with a bare keep-alive requests.Session through the same proxy.")
        print()
        table = measure(variants, args.rounds)
        report(variants, table, raw=not args.no_raw)
        print(f"\nload average before {load_before}, after {load_average()}")
    finally:
        for process in processes:
            stop(process)
        if upstream is not None:
            upstream.stop()
        if database_url:
            from benchmarks.load import drop_database

            drop_database(database_url)
        with contextlib.suppress(OSError):
            work.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
