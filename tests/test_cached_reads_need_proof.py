"""Nothing cached from flinkey reaches a person whose own credentials flinkey refuses (#16, 1).

Someone with the right password warms every cache (the fleet map's list pages and count,
positions now and at a past moment, a route, "left open"); then someone with the same API
key, username and customer but a WRONG password opens the same screens. flinkey refuses
them, so they must see the set-up problem and none of the fleet: no car names, plates,
positions or routes. Also run on PostgreSQL + Redis (see the README's "Tests").
"""

import json
import re
from datetime import timedelta

import pytest

from config.testing import hx, logged_in, make_user
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

WRONG = "not-the-" + DEMO.password


def moment(sandbox, days: float) -> str:
    return (sandbox.anchor - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def screens(sandbox) -> dict[str, tuple[str, str | None]]:
    """Every screen that serves cached flinkey answers: name → (URL, htmx target)."""
    past, route_from, route_to = moment(sandbox, 2), moment(sandbox, 3), moment(sandbox, 2)
    car = f"/cars/{DEMO.car_id}/map/"
    return {
        "fleet map, first batch (list page, count, positions now)": ("/map/cars/", "fleet-next"),
        "fleet map, second batch (list page)": ("/map/cars/?start=38", "fleet-next"),
        "fleet map at a past moment": (f"/map/cars/?at={past}", "fleet-next"),
        "fleet map, failed cars asked again": (f"/map/cars/?ids={DEMO.car_id}", None),
        "car map, now": (f"{car}?panel=1", "car-map"),
        "car map, past moment": (f"{car}?at={past}", "car-map"),
        "route": (f"{car}?from={route_from}&to={route_to}", "car-route"),
    }


def fleet_secrets(sandbox) -> list[str]:
    """Names and plates of the customer's cars as the pages would write them."""
    cars = sandbox.store.cars[DEMO.customer_id].values()
    texts = {car["name"] for car in cars} | {car["licensePlate"] for car in cars
                                                if car.get("licensePlate")}
    # As JSON writes them (the batch answers) and plain (names without quotes or &).
    return sorted(json.dumps(text)[1:-1] for text in texts if len(text) > 3)


def leaks(body: str, secrets: list[str]) -> list[str]:
    found = [secret for secret in secrets if secret in body]
    if re.search(r'"lat":\s*-?\d', body) or re.search(r'"points":\s*\[\[', body):
        found.append("a position")
    if re.search(r'<tr id="left-open-\d+"', body):
        found.append("a left-open row")
    return found


def get(client, url, target):
    return client.get(url, headers=hx(target) if target else {})


@pytest.fixture
def warmed(manager_client, flinkey_api, settings):
    """The manager (right password) has opened every screen: the caches hold the fleet."""
    settings.FLEETADMIN_MAP_BATCH_SIZE = 100
    settings.FLEETADMIN_FANOUT_CONCURRENCY = 8  # first batch: 38 cars
    secrets = fleet_secrets(flinkey_api)
    for name, (url, target) in screens(flinkey_api).items():
        response = get(manager_client, url, target)
        assert response.status_code == 200, name
        assert leaks(response.content.decode(), secrets), f"{name} shows nothing to protect"
    return secrets


def test_a_wrong_password_reads_nothing_the_right_one_cached(warmed, flinkey_api):
    intruder = make_user("intruder")
    intruder.flinkey_credentials.password = WRONG
    intruder.flinkey_credentials.save()
    browser = logged_in(intruder)
    flinkey_api.clear_requests()
    seen = {}
    for name, (url, target) in screens(flinkey_api).items():
        response = get(browser, url, target)
        body = response.content.decode()
        seen[name] = (response.status_code, "flinkey refused your API manager" in body,
                      leaks(body, warmed)[:3])
    assert seen == {name: (409, True, []) for name in seen}
    # flinkey was asked (and refused the password); no car call went out.
    assert flinkey_api.request_count(path_prefix="/oauth2/token") >= 1
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_password_changed_to_a_wrong_one_reads_nothing_either(warmed, manager, flinkey_api):
    # The same person, whose stored password is now wrong (typed wrongly, or rotated at
    # flinkey and re-entered): their own earlier answers are not theirs to read any more.
    manager.flinkey_credentials.password = WRONG
    manager.flinkey_credentials.save()
    browser = logged_in(manager)
    seen = {}
    for name, (url, target) in screens(flinkey_api).items():
        response = get(browser, url, target)
        seen[name] = (response.status_code, leaks(response.content.decode(), warmed)[:3])
    assert seen == {name: (409, []) for name in seen}


def left_open_report(client, url):
    """Follow "left open" batch by batch (as the page's htmx does); return the last HTML."""
    response = client.get(url)
    body = response.content.decode()
    for _ in range(20):
        found = re.search(r'<div id="left-open"[^>]*hx-get="([^"]+)"', body)
        if not found:
            return response.status_code, body
        response = client.get(found[1].replace("&amp;", "&"), headers=hx("left-open"))
        body = response.content.decode()
    raise AssertionError("the report never finished")


def test_left_open_reads_nothing_with_a_wrong_password(manager, manager_client, flinkey_api):
    secrets = fleet_secrets(flinkey_api)
    status, body = left_open_report(manager_client, "/left-open/?hours=12&run=rightrun1")
    assert status == 200 and f'id="left-open-{DEMO.left_open_car_id}"' in body
    assert leaks(body, secrets)

    intruder = make_user("intruder")
    intruder.flinkey_credentials.password = WRONG
    intruder.flinkey_credentials.save()
    seen = {}
    for run in ("rightrun1", "otherrun1"):
        status, body = left_open_report(logged_in(intruder), f"/left-open/?hours=12&run={run}")
        seen[f"intruder, run {run}"] = (status, leaks(body, secrets)[:3])

    # The manager's own run, continued after their password went wrong: nothing of it.
    manager.flinkey_credentials.password = WRONG
    manager.flinkey_credentials.save()
    for url in ("/left-open/?hours=12&run=rightrun1&upto=100",
                "/left-open/?hours=12&run=rightrun1&all=1"):
        response = manager_client.get(url, headers=hx("left-open"))
        seen[f"manager, {url}"] = (response.status_code, leaks(response.content.decode(),
                                                               secrets)[:3])
    assert seen == {name: (409, []) for name in seen}
