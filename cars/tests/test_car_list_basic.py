"""The first screen: the chosen customer's cars, read from the sandbox."""

import pytest
from django.urls import reverse

from fleetadmin.testing import make_user

pytestmark = pytest.mark.django_db


def test_the_car_list_shows_the_customers_cars(manager_client, flinkey_api):
    response = manager_client.get(reverse("cars:list"))
    assert response.status_code == 200
    cars = response.context["page"].items
    assert cars
    assert cars[0].name in response.content.decode()


def test_a_user_without_credentials_is_sent_to_settings(client, flinkey_api):
    client.force_login(make_user("newbie", with_credentials=False))
    response = client.get(reverse("cars:list"))
    assert response.status_code == 200
    assert reverse("settings") in response.content.decode()


def test_an_upstream_failure_shows_the_apis_sentence(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, count=5)
    response = manager_client.get(reverse("cars:list"))
    assert response.status_code == 502
    assert "Internal server error." in response.content.decode()
