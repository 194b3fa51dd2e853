"""A car's page and its lazily loaded devices panel."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from config.testing import hx
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def detail_url(car_id, query=""):
    return f"/cars/{car_id}/" + (f"?{query}" if query else "")


def products_url(car_id):
    return f"/cars/{car_id}/products/"


def set_service_ends(sandbox, car_id, *moments):
    products = sandbox.store.products[car_id]
    sandbox.store.products[car_id] = tuple(
        {**product, "dongleTerminationTimeStamp": moment}
        for product, moment in zip(products, moments, strict=True)
    )


def test_the_page_shows_the_car_and_defers_the_devices(manager_client, flinkey_api, demo_car):
    response = manager_client.get(detail_url(demo_car.id))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 id="car-title">{demo_car.name}</h1>' in html
    assert demo_car.vin in html and demo_car.license_plate in html
    assert f'hx-get="/cars/{demo_car.id}/products/" hx-trigger="load"' in html
    assert "Loading devices…" in html
    # One slow device call never blocks the page: the page does not make it.
    assert flinkey_api.request_count(path_prefix=f"/cars/{demo_car.id}/products") == 0


def test_the_way_back_keeps_the_lists_state(manager_client, flinkey_api, demo_car):
    html = manager_client.get(detail_url(demo_car.id, "q=m-&sort=-brand&page=2")).content.decode()
    assert 'href="/cars/?q=m-&amp;sort=-brand&amp;page=2" id="car-back"' in html
    edit = f"/cars/{demo_car.id}/edit/?q=m-&amp;sort=-brand&amp;page=2&amp;from=detail"
    assert f'href="{edit}"' in html


def test_the_devices_fragment(manager_client, flinkey_api, demo_car):
    response = manager_client.get(products_url(demo_car.id), headers=hx("car-products"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="car-products"')
    assert "hx-trigger" not in html
    assert "flinkey Box" in html and "flinkey IQ" in html
    for product in flinkey_api.store.products[demo_car.id]:
        assert product["serialNumber"] in html
        assert product["sapNumber"] in html
        assert product["uniqueId"] in html
    assert html.index("flinkey Box") < html.index("flinkey IQ")


def test_service_ends_show_in_the_users_time_zone(manager, manager_client, flinkey_api,
                                                  demo_car):
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": "America/New_York"})
    set_service_ends(flinkey_api, demo_car.id, "2031-01-15T03:30:00Z", None)
    html = manager_client.get(products_url(demo_car.id), headers=hx("car-products"))
    html = html.content.decode()
    assert "2031-01-14 22:30 EST" in html  # 03:30 UTC is the evening before in New York
    assert "not set" in html
    assert "Times in America/New_York." in html


def test_ending_and_ended_services_are_highlighted(manager_client, flinkey_api, demo_car):
    now = datetime.now(UTC)
    soon = (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    past = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    set_service_ends(flinkey_api, demo_car.id, soon, past)
    html = manager_client.get(products_url(demo_car.id), headers=hx("car-products"))
    html = html.content.decode()
    assert 'class="device device-ending"' in html and "Ends in" in html
    assert 'class="device device-ended"' in html and "Ended 3" in html


def test_a_distant_service_end_is_not_highlighted(manager_client, flinkey_api, demo_car):
    later = (timezone.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    set_service_ends(flinkey_api, demo_car.id, later, later)
    html = manager_client.get(products_url(demo_car.id), headers=hx("car-products"))
    html = html.content.decode()
    assert html.count('class="device device-active"') == 2
    assert "service-ending" not in html and "service-ended" not in html


def test_a_car_without_devices_is_an_empty_state(manager_client, flinkey_api):
    response = manager_client.get(products_url(DEMO.bare_car_id), headers=hx("car-products"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No products are assigned to this car." in html
    assert 'class="empty"' in html and "alert" not in html


def test_a_device_failure_stays_in_the_panel(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next(f"/cars/{demo_car.id}/products", status=500, count=3)
    response = manager_client.get(products_url(demo_car.id), headers=hx("car-products"))
    html = response.content.decode()
    assert response.status_code == 502
    assert html.lstrip().startswith('<section id="car-products"')
    assert "The devices could not be loaded. flinkey had an internal error." in html
    assert f'hx-get="/cars/{demo_car.id}/products/"' in html  # try again


def test_without_js_the_devices_come_with_the_page(manager_client, flinkey_api, demo_car):
    response = manager_client.get(products_url(demo_car.id) + "?q=m-")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert demo_car.name in html and "flinkey IQ" in html
    assert 'href="/cars/?q=m-" id="car-back"' in html


def test_a_missing_car(manager_client, flinkey_api):
    response = manager_client.get(detail_url(999999))
    html = response.content.decode()
    assert response.status_code == 404
    assert "Car not found" in html and "may have been deleted by someone else" in html


def test_a_car_of_another_customer_is_not_found(manager_client, flinkey_api):
    assert manager_client.get(detail_url(DEMO.hidden_car_id)).status_code == 404


def test_a_failure_loading_the_car(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next("/cars", status=500, count=3)
    response = manager_client.get(detail_url(demo_car.id))
    assert response.status_code == 502
    assert "Internal server error." in response.content.decode()


def test_support_sees_the_car_without_write_controls(support_client, flinkey_api):
    html = support_client.get(detail_url(DEMO.car_id)).content.decode()
    assert 'id="car-title"' in html
    assert "/edit/" not in html and "/delete/" not in html


def test_hostile_names_on_the_car_page(manager_client, flinkey_api):
    car = next(c for c in flinkey_api.store.cars[DEMO.customer_id].values()
               if c["name"].startswith("Testwagen"))
    html = manager_client.get(detail_url(car["id"])).content.decode()
    assert "<img src=x" not in html
    assert "Testwagen &lt;img src=x onerror=alert(1)&gt;" in html
