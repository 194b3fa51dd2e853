"""The per-user and per-fleet budgets of flinkey calls: hammering stops, others go on.

Against the sandbox, through the real views; on the default cache, on Redis (CACHE_URL, as
CI's second run sets it), and with Redis unreachable (then per process).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache

from config.testing import free_port, hx, logged_in, make_user
from fleetadmin.ops.cache_backend import cache_config
from fleetadmin.upstream import call_budget
from fleetadmin.upstream.clients import client_for
from flinkey_sandbox import DEMO

# Slow: each test starts in a fresh minute of the budget's window (fresh_window), waiting up
# to 20 s for it.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/3"  # this work's own Redis database


@pytest.fixture
def fresh_window():
    """Start at least 20 s before the minute ends: the counts must not reset mid-test."""
    left = call_budget.WINDOW_SECONDS - time.time() % call_budget.WINDOW_SECONDS
    if left < 20:
        time.sleep(left + 0.1)


@pytest.fixture
def small_budgets(settings, fresh_window, flinkey_api):
    settings.FLEETADMIN_USER_CALLS_PER_MINUTE = 100
    settings.FLEETADMIN_FLEET_CALLS_PER_MINUTE = 180
    cache.clear()
    return settings


def demo_car_ids(sandbox) -> list[int]:
    """The demo customer's cars, as the sandbox holds them (asking costs nothing)."""
    return sorted(sandbox.store.cars[DEMO.customer_id])


def hammer(client, ids, *, times: int, day: int = 2) -> list:
    """Ask the positions of `ids` at `times` different past minutes (nothing cached)."""
    answers = []
    moment = datetime(2026, 11, day, 8, 0, tzinfo=UTC)
    for step in range(times):
        at = (moment + timedelta(minutes=step)).strftime("%Y-%m-%dT%H:%M")
        answers.append(client.get(f"/map/cars/?ids={','.join(map(str, ids))}&at={at}",
                                  headers=hx()))
    return answers


def test_a_support_user_hammering_ids_gets_the_429_page_and_others_go_on(
        small_budgets, support_user, flinkey_api):
    support = logged_in(support_user)
    ids = demo_car_ids(flinkey_api)
    answers = hammer(support, ids, times=4)  # 62 calls each
    assert [answer.status_code for answer in answers] == [200, 429, 429, 429]
    problem = answers[-1].content.decode()
    assert "You have made too many requests to flinkey in the last minute." in problem
    assert re.search(r"Try again in \d+ seconds?\.", problem)
    assert "flinkey said" not in problem and 'class="fleet-retry"' in problem
    # Stopped asking: at most the budget went upstream, not 4 × 62.
    sent = flinkey_api.request_count(path_prefix="/cars")
    assert 62 <= sent < 100, sent
    # Its single pages say so too, as a page: 429, in plain words (and in German).
    page = support.get(f"/cars/{DEMO.car_id}/")
    assert page.status_code == 429
    assert "You have made too many requests to flinkey" in page.content.decode()
    german = support.get(f"/cars/{DEMO.car_id}/", headers={"accept-language": "de"})
    assert german.status_code == 429
    assert "zu viele Anfragen an flinkey" in german.content.decode()

    # A fleet manager of the same fleet has a budget of their own, but the fleet's is
    # shared: about 100 of its 180 calls are spent.
    same_fleet = logged_in(make_user("colleague"))
    answers = hammer(same_fleet, ids, times=2, day=3)
    assert [answer.status_code for answer in answers] == [200, 429]
    assert "Your team has made too many" in answers[1].content.decode()
    # Someone of another customer (another fleet) is not affected at all.
    other = make_user("hamburg")
    other.flinkey_credentials.customer_id = DEMO.other_customer_id
    other.flinkey_credentials.save()
    elsewhere = logged_in(other)
    assert elsewhere.get(f"/cars/{DEMO.other_car_id}/").status_code == 200
    assert elsewhere.get("/map/cars/", headers=hx("fleet-next")).status_code == 200


def test_hammering_routes_hits_the_budget(small_budgets, support_user, flinkey_api):
    small_budgets.FLEETADMIN_USER_CALLS_PER_MINUTE = 400
    small_budgets.FLEETADMIN_FLEET_CALLS_PER_MINUTE = 1000
    support = logged_in(support_user)
    statuses = []
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    for day in range(3):  # one day of samples each: 290 calls
        period = (f"from={(start + timedelta(days=day)).strftime('%Y-%m-%dT%H:%M')}"
                  f"&to={(start + timedelta(days=day + 1)).strftime('%Y-%m-%dT%H:%M')}")
        response = support.get(f"/cars/{DEMO.car_id}/map/?{period}", headers=hx("car-route"))
        statuses.append(response.status_code)
        html = response.content.decode()
        if day == 1:  # cut short, and says why
            assert 'id="route-partial"' in html
            assert "You have made too many requests to flinkey in the last minute." in html
    # The first fits, the second is cut short, the third is refused.
    assert statuses == [200, 200, 429], statuses
    assert "You have made too many requests to flinkey in the last minute." in html
    assert flinkey_api.request_count(path_prefix="/cars") <= 400


