"""The settings page: write-only secrets, test connection, choosing the customer."""

import pytest
from django.urls import reverse

from config.testing import hx, make_user
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer_client(client, flinkey_api):
    client.force_login(make_user("newcomer", with_credentials=False))
    return client


def save(client, **fields):
    data = {"api_key": "", "username": "", "password": "", **fields}
    return client.post(reverse("settings"), data)


def test_login_required(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_saving_credentials_stores_them_and_never_shows_the_secrets(newcomer_client):
    response = save(newcomer_client, api_key=DEMO.api_key, username=DEMO.username,
                    password=DEMO.password)
    assert response.status_code == 302

    page = newcomer_client.get(reverse("settings")).content.decode()
    assert DEMO.api_key not in page
    assert DEMO.password not in page
    assert "A value is stored" in page
    stored = FlinkeyCredentials.objects.get(user__username="newcomer")
    assert (stored.api_key, stored.password) == (DEMO.api_key, DEMO.password)


def test_blank_secrets_keep_the_stored_ones(manager_client, manager):
    response = save(manager_client, username=DEMO.username)
    assert response.status_code == 302
    stored = FlinkeyCredentials.objects.get(user=manager)
    assert (stored.api_key, stored.password) == (DEMO.api_key, DEMO.password)


def test_first_save_requires_every_field_and_keeps_what_was_typed(newcomer_client):
    response = save(newcomer_client, username="typed-name@example.com")
    assert response.status_code == 400
    page = response.content.decode()
    assert "typed-name@example.com" in page
    assert page.count("This field is required.") == 2
    assert not FlinkeyCredentials.objects.exists()


def test_test_connection_lists_the_customers(manager_client):
    response = manager_client.post(reverse("test-connection"), headers=hx("connection"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="connection"' in page
    assert "<html" not in page  # a fragment for htmx, not the page
    assert str(DEMO.customer_id) in page and str(DEMO.other_customer_id) in page


def test_test_connection_reports_a_wrong_api_key_with_the_apis_sentence(manager_client, manager):
    credentials = FlinkeyCredentials.objects.get(user=manager)
    credentials.api_key = "wrong-key"
    credentials.save()
    response = manager_client.post(reverse("test-connection"), headers=hx("connection"))
    page = response.content.decode()
    assert "invalid subscription key" in page
    assert "Check the API key on the Settings page." in page
    assert "wrong-key" not in page


def test_test_connection_reports_a_wrong_password(manager_client, manager):
    credentials = FlinkeyCredentials.objects.get(user=manager)
    credentials.password = "not-the-password"
    credentials.save()
    response = manager_client.post(reverse("test-connection"))
    page = response.content.decode()
    assert response.status_code == 409  # a set-up problem, like every other one
    assert "username or password" in page and "Settings page" in page
    assert "not-the-password" not in page


def test_choosing_a_customer_stores_it(manager_client, manager):
    response = manager_client.post(reverse("choose-customer"),
                                   {"customer_id": DEMO.other_customer_id})
    assert response.status_code == 302
    stored = FlinkeyCredentials.objects.get(user=manager)
    assert stored.customer_id == DEMO.other_customer_id
    assert stored.customer_name


def test_choosing_a_customer_the_manager_cannot_reach_is_refused(manager_client, manager):
    response = manager_client.post(reverse("choose-customer"), {"customer_id": 999999})
    assert response.status_code == 400
    assert FlinkeyCredentials.objects.get(user=manager).customer_id == DEMO.customer_id


def test_preferences_store_the_time_zone(manager_client, manager):
    response = manager_client.post(reverse("save-preferences"), {"time_zone": "America/New_York"})
    assert response.status_code == 302
    assert manager.preferences.time_zone == "America/New_York"


def test_an_unknown_time_zone_is_refused(manager_client):
    response = manager_client.post(reverse("save-preferences"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400


def test_the_time_zone_picker_is_grouped_by_region_with_the_current_zone_selected(
        manager_client, manager):
    manager_client.post(reverse("save-preferences"),
                        {"time_zone": "America/Argentina/Buenos_Aires"})
    page = manager_client.get(reverse("settings")).content.decode()
    picker = page.split('name="time_zone"', 1)[1].split("</select>", 1)[0]
    europe = picker.split('<optgroup label="Europe">', 1)[1].split("</optgroup>", 1)[0]
    assert '<option value="Europe/Berlin">Berlin</option>' in europe
    america = picker.split('<optgroup label="America">', 1)[1].split("</optgroup>", 1)[0]
    assert ('<option value="America/Argentina/Buenos_Aires" selected>Argentina/Buenos Aires'
            '</option>') in america
    assert "Europe/Berlin" not in america
    assert '<optgroup label="Other">' in picker and '<option value="UTC">UTC</option>' in picker
    assert 'data-zone-picker' in page and "js/zone_picker" in page


def test_the_time_zone_regions_are_german_on_german_pages(manager_client):
    page = manager_client.get(reverse("settings"), headers={"Accept-Language": "de"})
    assert '<optgroup label="Europa">' in page.content.decode()
