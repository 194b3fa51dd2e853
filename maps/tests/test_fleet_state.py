"""The fleet map shows state (#19): how old each position is, open or closed, a legend, every
car in the list (with the reason when it is not on the map), problems at the top with Retry,
a metric scale for German users, and folium's options built once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from config.testing import hx
from fleetstore.models import StoredCar, StoredEvent
from fleetstore.tests.conftest import make_fleet
from flinkey import Event
from flinkey_sandbox import DEMO
from maps import services
from maps.fleet import band_of, lock_of
from maps.tests.batches import batch_of, get_batch, status_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(flinkey_api):
    """The manager's fleet in the fleet store, synced, with cars whose fix times we know:
    10 minutes, 5 hours and 3 days old; one without a position, one without an IQ.
    The first was last opened, the second last closed, the third has no stored event."""
    now = timezone.now()
    fleet = make_fleet(flinkey_api.url, synced_at=now, sampled_at=now)
    ages = {"Fresh": timedelta(minutes=10), "Today": timedelta(hours=5),
            "Old": timedelta(days=3)}
    cars = {}
    for number, (name, age) in enumerate(ages.items()):
        cars[name] = StoredCar.objects.create(
            fleet=fleet, car_id=7100 + number, name=name, license_plate=f"M-T {number}",
            learnt_at=now, has_iq=True, latitude=48.1 + number / 100, longitude=11.5,
            fix_at=now - age, location_learnt_at=now)
    StoredCar.objects.create(fleet=fleet, car_id=7110, name="Quiet", learnt_at=now,
                             has_iq=True)
    StoredCar.objects.create(fleet=fleet, car_id=7111, name="Bare", learnt_at=now,
                             has_iq=False)
    for number, (name, kind) in enumerate((("Fresh", Event.OPENED), ("Today", Event.CLOSED))):
        event = StoredEvent.objects.create(fleet=fleet, car=cars[name], event_id=88000 + number,
                                           type=kind, utc_date_time=now - timedelta(hours=1),
                                           learnt_at=now)
        StoredCar.objects.filter(pk=cars[name].pk).update(last_event=event)
    return fleet


def by_name(batch) -> dict:
    return {car["name"]: car for car in batch["cars"]}


def test_markers_are_banded_by_the_age_of_their_position(manager_client, store):
    cars = by_name(get_batch(manager_client))
    assert {name: cars[name]["band"] for name in ("Fresh", "Today", "Old")} == {
        "Fresh": "fresh", "Today": "day", "Old": "old"}
    ages = {name: cars[name]["age"].replace("\xa0", " ") for name in ("Fresh", "Old")}
    assert ages == {"Fresh": "10 minutes ago", "Old": "3 days ago"}


def test_markers_say_open_or_closed_from_the_last_stored_event(manager_client, store):
    cars = by_name(get_batch(manager_client))
    assert {name: cars[name]["lock"] for name in ("Fresh", "Today", "Old")} == {
        "Fresh": "open", "Today": "closed", "Old": "unknown"}


def test_live_the_state_is_unknown_not_guessed(manager_client, flinkey_api):
    cars = get_batch(manager_client)["cars"]
    assert cars and {car["lock"] for car in cars} == {"unknown"}
    assert {car["band"] for car in cars if car["state"] == "located"} <= {"fresh", "day", "old"}


def test_every_car_is_in_the_list_with_the_reason_when_it_is_not_on_the_map(manager_client,
                                                                          store):
    batch = get_batch(manager_client)
    assert [car["name"] for car in batch["cars"]] == ["Bare", "Fresh", "Old", "Quiet", "Today"]
    cars = by_name(batch)
    assert (cars["Bare"]["state"], cars["Bare"]["reason"]) == ("no_device", "no flinkey IQ")
    assert (cars["Quiet"]["state"], cars["Quiet"]["reason"]) == (
        "no_position", "no position reported")
    assert all("lat" not in cars[name] for name in ("Bare", "Quiet"))
    assert cars["Fresh"]["plate"] == "M-T 0" and cars["Fresh"]["url"] == "/cars/7100/"


def test_the_page_has_a_legend_and_a_list_beside_the_map(manager_client, flinkey_api):
    html = manager_client.get("/map/").content.decode()
    legend = html[html.index('id="fleet-legend"'):html.index("</ul>", html.index("fleet-legend"))]
    for band in ("fresh", "day", "old"):
        assert f"band-{band}" in legend
    for words in ("Position under 1 hour old", "Position under 24 hours old",
                  "Position older than 24 hours", "open", "closed", "open or closed: not known"):
        assert f"</span> {words}</li>" in legend
    assert '<ol class="fleet-list" id="fleet-list"' in html
    # The list comes after the map in the page (beside it, under it on phones).
    assert html.index('id="fleet-map"') < html.index('id="fleet-list"')


def test_the_status_is_at_the_top_and_says_loading_not_zero_of_zero(manager_client,
                                                                    flinkey_api):
    html = manager_client.get("/map/").content.decode()
    assert "0 of 0" not in html
    assert re.search(r'<div id="fleet-status"[^>]*>\s*<p[^>]*>Loading cars…</p>', html)
    assert html.index('id="fleet-status"') < html.index('id="fleet-map"')


def test_a_finished_map_says_how_many_are_on_it_and_how_old_the_store_is(manager_client,
                                                                         store):
    response = manager_client.get("/map/cars/", headers=hx("fleet-next"))
    assert status_text(response).startswith("3 of 5 cars on the map From the fleet store, as of")
    assert batch_of(response)["last"] is True


@pytest.mark.parametrize(("status", "headline"), [
    (500, "flinkey had an internal error. Try again in a moment."),
    (429, "flinkey asks fleetadmin to slow down. Try again in a minute."),
])
def test_flinkey_down_is_said_at_the_top_with_retry(manager_client, flinkey_api, status,
                                                    headline):
    flinkey_api.faults.fail_next("/cars", status=status, count=3)
    response = manager_client.get("/map/cars/", headers=hx("fleet-next"))
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert '<div id="fleet-status" class="fleet-status" data-state="problem" hx-swap-oob="true">' \
        in html
    assert status_text(response).startswith(f"The cars could not be loaded. {headline}")
    assert re.search(r'<a href="/map/cars/" hx-get="/map/cars/" hx-target="#fleet-next" '
                     r'hx-swap="outerHTML">Try again</a>', html)
    # No cars, no next batch: the retry loads the first batch where it was to go.
    assert '<div id="fleet-next" hidden></div>' in html and "fleet-batch-" not in html


def test_no_customer_chosen_is_said_at_the_top_with_the_way_to_settings(manager, flinkey_api):
    from config.testing import logged_in

    manager.flinkey_credentials.customer_id = None
    manager.flinkey_credentials.save()
    response = logged_in(manager).get("/map/cars/", headers=hx("fleet-next"))
    assert response.status_code == 409
    text = status_text(response)
    assert text.startswith("The cars could not be loaded.") and text.endswith("Open Settings")


def test_the_scale_is_metric_only_for_german_users(manager, manager_client, flinkey_api):
    from maps.tests.test_views import data_of
    from preferences import services as preferences

    english = data_of(manager_client.get("/map/").content.decode(), "fleet-map-data")
    assert english["config"]["scale"] == {"metric": True, "imperial": True}
    preferences.save_preferences(user=manager, language="de", time_zone="Europe/Berlin")
    german = data_of(manager_client.get("/map/").content.decode(), "fleet-map-data")
    assert german["config"]["scale"] == {"metric": True, "imperial": False}
    assert german["labels"]["band_fresh"] == "Position jünger als 1 Stunde"


@pytest.mark.parametrize(("query", "region", "data"), [
    ("panel=1", "car-map", "car-map-data"), ("period=24h", "car-route", "car-route-data")])
def test_a_cars_map_and_route_have_the_scale_of_the_users_language(
        manager, manager_client, flinkey_api, query, region, data):
    # Every map, not only the fleet's: it used to show feet and miles on German car maps.
    from maps.tests.test_views import data_of
    from preferences import services as preferences

    url = f"/cars/{DEMO.car_id}/map/?{query}"
    scale = data_of(manager_client.get(url, headers=hx(region)).content.decode(), data)
    assert scale["config"]["scale"] == {"metric": True, "imperial": True}
    preferences.save_preferences(user=manager, language="de", time_zone="Europe/Berlin")
    scale = data_of(manager_client.get(url, headers=hx(region)).content.decode(), data)
    assert scale["config"]["scale"] == {"metric": True, "imperial": False}


def test_folium_builds_the_map_options_once(monkeypatch):
    import folium

    from fleetadmin.web.map_config import _folium_options

    _folium_options.cache_clear()
    built = []
    real = folium.Map.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(folium.Map, "__init__", counting)
    first = services.map_config(center=(48.1, 11.5), zoom=9)
    second = services.map_config(center=(52.5, 13.4), zoom=14)
    assert len(built) == 1
    assert (first["center"], first["map"]["zoom"]) == ([48.1, 11.5], 9)
    assert (second["center"], second["map"]["zoom"]) == ([52.5, 13.4], 14)
    second["tiles"]["options"]["maxZoom"] = 3  # a caller's change stays its own
    assert services.map_config()["tiles"]["options"]["maxZoom"] == 19


def test_bands_and_locks():
    now = timezone.now()
    assert band_of(now - timedelta(minutes=59), now) == "fresh"
    assert band_of(now - timedelta(hours=1), now) == "day"
    assert band_of(now - timedelta(hours=23, minutes=59), now) == "day"
    assert band_of(now - timedelta(hours=24), now) == "old"
    assert band_of(None, now) == "old"
    assert band_of(now + timedelta(minutes=5), now) == "fresh"  # a past moment's later sample
    assert [lock_of(kind) for kind in (Event.OPENED, Event.CLOSED, None, "Other")] == [
        "open", "closed", "unknown", "unknown"]
