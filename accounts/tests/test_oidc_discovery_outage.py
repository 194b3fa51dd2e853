"""A hanging identity provider cannot tie up the workers.

The discovery document is fetched with a short timeout, a failure is remembered briefly,
and while one request of a process fetches, the others wait for that fetch (no longer
than its timeout) instead of fetching too.
"""

import contextlib
import socket
import threading
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import oidc
from audit.models import AuditEntry


@pytest.fixture
def hanging_provider(settings):
    """An address that accepts connections and never answers; counts the connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except OSError:
                continue
            accepted.append(connection)  # held open, never answered

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host, port = server.getsockname()
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = f"http://{host}:{port}"
    for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                 "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
        setattr(settings, name, "")
    settings.OIDC_RP_CLIENT_ID = "fleetadmin"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_TIMEOUT = 10
    # Each fetch from this provider waits this long: short, so that tests whose point is
    # not the waiting wait little (a test about the wait sets its own).
    settings.OIDC_DISCOVERY_TIMEOUT = 0.5
    cache.clear()
    yield accepted
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    server.close()
    cache.clear()


def test_discovery_uses_its_own_short_timeout(hanging_provider):
    started = time.monotonic()
    with pytest.raises(oidc.DiscoveryError):
        oidc.discovery()
    assert time.monotonic() - started < 2.5


def test_a_failure_is_remembered_briefly(hanging_provider, settings):
    with pytest.raises(oidc.DiscoveryError):  # the fixture's short timeout: 0.5 s
        oidc.discovery()
    # A fetch now would wait 3 s: five are told at once, without a fetch.
    settings.OIDC_DISCOVERY_TIMEOUT = 3
    started = time.monotonic()
    for _attempt in range(5):
        with pytest.raises(oidc.DiscoveryError):
            oidc.discovery()
    assert time.monotonic() - started < 2  # told at once, not after a 3 s timeout
    assert len(hanging_provider) == 1
    # After the pause, the provider is asked again (waiting the short timeout once more).
    settings.OIDC_DISCOVERY_TIMEOUT = 0.5
    cache.delete(oidc.discovery_failure_key())
    with pytest.raises(oidc.DiscoveryError):
        oidc.discovery()
    assert len(hanging_provider) == 2


def test_concurrent_requests_wait_for_one_fetch_only(hanging_provider, settings):
    settings.OIDC_DISCOVERY_TIMEOUT = 1.5
    durations = []

    def sign_in_attempt():
        started = time.monotonic()
        with contextlib.suppress(oidc.DiscoveryError):
            oidc.discovery()
        durations.append(time.monotonic() - started)

    threads = [threading.Thread(target=sign_in_attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(durations) == 8
    assert len(hanging_provider) == 1
    # The other seven waited for that one fetch (at most its timeout, 1.5 s, plus a second)
    # and then learnt its failure: nobody waited for a fetch of their own, which would add
    # up to 12 s one after the other.
    assert max(durations) < 8


@pytest.mark.django_db
def test_the_login_page_says_the_provider_cannot_be_reached(client, hanging_provider):
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "sign-in provider cannot be reached" in page
    # Only the request that really asked the provider is on record, not every visitor.
    for _attempt in range(5):
        client.get(reverse("oidc_authentication_init"))
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 1


def test_simultaneous_clicks_on_a_cold_cache_wait_for_the_one_fetch(idp, settings):
    """Eight SSO clicks at once while nobody has the discovery document yet, provider slow.

    All eight are sent to the provider's login; the provider is asked for discovery once.
    (No database: starting a sign-in writes nothing.)
    """
    from django.test import Client

    settings.OIDC_DISCOVERY_TIMEOUT = 3.0
    idp.discovery_delay = 0.6
    barrier = threading.Barrier(8)
    locations, errors = [], []

    def click():
        try:
            client = Client()
            barrier.wait(timeout=10)
            locations.append(client.get(reverse("oidc_authentication_init"))["Location"])
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert len(locations) == 8
    assert all(location.startswith(idp.issuer + "/authorize?") for location in locations), (
        locations)
    assert idp.requests.count(("GET", "/.well-known/openid-configuration")) == 1
