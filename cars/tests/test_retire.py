"""Retiring one car: the confirmation names the Box/IQ it carries and wants its name typed."""

import html as html_lib

import pytest

from audit.models import AuditEntry
from config.testing import hx
from fleetadmin.upstream.clients import client_for
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

HOSTILE = "Testwagen <img src=x onerror=alert(1)>"


def delete_url(car_id, query=""):
    return f"/cars/{car_id}/delete/" + (f"?{query}" if query else "")


def exists(sandbox, car_id):
    return car_id in sandbox.store.cars[DEMO.customer_id]


def hostile_car_id(sandbox):
    return next(car_id for car_id, car in sandbox.store.cars[DEMO.customer_id].items()
                if car["name"] == HOSTILE)


@pytest.mark.parametrize("headers", [{}, hx("dialog")])
def test_the_confirmation_names_the_box_and_iq_it_carries(manager_client, manager, flinkey_api,
                                                           demo_car, headers):
    products = client_for(manager).list_products(DEMO.car_id)
    flinkey_api.clear_requests()
    response = manager_client.get(delete_url(demo_car.id), headers=headers)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This car still carries these devices:" in page
    for product in products:
        assert (f'{product.type}, serial number <span class="mono nowrap">'
                f"{product.serial_number}</span>") in page
    # One products call, besides the car itself.
    assert flinkey_api.request_count(path_prefix=f"/cars/{demo_car.id}/products") == 1


def test_a_car_without_devices_gets_no_warning(manager_client, flinkey_api):
    page = manager_client.get(delete_url(DEMO.bare_car_id)).content.decode()
    assert "still carries" not in page and "could not be checked" not in page
    assert 'name="confirm_name"' in page


def test_devices_that_cannot_be_checked_are_said_and_deleting_still_works(
        manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next(f"/cars/{demo_car.id}/products", status=500, count=10,
                                 method="GET")
    response = manager_client.get(delete_url(demo_car.id), headers=hx("dialog"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Its devices could not be checked" in page
    assert 'name="confirm_name"' in page
    response = manager_client.post(delete_url(demo_car.id), {"confirm_name": demo_car.name})
    assert response.status_code == 302 and not exists(flinkey_api, demo_car.id)


@pytest.mark.parametrize("typed", [None, "", "  ", "golf", "wrong name"])
def test_deleting_needs_the_name_typed(manager_client, flinkey_api, demo_car, typed):
    data = {} if typed is None else {"confirm_name": typed}
    response = manager_client.post(delete_url(demo_car.id), data, headers=hx("dialog"))
    page = response.content.decode()
    assert response.status_code == 422
    assert html_lib.escape("Type the car's name exactly as shown to delete it. Nothing was "
                           "deleted.") in page
    if typed:
        assert f'value="{typed}"' in page  # what was typed is kept
    assert exists(flinkey_api, demo_car.id)
    assert flinkey_api.request_count(method="DELETE") == 0
    assert not AuditEntry.objects.filter(action="car.delete").exists()


def test_a_wrong_name_without_js_is_the_page_again(manager_client, flinkey_api, demo_car):
    response = manager_client.post(delete_url(demo_car.id, "q=m-"), {"confirm_name": "nope"})
    page = response.content.decode()
    assert response.status_code == 422 and "<html" in page
    assert 'value="nope"' in page and exists(flinkey_api, demo_car.id)


def test_the_name_is_compared_after_trimming_only(manager_client, flinkey_api, demo_car):
    response = manager_client.post(delete_url(demo_car.id),
                                   {"confirm_name": f"  {demo_car.name}\t"})
    assert response.status_code == 302 and not exists(flinkey_api, demo_car.id)


def test_a_hostile_name_stays_text_in_the_confirmation(manager_client, flinkey_api):
    car_id = hostile_car_id(flinkey_api)
    response = manager_client.get(delete_url(car_id), headers=hx("dialog"))
    page = response.content.decode()
    assert "<img src=x" not in page
    assert f'data-confirm-expected="{html_lib.escape(HOSTILE)}"' in page
    response = manager_client.post(delete_url(car_id), {"confirm_name": HOSTILE})
    assert response.status_code == 302 and not exists(flinkey_api, car_id)
