"""Fixtures shared by every test package: the flinkey sandbox, a real HTTP server."""

import pytest

from flinkey_sandbox import Sandbox

pytest_plugins = ["config.testing"]


def pytest_configure(config):
    if config.pluginmanager.hasplugin("django"):
        from django.conf import settings

        from config.testing import isolate_worker_caches

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
