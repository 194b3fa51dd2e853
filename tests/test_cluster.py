"""Two instances behind HAProxy: sessions, the flinkey token and the cache are shared; a
lock-out after wrong passwords is per client, not per HAProxy.

Starts the real thing (benchmarks/cluster.py): two gunicorn instances on loopback ports
sharing a PostgreSQL database of this test's own and a Redis database, HAProxy in front
with least connections and health checks. Skipped, with the reason, when PostgreSQL or Redis
is missing; haproxy is installed by scripts/setup --lb (scripts/test), and fails the test when
missing.
"""

import os
import re
import secrets
import shutil
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from benchmarks.cluster import Cluster
from config.testing import redis_database_to_ourselves

DATABASE_SERVER = os.environ.get("CLUSTER_TEST_DATABASE_SERVER",
                                 "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CLUSTER_TEST_CACHE_URL", "redis://127.0.0.1:6379/8")

# Gunicorn instances and HAProxy start once for this module (the tests share them): about
# 10 s on a quiet machine, but 50-70 s of set-up at load 12 (a fresh database migrated, two
# instances booted), and every sign-in hashes a password in production's hasher; past the
# suite's 120 s per test there.
pytestmark = [pytest.mark.slow, pytest.mark.together, pytest.mark.timeout(300)]

# crontask's lock in the shared Redis (the cluster's scheduler holds it while it runs).
SCHEDULER_LOCK_KEY = b"crontask-lock"


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster_database():
    """A fresh PostgreSQL database for this module's cluster, dropped afterwards."""
    if not reachable(DATABASE_SERVER):
        pytest.skip(f"PostgreSQL is not reachable at {DATABASE_SERVER} (the cluster shares it)")
    import psycopg
    from psycopg import sql

    name = f"fleetadmin_cluster_{secrets.token_hex(4)}"
    admin = urlunsplit(urlsplit(DATABASE_SERVER)._replace(scheme="postgresql", path="/postgres"))
    yield f"{DATABASE_SERVER}/{name}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="module")
def cluster_redis():
    """The Redis database the cluster shares, to this module alone (it is flushed)."""
    with redis_database_to_ourselves(REDIS_URL):
        yield REDIS_URL


@pytest.fixture(scope="module")
def running_cluster(cluster_database, cluster_redis, sandbox_server, tmp_path_factory):
    """One cluster for the module's tests (its set-up is most of each test's time)."""
    if shutil.which("haproxy") is None:  # scripts/test installs it: never skipped
        pytest.fail("haproxy is not installed: run scripts/setup --lb (Debian's haproxy)")
    if not reachable(REDIS_URL):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (the cluster shares it)")
    import redis

    output = tmp_path_factory.mktemp("cluster")
    redis.Redis.from_url(REDIS_URL).flushdb()
    running = Cluster(database_url=cluster_database, cache_url=REDIS_URL,
                      api_url=sandbox_server.url, collectstatic=False, output=output,
                      workers=1, threads=2)
    try:
        running.start()
        yield running
    except BaseException:
        for log in sorted(output.glob("*.log")):  # shown with the failure
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        running.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def cluster(running_cluster, sandbox):
    """The module's cluster as each test found a cluster of its own: every instance up
    (one a test stopped is started again), nothing cached in Redis (no flinkey token, no
    page data: only the scheduler's lock stays), the sandbox fresh (`sandbox`) with an
    empty request log."""
    import redis

    running_cluster.restart_instances()
    shared = redis.Redis.from_url(REDIS_URL)
    stale = [key for key in shared.scan_iter() if key != SCHEDULER_LOCK_KEY]
    if stale:
        shared.delete(*stale)
    sandbox.clear_requests()  # only what the browsing below causes
    return running_cluster


def log_in(browser: requests.Session, url: str) -> requests.Response:
    form = browser.get(f"{url}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return browser.post(f"{url}/login/", timeout=30, allow_redirects=False, data={
        "csrfmiddlewaretoken": token, "username": "demo", "password": "flinkey-demo",
    })


