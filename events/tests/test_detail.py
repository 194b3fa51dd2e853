"""One event: its car, the map at its moment, the way back to its day; 404 in plain words."""

import json
import re
from datetime import UTC, datetime

import pytest

from events.tests.conftest import CAR, add_event
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def test_an_event_with_its_car_map_and_day(manager_client, flinkey_api, clean_car):
    event_id = add_event(flinkey_api, at=datetime(2026, 3, 10, 22, 30, tzinfo=UTC),
                         kind="CarClosed", latitude=48, longitude=11.5)
    response = manager_client.get(f"/events/{event_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    car = flinkey_api.store.car(DEMO.customer_id, CAR)
    assert f'<a href="/cars/{CAR}/" id="event-car">{car["name"]}</a>' in html
    assert "Car closed" in html
    # "Show on map" opens the event's own place: a map of its coordinates on this page.
    assert 'href="#event-location" id="event-map">Show on map</a>' in html
    data = json.loads(re.search(r'<script id="event-map-data" type="application/json">(.*?)'
                                r'</script>', html, re.S).group(1))
    assert (data["marker"]["lat"], data["marker"]["lon"]) == (48, 11.5)
    assert data["config"]["center"] == [48, 11.5]
    assert data["marker"]["title"] == "Where the car was closed"
    assert "vendor/leaflet/leaflet.js" in html
    # 22:30 UTC is 23:30 in Berlin: the day is the 10th, so the timeline starts at the 11th.
    assert "Tuesday, 10 March 2026, 23:30:00" in html
    assert (f'href="/cars/{CAR}/events/?before=20260310T230000.000000Z_0#event-{event_id}" '
            'id="event-back"') in html
    assert "2026-03-10 22:30:00 UTC" in html


@pytest.mark.parametrize(("latitude", "longitude"), [(None, None), (0, 0), (0.0, 0.0)])
def test_without_a_position(manager_client, flinkey_api, clean_car, latitude, longitude):
    # 0, 0 is what an app without a location fix sends: not a place to show on a map.
    event_id = add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC),
                         latitude=latitude, longitude=longitude)
    html = manager_client.get(f"/events/{event_id}/").content.decode()
    assert "no position" in html and "event-map" not in html and "leaflet" not in html


def test_an_event_of_another_customer_is_not_found(manager_client, flinkey_api):
    other = add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC),
                      car_id=DEMO.other_car_id, customer_id=DEMO.other_customer_id)
    for event_id in (other, 99_999_999):
        response = manager_client.get(f"/events/{event_id}/")
        html = response.content.decode()
        assert response.status_code == 404
        assert "This event does not exist or belongs to another customer." in html
        assert "Event not found" in html


def test_the_timeline_at_that_day_shows_the_event(manager_client, flinkey_api, clean_car):
    event_id = add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    add_event(flinkey_api, at=datetime(2026, 3, 12, 12, tzinfo=UTC))
    html = manager_client.get(
        f"/cars/{CAR}/events/?before=20260310T230000.000000Z_0").content.decode()
    assert f'id="event-{event_id}"' in html
    assert "Show the newest events" in html


def test_events_of_a_car_without_an_iq_show_their_own_place(manager_client, flinkey_api):
    # A Box-only car has no IQ map ("No flinkey IQ in this car"); its events have a place.
    html = manager_client.get(f"/cars/{DEMO.box_only_car_id}/events/").content.decode()
    links = re.findall(r'href="(/events/(\d+)/#event-location)" class="event-map"', html)
    assert links, "no event with a position on the first page"
    flinkey_api.clear_requests()
    url, event_id = links[0]
    detail = manager_client.get(url.split("#")[0]).content.decode()
    assert 'id="event-location"' in detail and "No flinkey IQ" not in detail
    data = json.loads(re.search(r'<script id="event-map-data" type="application/json">(.*?)'
                                r'</script>', detail, re.S).group(1))
    shown = f'<span class="mono">{data["marker"]["lat"]:.5f}, {data["marker"]["lon"]:.5f}</span>'
    assert shown in detail  # the coordinates the event itself carries
    # The event's own coordinates: no location call about the car was needed.
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.box_only_car_id}/location") == 0


def test_the_event_map_in_german(manager_client, flinkey_api, clean_car):
    event_id = add_event(flinkey_api, at=datetime(2026, 3, 10, 22, 30, tzinfo=UTC),
                         kind="CarOpened", latitude=48, longitude=11.5)
    html = manager_client.get(f"/events/{event_id}/",
                              headers={"Accept-Language": "de"}).content.decode()
    assert "Wo es geschah" in html and "Auf der Karte zeigen" in html
    data = json.loads(re.search(r'<script id="event-map-data" type="application/json">(.*?)'
                                r'</script>', html, re.S).group(1))
    assert data["marker"]["title"] == "Wo das Fahrzeug geöffnet wurde"


@pytest.mark.parametrize(("kind", "words"), [("CarOpened", "opened"), ("CarClosed", "closed")])
def test_opened_and_closed_marks_are_svg_not_emoji(manager_client, flinkey_api, clean_car, kind,
                                                  words):
    # Emoji show as empty boxes where no emoji font is installed.
    event_id = add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC), kind=kind,
                         latitude=48, longitude=11.5)
    for url in (f"/events/{event_id}/", f"/cars/{CAR}/events/"):
        html = manager_client.get(url).content.decode()
        assert "🔓" not in html and "🔒" not in html
        icon = re.search(rf'<svg class="event-icon event-icon-{words}" aria-hidden="true"'
                         r'[^>]*>.*?</svg>\s*([^<]+)', html, re.S)
        assert icon, url
        assert words in icon.group(1).lower()  # the words stay, for screen readers
