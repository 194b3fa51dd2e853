"""Fixtures shared by every test package: the flinkey sandbox, a real HTTP server."""

import pytest

from flinkey_sandbox import Sandbox

pytest_plugins = ["config.testing"]


def pytest_configure(config):
    if config.pluginmanager.hasplugin("django"):
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from config.testing import (
            isolate_worker_caches,
            restore_baseline_instead_of_post_migrate,
            skip_durability,
        )

        # The test client and the live server speak plain HTTP; production's HTTPS
        # redirect would send every request away. Every other production default stays
        # on (fleetadmin/tests/test_deploy.py checks the real ones in a fresh process).
        settings.SECURE_SSL_REDIRECT = False
        # Password hashing is made slow on purpose; tests create users by the dozen and
        # check no hash's strength (each user cost 1.2 s with the production hasher).
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # scripts/test runs the suite on several xdist workers; PostgreSQL gets a test
        # database per worker from pytest-django, Redis a key prefix per worker from us.
        isolate_worker_caches(settings.CACHES)
        # The test database's commits skip the fsync (config.testing.skip_durability).
        connection_created.connect(skip_durability, dispatch_uid="fleetadmin-skip-durability")
        # A transactional test's teardown copies back post_migrate's rows instead of
        # emitting it again (config.testing.restore_baseline_instead_of_post_migrate).
        restore_baseline_instead_of_post_migrate()


# Where each run leaves the durations of its slow tests for the next run's order.
DURATIONS_KEY = "fleetadmin/durations"
# A test that took this long (set-up, call and teardown) is started first next time.
SLOW_SECONDS = 1.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Start the longest tests first, so that no worker idles at the end.

    pytest-xdist hands out tests in this order (each worker steals from the other when it
    runs dry); a test of a minute started last keeps one worker busy while the other has
    nothing left. The order comes from the previous run's durations (pytest's cache), or
    the `slow` mark on a first run. Every other test keeps pytest-django's order.
    """
    cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    known = cache.get(DURATIONS_KEY, {}) if cache is not None else {}

    def cost(item) -> float:
        if item.nodeid in known:
            return known[item.nodeid]
        return SLOW_SECONDS if item.get_closest_marker("slow") else 0.0

    # A module marked `together` shares a set-up of its own (tests/test_cluster.py: one
    # cluster): its tests move as one, by their summed cost, in file order, so that they
    # stay one after the other (--dist worksteal hands out contiguous runs of this order).
    def module_of(item) -> str:
        return item.nodeid.split("::")[0]

    together: dict[str, float] = {}
    for item in items:
        if item.get_closest_marker("together"):
            together[module_of(item)] = together.get(module_of(item), 0.0) + cost(item)

    def key(item) -> float:
        seconds = together.get(module_of(item), cost(item))
        return -seconds if seconds >= SLOW_SECONDS else 0.0

    items.sort(key=key)


_durations: dict[str, float] = {}


def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    """Keep this run's slow tests (on the xdist controller, or a run without xdist)."""
    config = session.config
    if getattr(config, "cache", None) is None or hasattr(config, "workerinput") or not _durations:
        return
    known = config.cache.get(DURATIONS_KEY, {})
    for nodeid, seconds in _durations.items():
        if seconds >= SLOW_SECONDS:
            known[nodeid] = round(seconds, 2)
        else:
            known.pop(nodeid, None)
    config.cache.set(DURATIONS_KEY, known)


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox server for the whole run; tests get it reset through `sandbox`."""
    with Sandbox() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox in its seeded state, with no faults and an empty request log."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()
