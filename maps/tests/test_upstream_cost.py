"""A car that is not the customer's costs one call, not a fan-out (#16, 4).

Before a route or a car's map asks its samples, the car is looked up once (cached); a "not
found" ends there and is remembered briefly; `?ids=` asks only about the fleet's own cars.
"""

import pytest

from config.testing import hx
from fleetadmin.upstream.reach import proven_fleet
from flinkey_sandbox import DEMO
from maps.tests.batches import batch_of

pytestmark = pytest.mark.django_db

ROUTE = "period=24h"  # 290 samples for a car that is there


@pytest.fixture
def proven(manager, flinkey_api):
    """The manager's credentials were proven by an earlier page; the request log is empty."""
    proven_fleet(manager)
    flinkey_api.clear_requests()
    return manager


def test_a_route_of_another_customers_car(proven, manager_client, flinkey_api):
    url = f"/cars/{DEMO.other_car_id}/map/?{ROUTE}"
    response = manager_client.get(url, headers=hx("car-route"))
    assert response.status_code == 404
    assert "This car does not exist or belongs to another customer." in response.content.decode()
    assert flinkey_api.request_count() <= 2
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.other_car_id}/location") == 0
    # Asked again within FLEETADMIN_NOT_FOUND_CACHE_SECONDS: flinkey is not.
    flinkey_api.clear_requests()
    assert manager_client.get(url, headers=hx("car-route")).status_code == 404
    assert flinkey_api.request_count() == 0


def test_the_whole_car_map_of_another_customers_car(proven, manager_client, flinkey_api):
    # A customer out of reach: the car, then the one other reachable customer asked for
    # it (the offer to switch, #20); customers from the proof's kept list. Nothing more.
    response = manager_client.get(f"/cars/{DEMO.hidden_car_id}/map/?{ROUTE}")
    assert response.status_code == 404
    assert "Car not found" in response.content.decode()
    assert flinkey_api.request_count() <= 2


def test_a_cold_start_costs_the_proof_and_one_car_call(manager_client, flinkey_api):
    response = manager_client.get(f"/cars/{DEMO.other_car_id}/map/?{ROUTE}",
                                  headers=hx("car-route"))
    assert response.status_code == 404
    # Token and customers (the proof), then the car: nothing more.
    assert flinkey_api.request_count(path_prefix="/cars") == 1
    assert flinkey_api.request_count() == 3


def test_not_found_is_remembered_only_briefly(proven, manager_client, flinkey_api, settings):
    settings.FLEETADMIN_NOT_FOUND_CACHE_SECONDS = 0  # not at all
    panel = f"/cars/{DEMO.other_car_id}/map/?panel=1"
    for _ in range(2):
        assert manager_client.get(panel, headers=hx("car-map")).status_code == 404
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.other_car_id}") == 2
    settings.FLEETADMIN_NOT_FOUND_CACHE_SECONDS = 30
    flinkey_api.clear_requests()
    for _ in range(3):
        assert manager_client.get(panel, headers=hx("car-map")).status_code == 404
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.other_car_id}") == 1


def test_a_route_of_the_customers_own_car_still_works(proven, manager_client, flinkey_api):
    response = manager_client.get(f"/cars/{DEMO.car_id}/map/?{ROUTE}", headers=hx("car-route"))
    assert response.status_code == 200 and 'id="car-route-data"' in response.content.decode()
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location") > 200
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}", method="GET") - \
        flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/") == 1  # the car, once


def test_retried_ids_are_only_the_fleets_own_cars(proven, manager_client, flinkey_api):
    others = sorted(flinkey_api.store.cars[DEMO.other_customer_id])
    ids = [DEMO.car_id, *others, DEMO.hidden_car_id, 2**40, DEMO.iq_only_car_id]
    body = batch_of(manager_client.get(f"/map/cars/?ids={','.join(map(str, ids))}"))
    assert [car["id"] for car in body["cars"]] == [DEMO.car_id, DEMO.iq_only_car_id]
    assert all(car["state"] == "located" for car in body["cars"])
    # One list call for the fleet's cars, then the two positions: no 404 per foreign id.
    assert flinkey_api.request_count() == 3
    assert flinkey_api.request_count(path_prefix="/cars/", method="GET") == 2
    flinkey_api.clear_requests()
    again = batch_of(manager_client.get(f"/map/cars/?ids={','.join(map(str, others))}"))
    assert again["cars"] == [] and flinkey_api.request_count() == 0  # the list is cached
