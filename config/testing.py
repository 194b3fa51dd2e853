"""pytest fixtures and helpers shared by every test package (loaded by the root conftest).

Django's settings, models and apps are imported inside the fixtures so that the client and
sandbox suites can also run without Django configured (the cache backend class below needs
neither).
"""

import fcntl
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache.backends.redis import RedisCache

from fleetadmin.ops.cache_backend import ResilientRedisCache


class WorkerRedisCache(ResilientRedisCache):
    """The project's Redis cache whose `clear()` removes only its own keys (its KEY_PREFIX).

    Django's `clear()` is FLUSHDB: with the suite on several xdist workers sharing one Redis
    database, one worker's `cache.clear()` would wipe the tokens, proofs and positions
    another worker's test has just cached.
    """

    def clear(self) -> bool:
        self._outage.standin.clear()
        client = self._cache.get_client(None, write=True)
        # The prefix is ours ("xdist-gw0"...) and holds no glob character.
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        return True


def isolate_worker_caches(caches: dict) -> None:
    """Give each xdist worker its own key prefix in every cache (`settings.CACHES`).

    Only the Redis cache is shared between the worker processes (memory caches are per
    process); it gets `WorkerRedisCache`, whose `clear()` stays inside the prefix. Nothing
    changes outside xdist.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    redis_backends = {f"{cls.__module__}.{cls.__qualname__}"
                      for cls in (RedisCache, ResilientRedisCache)}
    for options in caches.values():
        if options["BACKEND"] in redis_backends:
            options["BACKEND"] = f"{WorkerRedisCache.__module__}.{WorkerRedisCache.__qualname__}"
        prefix = options.get("KEY_PREFIX", "")
        options["KEY_PREFIX"] = f"{prefix}-xdist-{worker}" if prefix else f"xdist-{worker}"


def skip_durability(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: this process's test database commits without fsync.

    A test run never survives a power cut, so waiting for the disk on every commit buys it
    nothing; it cost the transactional tests most of their time (the flush after each one
    re-creates content types, permissions and role groups in ~200 autocommitted INSERTs,
    each an fsync on SQLite's file). Only durability changes: locking, isolation and what a
    commit makes visible to other connections and processes stay exactly as in production.
    """
    # On the driver's own connection: a query counted by assertNumQueries would be a surprise.
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA synchronous = OFF")
    elif connection.vendor == "postgresql":
        connection.connection.execute("SET synchronous_commit TO off")


# [(table, its columns, its rows)], as rows_of_every_table reads and insert_rows writes them.
TableRows = list[tuple[str, tuple[str, ...], list[tuple]]]


# (alias, database name) -> what flush + post_migrate left there.
_flush_baselines: dict[tuple[str, str], TableRows] = {}


def restore_baseline_instead_of_post_migrate() -> None:
    """Make a transactional test's teardown copy back the rows post_migrate made once.

    After every transactional test (every browser test, the worker tests) Django flushes
    the database and emits post_migrate, which re-creates content types, permissions and
    role groups query by query: ~200 INSERTs and 1 to 3 s a test on this 2-core machine.
    The rows are the same every time, so the first teardown does exactly that and keeps
    a copy of every table's rows afterwards; later teardowns flush without the signal and
    insert the copy in one transaction. The database each test starts from is unchanged
    (the rows even keep their ids). Anything else (a subset of apps, serialized rollback,
    reset sequences) and any error while restoring take Django's own way.
    """
    from django.test import TransactionTestCase

    if getattr(TransactionTestCase, "_fleetadmin_fast_teardown", False):
        return
    django_teardown = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        if (self.available_apps is not None or self.serialized_rollback
                or self.reset_sequences):
            return django_teardown(self)
        from django.db import connections

        for db_name in self._databases_names(include_mirrors=False):
            connection = connections[db_name]
            key = (db_name, str(connection.settings_dict["NAME"]))
            if key not in _flush_baselines or not _flush_then_restore(db_name, key):
                _flush(db_name, post_migrate=True)
                _flush_baselines[key] = rows_of_every_table(connection)

    TransactionTestCase._fixture_teardown = _fixture_teardown
    TransactionTestCase._fleetadmin_fast_teardown = True


def _flush(db_name: str, *, post_migrate: bool) -> None:
    from django.core.management import call_command

    call_command("flush", verbosity=0, interactive=False, database=db_name,
                 reset_sequences=False, allow_cascade=False,
                 inhibit_post_migrate=not post_migrate)


def rows_of_every_table(connection) -> TableRows:
    """Every row of every table flush empties (the models' tables), table by table; tables
    without rows left out. Ids included: `insert_rows` puts back exactly these rows."""
    tables = connection.introspection.django_table_names(only_existing=True,
                                                         include_views=False)
    found = []
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = cursor.fetchall()
            if rows:
                found.append((table, tuple(column[0] for column in cursor.description),
                              rows))
    return found


