"""Load test: 50 fleet managers for 60 s against gunicorn, upstream 50 ms away over HTTPS.

    .venv/bin/python -m benchmarks.load [--users 50] [--duration 60] [--rtt 0.05]
                                         [--workers 3] [--threads 8] [--faults]

Sets everything up in a temp directory and tears it down: the flinkey sandbox over HTTPS
(a throwaway CA, FLINKEY_CA_BUNDLE) behind the delaying proxy (`benchmarks.netdelay`, one
round trip per connection, half per segment each way), a SQLite database migrated with
demo logins, gunicorn (gthread workers), and locust headless with the mix in
`benchmarks/locustfile.py`. Prints requests, failures, p50 and p95 per page, and how many
answers were 500s from the dashboard itself.

--faults: a soak with upstream faults: 20 % of flinkey requests answer 500, a request hangs
beyond the read timeout every few seconds (GETs and creates alike), and every token is
revoked on a timer. Then prints the dashboard's own 500s (must be 0: every failure is our
problem page with 502/503/504) and duplicate creates (a PUT /cars sent twice for one
submission: must be 0), from the sandbox's request log and its store.
"""

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# Asks our own dashboard on loopback whether it is up; flinkey is never called from here.
import urllib.request  # noqa: TID251
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
CREATE_PREFIX = "load-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310, TID251
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--rtt", type=float, default=0.05, help="upstream round trip, seconds")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--logins", type=int, default=5, help="distinct demo logins")
    parser.add_argument("--faults", action="store_true", help="soak with upstream faults")
    parser.add_argument("--cluster", action="store_true",
                        help="through HAProxy to --instances gunicorn instances sharing "
                             "PostgreSQL and Redis (benchmarks.cluster; both must run)")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--failure-rate", type=float, default=0.2)
    parser.add_argument("--read-timeout", type=float, default=4.0,
                        help="FLINKEY_READ_TIMEOUT for the dashboard (hangs last longer)")
    args = parser.parse_args(argv)

    from benchmarks.netdelay import DelayProxy, address_of
    from flinkey_sandbox import DEMO, Sandbox
    from flinkey_sandbox.tls import make_certificates

    work = tempfile.TemporaryDirectory(prefix="fleetadmin-load-")
    workdir = Path(work.name)
    tls = make_certificates(workdir / "tls")
    sandbox = Sandbox(tls=(tls.cert, tls.key)).start()
    proxy = DelayProxy(address_of(sandbox.url), rtt=args.rtt).start()
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FLINKEY_API_URL": f"https://127.0.0.1:{proxy.port}/v3",
        "FLINKEY_CA_BUNDLE": str(tls.ca),
        "FLINKEY_READ_TIMEOUT": str(args.read_timeout),
        "DATABASE_URL": (
            f"postgres://postgres@127.0.0.1:5432/fleetadmin_load_{secrets.token_hex(4)}"
            if args.cluster else f"sqlite:///{workdir / 'db.sqlite3'}"),
        "DJANGO_SECRET_KEY": "load-test-only-" + secrets.token_hex(16),
        "FLINKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # locust speaks plain HTTP on loopback
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "ERROR",
        # Many simulated users on one demo fleet measure throughput, not the call budgets
        # (fleetadmin/upstream/call_budget.py), which would answer 429 to part of the load.
        "FLEETADMIN_USER_CALLS_PER_MINUTE": "0",
        "FLEETADMIN_FLEET_CALLS_PER_MINUTE": "0",
    }
    if args.cluster:
        env["CACHE_URL"] = os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/13")
    logins = [(f"load{i}", secrets.token_hex(8)) for i in range(args.logins)]
    gunicorn = None
    cluster = None
    stop_faults = threading.Event()
    stack = contextlib.ExitStack()
    try:
        manage = [PYTHON, "manage.py"]
        if args.cluster:
            from benchmarks.cluster import Cluster

            (workdir / "cluster").mkdir()
            cluster = Cluster(
                database_url=env["DATABASE_URL"], cache_url=env["CACHE_URL"],
                api_url=env["FLINKEY_API_URL"], instances=args.instances,
                workers=args.workers, threads=args.threads, collectstatic=False,
                output=workdir / "cluster", extra_env=env,
            )
            cluster.start()  # migrates, too
        else:
            subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT,  # noqa: S603
                           env=env, check=True)
        # The logins, and one signed-in session per locust user, made before the run: a
        # password check costs ~1 s of CPU by design (PBKDF2), and 50 at once on this
        # machine's two cores would be the whole test. Passwords go by stdin, never argv.
        setup = ("import sys\nfrom django.core.management import call_command\n"
                 "from django.contrib.auth import get_user_model\n"
                 "from django.test import Client\n"
                 "lines = sys.stdin.read().split()\n"
                 "count, pairs = int(lines[0]), lines[1:]\n"
                 "names = pairs[0::2]\n"
                 "for name, password in zip(names, pairs[1::2]):\n"
                 "    call_command('demo_user', username=name, password=password, verbosity=0)\n"
                 "users = [get_user_model().objects.get(username=n) for n in names]\n"
                 "for i in range(count):\n"
                 "    client = Client()\n"
                 "    client.force_login(users[i % len(users)])\n"
                 "    print('session', client.cookies['sessionid'].value)\n")
        made = subprocess.run(  # noqa: S603 - our own fixed command line
            [*manage, "shell", "-c", setup], cwd=ROOT, env=env, check=True, text=True,
            input=f"{args.users} " + " ".join(f"{n} {p}" for n, p in logins),
            stdout=subprocess.PIPE,
        )
        sessions = [line.split()[1] for line in made.stdout.splitlines()
                    if line.startswith("session ")]  # demo_user prints its login too
        if cluster is not None:
            host = cluster.url
        else:
            gunicorn, host = start_gunicorn(args, env, workdir, stack)
        wait_until_up(host + "/login/")
        sandbox.clear_requests()

        faults = []
        if args.faults:
            sandbox.faults.failure_rate = args.failure_rate
            hang = args.read_timeout + 2

            def inject() -> None:
                beat = 0
                while not stop_faults.wait(2.0):
                    beat += 1
                    kinds = [("/cars", "GET"), ("/cars", "PUT"), ("/oauth2", None),
                             ("/cars", "PATCH")]
                    path, method = kinds[beat % len(kinds)]
                    sandbox.faults.hang_next(path, seconds=hang, method=method)
                    faults.append(f"hang {method or 'any'} {path}")
                    if beat % 5 == 0:
                        sandbox.expire_tokens()
                        faults.append("tokens revoked")

            threading.Thread(target=inject, name="faults", daemon=True).start()

        status_file = workdir / "statuses.json"
        locust_env = {
            **env,
            "LOAD_SESSIONS": ",".join(sessions),
            "LOAD_FAULTS": "1" if args.faults else "0",
            "LOAD_STATUS_FILE": str(status_file),
            "LOAD_CREATE_PREFIX": CREATE_PREFIX,
        }
        where = (f"HAProxy and {args.instances} gunicorn instances ({args.workers} workers × "
                 f"{args.threads} threads each, PostgreSQL, Redis)" if args.cluster else
                 f"gunicorn ({args.workers} workers × {args.threads} threads, one instance, "
                 f"SQLite)")
        print(f"Load: {args.users} users for {args.duration} s against {where}, "
              f"flinkey sandbox over HTTPS {args.rtt * 1000:.0f} ms round trip away"
              + (f", faults: {args.failure_rate:.0%} upstream 500s, hangs of {hang:.0f} s "
                 f"(read timeout {args.read_timeout:g} s) every 2 s, tokens revoked every 10 s"
                 if args.faults else "") + ".", flush=True)
        checks: dict[str, list[float]] = {}
        if cluster is not None:
            # What HAProxy's checks meet: each instance's /healthz asked directly every 2 s
            # (its `inter`), timed; a check waits for a thread like a page does.
            for url in cluster.instance_urls:
                checks[url] = []
                threading.Thread(target=time_checks, args=(url, checks[url], stop_faults),
                                 name="checks", daemon=True).start()
        started = time.monotonic()
        locust_log = stack.enter_context(open(workdir / "locust.log", "w"))  # noqa: SIM115
        subprocess.run(  # noqa: S603 - our own fixed command line
            [str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(max(1, args.users // 5)),
             "-t", f"{args.duration}s", "--host", host,
             "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "45"],
            cwd=ROOT, env=locust_env, check=False, stdout=subprocess.DEVNULL,
            stderr=locust_log,
        )
        locust_log.flush()
        stop_faults.set()
        elapsed = time.monotonic() - started
        return report(workdir, status_file, sandbox, DEMO, elapsed, faults, args, checks)
    finally:
        stop_faults.set()
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if cluster is not None:
            cluster.stop()
            drop_database(env["DATABASE_URL"])
        stack.close()
        proxy.stop()
        sandbox.stop()
        work.cleanup()


def start_gunicorn(args, env, workdir, stack):
    """One gunicorn instance on a free loopback port; returns (process, URL)."""
    port = free_port()
    gunicorn_log = stack.enter_context(open(workdir / "gunicorn.log", "w"))  # noqa: SIM115
    gunicorn = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [str(BIN / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
         "--timeout", "30", "--graceful-timeout", "5",
         # Longer than a user's pause: else a reused keep-alive connection can meet
         # the server closing it (a client-side ConnectionError, not a failed page).
         "--keep-alive", "10"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=gunicorn_log,
        start_new_session=True,
    )
    return gunicorn, f"http://127.0.0.1:{port}"


def drop_database(database_url: str) -> None:
    """Drop the load test's own PostgreSQL database."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(parts.path.lstrip("/"))))


def time_checks(url: str, seconds: list[float], stop: threading.Event) -> None:
    """Append how long each GET of `url`/healthz took (60 s for none) until `stop` is set."""
    while not stop.wait(2.0):
        began = time.monotonic()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=60):  # noqa: S310, TID251
                pass
        except OSError:
            seconds.append(60.0)
        else:
            seconds.append(time.monotonic() - began)


def report(workdir, status_file, sandbox, demo, elapsed, faults, args, checks=None) -> int:
    # Written by the locustfile once every user has stopped (see _write_statuses there).
    data = json.loads(status_file.read_text())
    header = (f"{'page':18} {'requests':>8} {'failed':>7} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'max ms':>7}")
    print("\n" + header + "\n" + "-" * len(header))
    total = data["total"]
    for row in [*data["pages"], None, total]:
        if row is None:
            print("-" * len(header))
            continue
        print(f"{row['name'][:18]:18} {row['requests']:8d} {row['failures']:7d} "
              f"{row['p50']:7.0f} {row['p95']:7.0f} {row['max']:7.0f}")
    statuses = Counter()
    for _page, status, count in data.get("statuses", []):
        statuses[status] += count
    own_500 = statuses.get(500, 0)
    print(f"\n{total['rps']:.1f} requests/s over {elapsed:.0f} s; statuses: "
          + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"Failed requests: {total['failures']}.  Dashboard 500s: {own_500}.")
    problems = data.get("problem_pages", {})
    if problems:
        print("Answers 4xx/5xx that carried our problem page: "
              + ", ".join(f"{s}: {n}" for s, n in sorted(problems.items())))
    lb_pages = data.get("lb_pages", {})
    if lb_pages:
        print("Of those, HAProxy's own answers (our load-balancer page, counted as failed): "
              + ", ".join(f"{s}: {n}" for s, n in sorted(lb_pages.items())))
    names = Counter(car["name"] for car in sandbox.store.cars[demo.customer_id].values()
                    if str(car.get("name", "")).startswith(CREATE_PREFIX))
    duplicates = sum(n - 1 for n in names.values() if n > 1)
    puts = [r.status for r in sandbox.requests if r.method == "PUT" and r.path == "/cars"]
    refused = puts.count(401)  # a revoked token: not executed, sent again with a new one
    print(f"Creates submitted: {data.get('creates_sent', 0)}; PUT /cars received upstream: "
          f"{len(puts)} ({refused} refused for a revoked token and re-sent, "
          f"{len(puts) - refused} executed or failed); cars created: {sum(names.values())}, "
          f"duplicate creates: {duplicates}.")
    if args.faults:
        upstream = Counter(r.status for r in sandbox.requests)
        print(f"Upstream: {len(sandbox.requests)} requests, "
              + ", ".join(f"{s}: {n}" for s, n in sorted(upstream.items()))
              + f"; faults injected: {len(faults)} ({Counter(faults).most_common()})")
    errors = [line for line in (workdir / "locust.log").read_text().splitlines()
              if ("Error" in line or "Exception" in line)
              and not line.startswith("# occurrences")]
    if errors:
        print("\nlocust said:\n" + "\n".join(errors[-20:]))
    logs = [workdir / "gunicorn.log", *sorted((workdir / "cluster").glob("web-*.log"))]
    worker_trouble = [line for log in logs if log.exists() for line in log.read_text().splitlines()
                      if "CRITICAL" in line or "WORKER TIMEOUT" in line or "Traceback" in line]
    if worker_trouble:
        print("\ngunicorn said:\n" + "\n".join(worker_trouble[-20:]))
    for url, seconds in (checks or {}).items():
        if seconds:
            ordered = sorted(seconds)
            print(f"/healthz of {url}: {len(ordered)} checks, median "
                  f"{ordered[len(ordered) // 2] * 1000:.0f} ms, slowest "
                  f"{ordered[-1] * 1000:.0f} ms, over 1 s: {sum(s > 1 for s in ordered)}")
    haproxy = workdir / "cluster" / "haproxy.log"
    if haproxy.exists():
        downs = [line.strip() for line in haproxy.read_text(errors="replace").splitlines()
                 if " is DOWN" in line or "no server available" in line or " is UP" in line]
        if downs:
            print(f"\nHAProxy took instances out and back {len(downs)} times:\n"
                  + "\n".join(downs[:12]))
    for method, name, error, occurrences in data["failures"]:
        print(f"failed: {method} {name}: {error} × {occurrences}")
    return 0 if own_500 == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