def test_a_session_and_a_token_serve_both_instances(cluster, sandbox):
    browser = requests.Session()
    answer = log_in(browser, cluster.url)  # the form from one instance, the POST to the other
    assert answer.status_code == 302, answer.text[:500]
    assert urlsplit(answer.headers["Location"]).path == "/"

    served_by = []
    for _ in range(6):
        page = browser.get(f"{cluster.url}/cars/", timeout=20, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]  # signed in on either instance
        assert "<table" in page.text
        served_by.append(page.headers["X-Fleetadmin-Instance"])
        # HAProxy's request id reached the instance and came back.
        assert re.fullmatch(r"[0-9a-f-]{36}", page.headers["X-Request-ID"])
    assert set(served_by) == {"web-1", "web-2"}, served_by

    # One instance fetched the token; the other found it in the shared cache.
    assert sandbox.request_count(path_prefix="/oauth2/token") == 1
    assert sandbox.request_count(method="GET", path_prefix="/cars") >= 6
    for url in cluster.instance_urls:
        assert requests.get(f"{url}/readyz", timeout=5).json() == {"status": "ok"}


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from one loopback address: a client of its own, as HAProxy sees it."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser_from(address: str) -> requests.Session:
    browser = requests.Session()
    browser.mount("http://", FromAddress(address))
    return browser


def sign_in(browser: requests.Session, url: str, password: str, **headers) -> int:
    form = browser.get(f"{url}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return browser.post(f"{url}/login/", timeout=30, allow_redirects=False, headers=headers,
                        data={"csrfmiddlewaretoken": token, "username": "demo",
                              "password": password}).status_code


def test_a_client_locked_out_through_haproxy_does_not_lock_out_the_others(cluster):
    guesser, colleague = browser_from("127.0.0.3"), browser_from("127.0.0.4")
    # Five wrong passwords: the fifth locks this client out (the form again before that).
    assert [sign_in(guesser, cluster.url, "wrong") for _ in range(5)] == [200] * 4 + [429]
    assert sign_in(guesser, cluster.url, "flinkey-demo") == 429
    # Naming another address does not help: HAProxy replaces the client's X-Forwarded-For.
    assert sign_in(guesser, cluster.url, "flinkey-demo", **{"X-Forwarded-For": "127.0.0.4"}) == 429
    # Nor does going around HAProxy to an instance (which believes the header only from
    # HAProxy's own 127.0.0.2): a new made-up address per try is still counted as one.
    direct = browser_from("127.0.0.5")
    tries = [sign_in(direct, cluster.instance_urls[0], "wrong",
                     **{"X-Forwarded-For": f"10.0.0.{attempt}"}) for attempt in range(5)]
    assert tries == [200] * 4 + [429]
    # Everyone else still signs in, through HAProxy.
    assert sign_in(colleague, cluster.url, "flinkey-demo") == 302


def test_an_instance_going_away_costs_no_request_and_none_left_is_our_page(cluster):
    # Last in the module: it stops both instances, and a test after it would wait for them
    # to start again (the `cluster` fixture restarts them).
    browser = requests.Session()
    assert log_in(browser, cluster.url).status_code == 302
    cluster.stop_instance("web-1")
    # HAProxy has not noticed yet (checks every 2 s, out after 4 misses): a refused
    # connection is retried on the other instance, the POST of a sign-in included.
    assert log_in(requests.Session(), cluster.url).status_code == 302
    for _ in range(4):
        page = browser.get(f"{cluster.url}/cars/", timeout=20, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]
        assert page.headers["X-Fleetadmin-Instance"] == "web-2"

    cluster.stop_instance("web-2")
    page = browser.get(f"{cluster.url}/cars/", timeout=20, allow_redirects=False)
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "10"
    assert 'id="lb-unavailable"' in page.text  # our page, not HAProxy's
    assert "nothing was saved or changed" in page.text
