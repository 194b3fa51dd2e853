"""Several fleetadmin instances behind HAProxy, the way production runs them.

    scripts/cluster [--port 8080] [--instances 2] [--workers 1] [--threads 4]
    .venv/bin/python -m benchmarks.cluster ...      (the same, without the set-up)

Starts the flinkey sandbox (unless FLINKEY_API_URL names an API), runs `migrate` and the
demo login against the shared PostgreSQL database (DATABASE_URL, default a database
`fleetadmin_cluster` on 127.0.0.1, created if missing) and Redis cache (CACHE_URL, default
redis://127.0.0.1:6379/9), starts the instances as gunicorn processes on loopback ports
(each names itself in the X-Fleetadmin-Instance header: web-1, web-2, ...), and HAProxy in
front: least connections, at most as many requests per instance as it has threads (more wait
in HAProxy's queue), health checks on /healthz, an X-Request-ID set on every request, the
client's address in X-Forwarded-For (replacing the client's own; the instances believe it
only from HAProxy's source address, 127.0.0.2, for counting failed sign-ins per client),
our own page for HAProxy's 503 (`manage.py lb_errorfile`). Prints
the URL and waits; Ctrl-C stops everything. Plain HTTP on loopback: not a production
configuration for TLS, cookies or hosts.

`Cluster` is also what tests/test_cluster.py and load scripts start and stop.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fleetadmin_cluster"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
# HAProxy's source address towards the instances (all of 127.0.0.0/8 is loopback on Linux).
PROXY_ADDRESS = "127.0.0.2"

HAPROXY_CONFIG = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    # Above gunicorn's --timeout 30: the instance, not the proxy, ends a slow request.
    timeout client 35s
    timeout server 35s
    # While every instance has as many requests as threads (`maxconn` below), a request
    # waits here, not inside an instance, and goes to whichever instance frees a thread
    # first; after this long it is answered with the 503 page below, never sent on.
    timeout queue 30s
    # A check waits for a thread like a page does. `maxconn` keeps a queue from forming
    # inside an instance, but while flinkey's token request hangs every thread can wait for
    # the token at once, up to one call's timeouts (3 + 15 s by default; the soak measured
    # checks of up to 6.4 s at a 4 s read timeout). Such a stall fails at most two checks;
    # out only after four in a row, ~4 × (10 + 2) s, longer than gunicorn lets a worker hang
    # (--timeout 30) before replacing it. A slow flinkey makes every instance slow alike:
    # taking them out would only turn slow pages into HAProxy's 503s. A stopped instance
    # refuses the check's connection at once: out after 4 × 2 s.
    timeout check 10s
    # Only connections that failed are retried, on another instance (an instance restarting
    # or gone): such a request never reached the application, so a POST is as safe as a
    # GET. A request sent and not answered is never repeated (it may have created a car).
    retries 2
    retry-on conn-failure
    option redispatch 1
    # The client's address for the instances (LOGIN_CLIENT_IP_HEADER): without it every
    # request comes from HAProxy, and five wrong passwords from anyone lock an account
    # out for everyone. The frontend first drops what the client sent, so the header holds
    # exactly one address, HAProxy's view of the client.
    option forwardfor
    # HAProxy's own 503 (queue timeout, no instance up): our page, in both languages,
    # written by `manage.py lb_errorfile` when the cluster starts.
    errorfile 503 {errorfile}

frontend fleetadmin
    bind 127.0.0.1:{port}
    # Always set here (a client's own X-Request-ID is overwritten): the instances trust it.
    http-request set-header X-Request-ID %[uuid()]
    # Replaced, not appended to: a client cannot put an address of its choice in front.
    http-request del-header X-Forwarded-For
    default_backend instances

backend instances
    # Pages take from milliseconds to the read timeout (a hung flinkey call): the instance
    # with the fewest requests in hand, not the next one in turn.
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
    # Not `observe layer7`: our 502/504 pages for flinkey's failures are 5xx answers, and
    # counting them would take healthy instances out whenever flinkey has trouble.
    # HAProxy connects from an address of its own ({proxy_address}), the one address whose
    # X-Forwarded-For the instances believe (LOGIN_CLIENT_IP_TRUSTED_PROXIES): a client
    # reaching an instance's port directly, from 127.0.0.1, cannot choose its address.
    source {proxy_address}
{servers}
"""