def insert_rows(connection, rows: TableRows) -> None:
    """Insert `rows` (from rows_of_every_table) with one executemany a table. Foreign keys
    are checked at the commit (Django creates them DEFERRABLE), so the tables' order does
    not matter."""
    with connection.cursor() as cursor:
        for table, columns, values in rows:
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({names}) "  # noqa: S608
                f"VALUES ({marks})", values)


def _flush_then_restore(db_name: str, key: tuple[str, str]) -> bool:
    """Flush without post_migrate and insert the kept rows; False (nothing kept) on error."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections, transaction

    connection = connections[db_name]
    try:
        _flush(db_name, post_migrate=False)
        with transaction.atomic(using=db_name):
            insert_rows(connection, _flush_baselines[key])
    except Exception:  # noqa: BLE001 - Django's own way below is always right
        del _flush_baselines[key]
        return False
    finally:
        # post_migrate would have cleared it: ids a test cached may be gone.
        ContentType.objects.clear_cache()
    return True


def redis_reachable(url: str) -> bool:
    """True when a Redis server accepts connections at `url`'s host and port (not installed
    by scripts/setup: the tests needing one skip, saying so, where there is none)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def redis_database_to_ourselves(url: str) -> Iterator[None]:
    """Wait until no other test on this machine uses the Redis database `url`, then hold it.

    For the tests that use a fixed Redis database and flush it (the token lock, the cluster):
    a lock on a file in the temporary directory keeps them apart across xdist workers and
    across test runs. (`xdist_group` cannot: pytest-xdist 3.8's loadgroup ignores the mark
    with pytest 9.2, pytest-dev/pytest-xdist#1386.)
    """
    parts = urlsplit(url)
    name = f"fleetadmin-redis-{parts.hostname}-{parts.port or 6379}-{parts.path.strip('/') or 0}"
    with (Path(tempfile.gettempdir()) / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even on a crash
        yield


@pytest.fixture
def flinkey_api(settings, sandbox):
    """Point the dashboard at the test's sandbox (never the embedded one) with a clean cache."""
    from django.core.cache import cache

    settings.FLINKEY_API_URL = sandbox.url
    cache.clear()
    return sandbox


@pytest.fixture(scope="module")
def demo_fleet_sync_rows(django_db_setup, django_db_blocker, sandbox_server):
    """The rows a real full sync of the sandbox's demo fleet writes (make_fleet, then
    fleetstore.sync.full_sync), synced once per test module, and the fleet's id: for tests
    that need a synced store but are not about the sync (fleetstore.tests.snapshot)."""
    from django.core.cache import cache
    from django.test import override_settings

    from fleetstore import sync
    from fleetstore.models import FleetSync
    from fleetstore.tests.conftest import make_fleet
    from fleetstore.tests.snapshot import take_rows

    def build() -> int:
        fleet = make_fleet(sandbox_server.url)
        sync.full_sync(fleet.pk)
        assert FleetSync.objects.get(pk=fleet.pk).synced_at is not None
        return fleet.pk

    sandbox_server.reset()
    with (django_db_blocker.unblock(), override_settings(
            FLINKEY_API_URL=sandbox_server.url, FLEETSTORE_CALLS_PER_MINUTE=1_000_000)):
        rows = take_rows(build)
        cache.clear()  # the sync's token: each test starts with a clean cache as before
    sandbox_server.reset()
    return rows


@pytest.fixture
def synced_demo_fleet(db, flinkey_api, demo_fleet_sync_rows):
    """Call it where a test would make the demo fleet's sync and run a full sync: it copies
    that sync's rows (`demo_fleet_sync_rows`) into the test's transaction and returns the
    fleet (FleetSync)."""

    def put():
        from fleetstore.models import FleetSync
        from fleetstore.tests.snapshot import put_rows

        rows, fleet_pk = demo_fleet_sync_rows
        put_rows(rows)
        return FleetSync.objects.get(pk=fleet_pk)

    return put


def make_user(username, *, role="fleet manager", with_credentials=True, customer=True,
              password="pw-for-tests-1"):
    """Return a user with `role`, by default with sandbox credentials and the demo customer."""
    from django.contrib.auth import get_user_model

    from accounts.roles import assign_role
    from fleetadmin.models import FlinkeyCredentials
    from flinkey_sandbox import DEMO

    user = get_user_model().objects.create_user(username=username, password=password)
    if role:
        assign_role(user, role)
    if with_credentials:
        FlinkeyCredentials.objects.create(
            user=user, api_key=DEMO.api_key, username=DEMO.username, password=DEMO.password,
            customer_id=DEMO.customer_id if customer else None,
            customer_name=DEMO.customer_name if customer else "",
        )
    return user


@pytest.fixture
def manager(db, flinkey_api):
    """A fleet manager whose credentials reach the sandbox's demo customer."""
    return make_user("manager")


@pytest.fixture
def admin(db, flinkey_api):
    """An admin by our roles (not a Django superuser), with credentials like `manager`.

    pytest-django's own `admin_user` is a superuser without any of our roles, a user our role
    checks never see in production; `admin_user` and `admin_client` are overridden below so
    that neither name can hand a test that superuser.
    """
    from accounts.access import ROLE_ADMIN

    return make_user("ada", role=ROLE_ADMIN)


@pytest.fixture
def admin_user(admin):
    """Overrides pytest-django's superuser: the same user as `admin`."""
    return admin


@pytest.fixture
def admin_client(admin):
    """A Django test client of its own, logged in as `admin`.

    Overrides pytest-django's `admin_client`; not the `client` fixture, so that a test can
    use both (an admin and someone else) without one login replacing the other.
    """
    return logged_in(admin)


@pytest.fixture
def support_user(db, flinkey_api):
    """A support user: reads everything, writes nothing."""
    return make_user("support", role="support")


@pytest.fixture
def support_client(support_user):
    """A Django test client of its own, logged in as `support_user`."""
    return logged_in(support_user)


@pytest.fixture
def manager_client(manager):
    """A Django test client of its own, logged in as `manager`."""
    return logged_in(manager)


def logged_in(user, **client_options):
    """Return a new Django test client logged in as `user` (for a second person in a test)."""
    from django.test import Client

    client = Client(**client_options)
    client.force_login(user)
    return client


def hx(target: str | None = None, *, current_url: str | None = None, **extra) -> dict:
    """Headers of an htmx request, aimed at the element with id `target` if given."""
    headers = {"HX-Request": "true"}
    if target is not None:
        headers["HX-Target"] = target
    if current_url is not None:
        headers["HX-Current-URL"] = current_url
    return {**headers, **extra}


def upstream_calls(sandbox, method=None, path_prefix="/cars") -> int:
    """Requests the sandbox saw for cars (the token request never counts)."""
    return sandbox.request_count(method=method, path_prefix=path_prefix)


@pytest.fixture
def demo_car(manager, flinkey_api):
    """The well-known demo car (Box + IQ) as the sandbox serves it; the request log is empty."""
    from fleetadmin.upstream.clients import client_for
    from flinkey_sandbox import DEMO

    car = client_for(manager).get_car(DEMO.car_id)
    flinkey_api.clear_requests()
    return car


# How QA's fault-injecting sandbox makes flinkey fail: every call answered 500, too slow, or
# no connection at all; what a page then shows (fleetadmin.web.problems): status, headline.
FLINKEY_FAILURES = {
    "server error": (502, "flinkey had an internal error."),
    "slow": (504, "flinkey did not answer in time."),
    "refusing connections": (503, "flinkey cannot be reached right now."),
}


def make_flinkey_fail(how: str, sandbox, settings) -> str:
    """Make every flinkey call from now on fail as `how` (a FLINKEY_FAILURES key) says, the
    client's retries without their waits; return the flinkey API URL then in force."""
    settings.FLINKEY_RETRY_BACKOFF_SECONDS = 0
    if how == "server error":
        sandbox.faults.fail_next("/", status=500, count=1000)
    elif how == "slow":
        settings.FLINKEY_READ_TIMEOUT = 0.3
        sandbox.faults.hang_next("/", seconds=2, count=1000)
    else:
        settings.FLINKEY_API_URL = f"http://127.0.0.1:{free_port()}/v3"
    return settings.FLINKEY_API_URL


def free_port() -> int:
    """Return a local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def users_today():
    """Today where a user without a zone of their own is (FLEETADMIN_DEFAULT_TIME_ZONE): what
    their pages call today, which differs from UTC's today for an hour or more a day."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    return timezone.localdate(timezone=ZoneInfo(settings.FLEETADMIN_DEFAULT_TIME_ZONE))


def stamped_between(response, zone: str, since) -> bool:
    """True when the download's file name ends in a time (20261207-200000) between `since`
    and now, read in `zone`: exports name their files by the user's clock, not UTC's."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    stamp = re.search(r'-(\d{8}-\d{6})\.\w+"', response["Content-Disposition"])[1]
    named = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=ZoneInfo(zone))
    return since.replace(microsecond=0) <= named <= timezone.now()


def wait_until(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> object:
    """Poll `condition` until it returns something true, and return that; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not within {timeout} s: {what or condition}")
        time.sleep(0.02)


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Wait until something accepts connections on local `port`."""

    def listening() -> bool:
        with socket.socket() as attempt:
            return attempt.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout, f"something listening on port {port}")


@pytest.fixture(scope="session")
def idp_server():
    """Our own OpenID Connect provider, a real HTTP server, for the whole run."""
    from accounts.tests.oidc_provider import TestIdentityProvider

    with TestIdentityProvider() as provider:
        yield provider


@pytest.fixture
def idp(idp_server, settings):
    """The provider, reset, with fleetadmin's SSO settings pointing at it."""
    from django.core.cache import cache

    idp_server.reset()
    cache.clear()  # the discovery document is cached
    for name, value in idp_server.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "accounts.oidc.OIDCBackend",
    ]
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ADMIN_GROUPS = ["fleet-admins"]
    settings.OIDC_FLEET_MANAGER_GROUPS = ["fleet-managers", "dispatch"]
    settings.OIDC_SUPPORT_GROUPS = ["helpdesk"]
    settings.OIDC_TIMEOUT = 5
    yield idp_server
    idp_server.reset()
