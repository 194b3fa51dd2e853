"""The shared cache (Redis) is an optimisation: with it unreachable, every page still works.

The cache is configured exactly as CACHE_URL configures it (`fleetadmin.ops.cache_backend.
cache_config`), pointing at a port where nothing listens; the pages are the real views
against the sandbox.
"""

import logging
import re
import threading

import pytest
from django.core.cache import cache

from config.testing import free_port, hx, logged_in
from fleetadmin.ops.cache_backend import cache_config
from flinkey_sandbox import DEMO
from maps.tests.batches import batch_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, flinkey_api):
    """The cache as CACHE_URL=redis://127.0.0.1:<closed port>/0 configures it."""
    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{free_port()}/0")}
    yield cache
    cache.clear()  # the stand-in of this process; the next test starts clean


def pages_of_a_car(car_id: int) -> list[tuple[str, dict]]:
    return [
        (f"/cars/{car_id}/", {}),
        (f"/cars/{car_id}/map/", {}),
        (f"/cars/{car_id}/map/?panel=1", hx("car-map")),
        (f"/cars/{car_id}/map/?period=24h", hx("car-route")),
        (f"/cars/{car_id}/map/?period=7d", hx("car-route")),
        (f"/cars/{car_id}/events/", {}),
    ]


def test_every_page_answers_with_the_cache_unreachable(redis_down, manager):
    client = logged_in(manager)
    pages = [*pages_of_a_car(DEMO.car_id),
             ("/cars/", {}), ("/map/", {}), ("/map/cars/", hx("fleet-next")),
             ("/map/cars/?start=38", hx("fleet-next")), (f"/map/cars/?ids={DEMO.car_id}", hx()),
             ("/left-open/", {}), ("/left-open/?hours=1", hx("left-open")),
             ("/settings/", {})]
    for url, headers in pages:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
    answer = client.get("/map/cars/", headers=hx("fleet-next"))
    assert batch_of(answer)["cars"] and 'data-state="problem"' not in answer.content.decode()


def test_a_new_car_then_its_page_with_the_cache_unreachable(redis_down, manager, flinkey_api):
    client = logged_in(manager)
    form = client.get("/cars/new/").content.decode()
    assert 'name="name"' in form
    response = client.post("/cars/new/", {"name": "Outage van", "license_plate": "B-OU 1"},
                           follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and re.fullmatch(r"/cars/\d+/", response.redirect_chain[-1][0])
    assert "Outage van" in response.content.decode()
    assert flinkey_api.request_count(method="PUT", path_prefix="/cars") == 1  # sent once


def test_tokens_are_shared_within_the_process_while_the_cache_is_down(redis_down, manager,
                                                                     flinkey_api):
    # The token lock falls back to this process: 12 requests at once ask flinkey once.
    from fleetadmin.upstream.clients import client_from, credentials_of

    credentials = credentials_of(manager)
    barrier = threading.Barrier(12)
    results = []

    def request():
        barrier.wait()
        try:
            results.append(len(client_from(credentials).list_cars()))
        except Exception as error:  # reported by the assertion below
            results.append(error)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(result, int) and result > 0 for result in results), results
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1


def test_the_outage_is_logged_once_and_readyz_says_so(redis_down, manager, client, caplog):
    signed_in = logged_in(manager)
    with caplog.at_level(logging.INFO, logger="fleetadmin.ops.cache_backend"):
        for _ in range(3):
            assert signed_in.get(f"/cars/{DEMO.car_id}/map/").status_code == 200
        ready = client.get("/readyz")
    outage_lines = [record for record in caplog.records
                    if record.name == "fleetadmin.ops.cache_backend"]
    assert len(outage_lines) == 1, [record.getMessage() for record in outage_lines]
    assert "cannot be reached" in outage_lines[0].getMessage()
    # Readiness degrades, it does not fail: the pages work, and every instance shares the
    # one Redis, so failing would take every instance out of the load balancer at once.
    assert ready.status_code == 200
    assert ready.json() == {"status": "degraded", "degraded": ["cache"]}


@pytest.fixture
def own_redis(tmp_path):
    """A real redis-server of this test's own on a free port: started, stopped, restarted."""
    import shutil
    import subprocess

    from config.testing import wait_for_port

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: redis-server)")

    class OwnRedis:
        port = free_port()
        process = None

        def start(self):
            command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                       "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
            self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(self.port)

        def stop(self):
            if self.process is not None:
                self.process.terminate()
                self.process.wait(timeout=10)
                self.process = None

    server = OwnRedis()
    yield server
    server.stop()


def test_the_cache_comes_back_and_is_shared_again(own_redis, settings, manager, client,
                                                 flinkey_api, caplog):
    import redis as redis_library

    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{own_redis.port}/0",
                                               retry_seconds=0.2)}
    signed_in = logged_in(manager)
    page = f"/cars/{DEMO.car_id}/map/"
    with caplog.at_level(logging.INFO, logger="fleetadmin.ops.cache_backend"):
        assert signed_in.get(page).status_code == 200  # nothing listens yet
        assert client.get("/readyz").json()["status"] == "degraded"
        own_redis.start()
        import time

        time.sleep(0.3)  # the pause after a failure
        assert signed_in.get(page).status_code == 200
        assert client.get("/readyz").json() == {"status": "ok"}
        stored = redis_library.Redis(port=own_redis.port).keys("*flinkey-token*")
        assert stored, "the token went to Redis once it answered"
        own_redis.stop()
        assert signed_in.get(page).status_code == 200
        assert signed_in.get(page).status_code == 200
    lines = [record.getMessage() for record in caplog.records
             if record.name == "fleetadmin.ops.cache_backend"]
    assert [("cannot be reached" in line, "answers again" in line) for line in lines] == [
        (True, False), (False, True), (True, False)], lines