def free_port() -> int:
    """A port the OS says is free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """The status a GET of `url` answers with, or None without an answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return None


def served_by(url: str, timeout: float = 1.0) -> str | None:
    """The instance (its X-Fleetadmin-Instance header) that answered a GET of `url`."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.headers.get("X-Fleetadmin-Instance")
    except (OSError, urllib.error.URLError):
        return None


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database of `database_url` if it does not exist."""
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Cluster:
    """The sandbox (optional), N gunicorn instances and HAProxy; a context manager."""

    def __init__(
        self,
        *,
        database_url: str,
        cache_url: str,
        api_url: str | None = None,
        instances: int = 2,
        workers: int = 1,
        threads: int = 4,
        port: int | None = None,
        collectstatic: bool = True,
        output: Path | None = None,
        extra_env: dict[str, str] | None = None,
        task_workers: int = 2,
    ) -> None:
        if shutil.which("haproxy") is None:
            raise RuntimeError("haproxy is not installed (Debian: scripts/setup --lb)")
        self.database_url, self.cache_url, self.api_url = database_url, cache_url, api_url
        self.instances, self.workers, self.threads = instances, workers, threads
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance_urls: list[str] = []
        self.collectstatic = collectstatic
        self._dir = Path(tempfile.mkdtemp(prefix="fleetadmin-cluster-"))
        # Where the processes' output goes: a directory of log files, or (None) our stderr.
        self.output = output
        self.extra_env = extra_env or {}
        # Background task workers (manage.py db_worker) beside the instances, and, when there
        # are any, one scheduler (manage.py crontask, locked in Redis).
        self.task_workers = task_workers
        self._processes: list[tuple[str, subprocess.Popen]] = []

    # --- start and stop ---------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.api_url is None:
            sandbox_port = free_port()
            self._spawn("sandbox", [sys.executable, "-m", "flinkey_sandbox", "--quiet",
                                    "--port", str(sandbox_port)])
            self.api_url = f"http://127.0.0.1:{sandbox_port}/v3"
            self._wait(f"the sandbox on port {sandbox_port}",
                       lambda: http_status(f"{self.api_url}/customers") is not None)
        ensure_database(self.database_url)
        self._manage("migrate", "--no-input", "-v", "0")
        if self.collectstatic:
            self._manage("collectstatic", "--no-input", "-v", "0")
        # The demo login and HAProxy's error page need only the migrated database: written
        # while the instances boot (each manage.py is a Django start-up of its own, a second
        # or more), not one after the other before them.
        errorfile = self._dir / "503.http"
        meanwhile = [self._manage_in_background("demo_user"),
                     self._manage_in_background("lb_errorfile", str(errorfile))]
        servers = []
        for number in range(1, self.instances + 1):
            port = free_port()
            name = f"web-{number}"
            self._spawn_instance(name, port)
            self.instance_urls.append(f"http://127.0.0.1:{port}")
            # maxconn: no more requests at once than the instance has threads; more would
            # queue inside gunicorn, where /healthz and every page wait behind them.
            servers.append(f"    server {name} 127.0.0.1:{port} "
                           f"maxconn {self.workers * self.threads} check inter 2s fall 4 rise 1")
        for command in meanwhile:
            if command.wait() != 0:
                raise subprocess.CalledProcessError(command.returncode, command.args)
        for url in self.instance_urls:
            self._wait(f"{url}/readyz", lambda url=url: http_status(f"{url}/readyz") == 200)
        config = self._dir / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=self.port, servers="\n".join(servers),
                                                errorfile=errorfile,
                                                proxy_address=PROXY_ADDRESS))
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(config)])
        self._wait(f"HAProxy on {self.url}", lambda: http_status(f"{self.url}/healthz") == 200)
        self._start_background_work()

    def _spawn_instance(self, name: str, port: int) -> None:
        self._spawn(name, [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers),
            "--threads", str(self.threads), "--timeout", "30",
            "--graceful-timeout", "5", "--name", f"fleetadmin-{name}",
            # gunicorn 27 would put every instance's control socket at one path.
            "--no-control-socket",
        ], env={"FLEETADMIN_INSTANCE_NAME": name})

    def _start_background_work(self) -> None:
        """The fleet store's task workers and scheduler (README, "Fleet store and workers")."""
        for number in range(1, self.task_workers + 1):
            self._spawn(f"worker-{number}", [
                sys.executable, "manage.py", "db_worker", "--no-reload",
                "--worker-id", f"worker-{number}"])
        if self.task_workers:
            self._spawn("scheduler", [sys.executable, "manage.py", "crontask", "--no-heartbeat"])

    def stop(self) -> None:
        """Stop every process (newest first), killing what does not stop within 10 s."""
        for _name, process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        shutil.rmtree(self._dir, ignore_errors=True)

    def stop_instance(self, name: str) -> None:
        """Stop one instance (web-1, ...) as a deploy or a crash would, the rest running."""
        for process_name, process in self._processes:
            if process_name == name:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)
                return
        raise ValueError(f"no instance named {name}")

    def restart_instances(self) -> None:
        """Start again every instance that stopped (on its own port), and wait until HAProxy
        sends requests to each of them again (a restarted instance is back in after one
        good health check, `rise 1`)."""
        stopped = {name: self.instance_urls[int(name.removeprefix("web-")) - 1]
                   for name, process in self._processes
                   if name.startswith("web-") and process.poll() is not None}
        if not stopped:
            return
        self._processes = [(name, process) for name, process in self._processes
                           if name not in stopped]
        for name, url in stopped.items():
            self._spawn_instance(name, urlsplit(url).port)
        for url in stopped.values():
            self._wait(f"{url}/readyz", lambda url=url: http_status(f"{url}/readyz") == 200)
        names = {f"web-{number}" for number in range(1, self.instances + 1)}
        seen: set[str] = set()

        def every_instance_served() -> bool:
            seen.add(served_by(f"{self.url}/healthz"))
            return names <= seen

        self._wait(f"HAProxy sending requests to {', '.join(sorted(names))}",
                   every_instance_served)

    # --- helpers ----------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The environment every instance (and manage.py) runs with."""
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "CACHE_URL": self.cache_url,
            "FLINKEY_API_URL": self.api_url or "",
            "DJANGO_DEBUG": "false",
            # Plain HTTP on loopback: no HTTPS redirect, no Secure cookies, no HSTS.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Failed sign-ins counted per client (HAProxy's X-Forwarded-For), believed only
            # from HAProxy's own address.
            "LOGIN_CLIENT_IP_HEADER": "X-Forwarded-For",
            "LOGIN_CLIENT_IP_TRUSTED_PROXIES": PROXY_ADDRESS,
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def _streams(self, name: str) -> dict:
        if self.output is None:
            return {}
        log = open(self.output / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        return {"stdout": log, "stderr": subprocess.STDOUT}

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        process = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn, haproxy
            command, cwd=ROOT, env={**self.environment(), **(env or {})},
            stdin=subprocess.DEVNULL, **self._streams(name),
        )
        self._processes.append((name, process))

    def _manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.environment(),
            check=True, stdin=subprocess.DEVNULL, **self._streams("manage"),
        )

    def _manage_in_background(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.environment(),
            stdin=subprocess.DEVNULL, **self._streams("manage"),
        )

    def _wait(self, what: str, condition, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for name, process in self._processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} "
                                       f"while waiting for {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="HAProxy's port (8080)")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--task-workers", type=int, default=2,
                        help="background task workers (manage.py db_worker)")
    args = parser.parse_args(argv)
    cluster = Cluster(
        database_url=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        cache_url=os.environ.get("CACHE_URL", DEFAULT_CACHE_URL),
        api_url=os.environ.get("FLINKEY_API_URL") or None,
        instances=args.instances, workers=args.workers, threads=args.threads, port=args.port,
        task_workers=args.task_workers,
    )
    # Ctrl-C (SIGINT) and SIGTERM both end the wait below and run the clean-up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with cluster:
            print(f"fleetadmin: {cluster.url}/ (HAProxy, least connections over "
                  f"{', '.join(cluster.instance_urls)})")
            print(f"flinkey API: {cluster.api_url}")
            print("Press Ctrl-C to stop.", flush=True)
            while all(process.poll() is None for _name, process in cluster._processes):
                time.sleep(0.5)
            print("a process of the cluster exited; stopping", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
