"""What "left open" keeps in the cache: one car list per fleet, small runs, few of them (#16, 5).

Before, every run (every page load) kept the whole car list for 15 minutes, about 0.9 KB a
car: one support user reloading the page added about 1 MB/s to Redis.
"""

import re

import pytest
from django.core.cache import cache

from config.testing import hx, logged_in, make_user
from events import left_open
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def cache_sizes() -> dict[str, int]:
    """Every cache entry's key and stored size in bytes (local memory or Redis)."""
    store = cache._cache
    if isinstance(store, dict):  # LocMemCache: key → pickled value
        return {key: len(value) for key, value in store.items()}
    client = store.get_client(write=False)  # Django's Redis backend
    # Only this process's keys: other test workers share the database (their own prefix).
    match = f"{cache.key_prefix}:*" if cache.key_prefix else None
    return {key.decode(): client.strlen(key) for key in client.scan_iter(match=match)}


def entries(part: str) -> dict[str, int]:
    return {key: size for key, size in cache_sizes().items() if part in key}


def report(client, run, **query):
    url = f"/left-open/?hours=12&run={run}&" + "&".join(f"{k}={v}" for k, v in query.items())
    response = client.get(url, headers=hx("left-open"))
    assert response.status_code == 200
    return response.content.decode()


def events_calls(sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.path.endswith("/events"))


def list_calls(sandbox) -> int:
    return sandbox.request_count(path_prefix="/cars") - sandbox.request_count(path_prefix="/cars/")


def test_a_run_keeps_a_few_bytes_per_car_and_the_car_list_is_shared(manager_client, flinkey_api):
    cars = len(flinkey_api.store.cars[DEMO.customer_id])
    html = report(manager_client, "runone11", all=1)
    assert f"{cars} of {cars} cars checked" in html
    assert f'id="left-open-{DEMO.left_open_car_id}"' in html
    runs = entries("left-open:")
    # A few bytes a car (how many depends on the openings the seeded day holds at this hour
    # of the clock); it was ~0.9 KB a car.
    assert 0 < sum(runs.values()) <= 16 * cars, runs
    assert len(entries("fleet-cars")) == 1

    # A colleague of the same fleet: the car list is not asked again, nor stored twice.
    flinkey_api.clear_requests()
    colleague = logged_in(make_user("colleague", role="support"))
    assert f'id="left-open-{DEMO.left_open_car_id}"' in report(colleague, "runtwo22", all=1)
    assert list_calls(flinkey_api) == 0 and events_calls(flinkey_api) == cars
    assert len(entries("fleet-cars")) == 1


def test_page_loads_never_keep_more_than_a_few_runs(manager_client, flinkey_api):
    for number in range(12):  # twelve page loads, each a run of its own
        report(manager_client, f"reload{number:04d}", upto=10)
    runs = entries("left-open:")
    assert len(runs) <= left_open.MAX_RUNS + 1, runs  # the runs and their index
    assert sum(runs.values()) <= 2000


def test_the_oldest_run_makes_room_and_the_others_go_on(manager_client, flinkey_api):
    runs = [f"tabrun{number:03d}" for number in range(left_open.MAX_RUNS + 1)]
    for run in runs:
        report(manager_client, run, upto=10)
    flinkey_api.clear_requests()
    for run in runs[1:]:  # going on: the ten cars answered are not asked again
        assert "20 of 62 cars checked" in report(manager_client, run, upto=20)
    assert events_calls(flinkey_api) == 10 * left_open.MAX_RUNS
    flinkey_api.clear_requests()
    assert "20 of 62 cars checked" in report(manager_client, runs[0], upto=20)
    assert events_calls(flinkey_api) == 20  # replaced: it starts over


def asked_cars(sandbox) -> set[int]:
    return {int(r.path.split("/")[-2]) for r in sandbox.requests if r.path.endswith("/events")}


def test_a_run_outlives_the_shared_car_list(manager_client, flinkey_api):
    flinkey_api.clear_requests()
    report(manager_client, "longrun1", upto=30)
    first = asked_cars(flinkey_api)
    for key in entries("fleet-cars"):  # the list expired (it is "now", kept briefly)
        cache.delete(key.split(":", 2)[2])
    flinkey_api.store.cars[DEMO.customer_id].pop(DEMO.left_open_car_id)  # deleted meanwhile
    flinkey_api.clear_requests()
    html = report(manager_client, "longrun1", all=1)
    assert "61 of 61 cars checked" in html
    # Listed again once; the run's answers kept: only the cars not asked yet are asked.
    assert list_calls(flinkey_api) == 1
    assert asked_cars(flinkey_api) == set(flinkey_api.store.cars[DEMO.customer_id]) - first
    assert not re.search(rf'id="left-open-{DEMO.left_open_car_id}"', html)