def test_a_spent_budget_sends_no_write_and_the_audit_says_why(small_budgets, manager,
                                                              flinkey_api):
    from audit.models import AuditEntry

    client = logged_in(manager)
    assert client.get(f"/cars/{DEMO.car_id}/delete/").status_code == 200  # token, car
    name = client_for(manager).get_car(DEMO.car_id).name
    meter = call_budget.meter(user_id=manager.pk, fleet=None)
    meter.charge(meter.left() - 1)  # one call left: the car is read again, not deleted
    flinkey_api.clear_requests()
    # Confirmed as a person does: the car's name typed (cars.retiring).
    response = client.post(f"/cars/{DEMO.car_id}/delete/", {"confirm_name": name})
    assert response.status_code == 429
    assert "Nothing was sent or changed." in response.content.decode()
    assert flinkey_api.request_count(method="GET") == 1
    assert flinkey_api.request_count(method="DELETE") == 0
    entry = AuditEntry.objects.filter(car_id=DEMO.car_id).latest("pk")
    assert entry.outcome == AuditEntry.Outcome.FAILURE
    assert "budget" in entry.message


def test_heavy_use_passes_the_defaults_and_a_runaway_client_does_not(settings, fresh_window):
    from maps.services import sample_plan

    # What the heaviest screens cost: a 1,000-car fleet map (a location per car, a list
    # call per batch of 100 and the count) and a 7-day route, in the same minute.
    now = datetime.now(UTC)
    route = len(sample_plan(start=now - timedelta(days=7), end=now))
    fleet_map = 1000 + 11 + 1
    cache.clear()
    meter = call_budget.meter(user_id=1, fleet=call_budget.fleet("https://x/v3", 7))
    for _ in range(fleet_map + route):
        meter.charge()
    # A runaway client at 1,000 calls a second is stopped within its first 2 seconds
    # (and then for the rest of the minute).
    sent = fleet_map + route
    with pytest.raises(call_budget.CallBudgetSpent) as refused:
        for _ in range(60 * 1000):
            meter.charge()
            sent += 1
    assert sent == settings.FLEETADMIN_USER_CALLS_PER_MINUTE < 2 * 1000 + fleet_map + route
    assert refused.value.scope == "user" and 1 <= refused.value.retry_after <= 60
    assert meter.left() == 0


def test_with_the_cache_unreachable_the_budget_counts_per_process(small_budgets, settings,
                                                                 support_user, flinkey_api):
    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{free_port()}/0")}
    support = logged_in(support_user)
    ids = demo_car_ids(flinkey_api)
    answers = hammer(support, ids, times=3)
    assert [answer.status_code for answer in answers] == [200, 429, 429]
    cache.clear()


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def test_two_instances_share_the_count(settings, fresh_window):
    """Another process (another instance) on the same Redis spends; this one sees it."""
    if not redis_reachable():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = {"default": cache_config(REDIS_URL)}
    settings.FLEETADMIN_USER_CALLS_PER_MINUTE = 0  # only the fleet's counts here
    settings.FLEETADMIN_FLEET_CALLS_PER_MINUTE = 50
    cache.clear()
    fleet = call_budget.fleet("https://api.example/v3", 4242)
    script = (
        "from fleetadmin.upstream import call_budget\n"
        f"meter = call_budget.meter(user_id=None, fleet={fleet!r})\n"
        "for _ in range(30): meter.charge()\n"
        "print(meter.left())\n"
    )
    env = {**os.environ, "CACHE_URL": REDIS_URL, "FLEETADMIN_FLEET_CALLS_PER_MINUTE": "50",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    other = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr[-2000:]
    assert json.loads(other.stdout.strip().splitlines()[-1]) == 20
    here = call_budget.meter(user_id=None, fleet=fleet)
    assert here.left() == 20
    for _ in range(20):
        here.charge()
    with pytest.raises(call_budget.CallBudgetSpent):
        here.charge()
    cache.clear()


def test_a_cache_backend_that_raises_while_down_still_gets_a_per_process_budget(settings,
                                                                              fresh_window):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    settings.FLEETADMIN_USER_CALLS_PER_MINUTE = 10
    meter = call_budget.meter(user_id=987654, fleet=None)
    for _ in range(10):
        meter.charge()
    assert meter.left() == 0
    with pytest.raises(call_budget.CallBudgetSpent):
        meter.charge()


def test_left_open_says_the_budget_stopped_it(small_budgets, support_user, flinkey_api):
    small_budgets.FLEETADMIN_USER_CALLS_PER_MINUTE = 30  # the list, then 29 of 62 cars
    support = logged_in(support_user)
    response = support.get("/left-open/?all=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="left-open-failed"' in html
    assert "You have made too many requests to flinkey in the last minute." in html
    assert flinkey_api.request_count(path_prefix="/cars") <= 30
