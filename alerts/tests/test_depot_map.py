"""The depot rule's page ships a map of its depots (static/js/depot_map.js draws it); the
typed lines stay what is posted, and support sees the map without the controls."""

import json
import re
from html import unescape

from django.utils import timezone

from alerts.models import Rule


def _map_data(html: str) -> dict:
    found = re.search(r'<div class="map map-small" id="depot-map"[^>]* data-config="([^"]*)"',
                      html)
    assert found, "no depot map data"
    return json.loads(unescape(found.group(1)))


def _depot_rule(store):
    return Rule.objects.create(fleet=store, name="Back home", kind="not_at_depot",
                               time_zone="UTC", check_time=timezone.now().time(), depots=[
                                   {"name": "North", "latitude": 52.53, "longitude": 13.38,
                                    "radius": 250}])


def test_the_depot_page_ships_its_map_centred_on_the_first_depot(manager_client, store):
    rule = _depot_rule(store)
    html = manager_client.get(f"/alerts/rules/{rule.pk}/").content.decode()
    data = _map_data(html)
    assert data["config"]["center"] == [52.53, 13.38]
    assert data["config"]["tiles"]["url"]  # folium's tile options, as the map screens'
    assert data["labels"]["new_name"] == "Depot %(number)s"
    assert 'data-field="id_depots_text"' in html
    assert "/static/js/depot_map.js" in html and "/static/vendor/leaflet/leaflet.js" in html
    assert 'id="depot-radius"' in html and 'id="depot-choice"' in html
    # Without JavaScript the map stays hidden and the typed line is the depot.
    assert 'id="depot-editor" hidden' in html
    assert "North, 52.53, 13.38, 250" in html


def test_a_new_depot_rule_has_the_map_and_other_kinds_have_none(manager_client, store):
    html = manager_client.get("/alerts/rules/new/?kind=not_at_depot").content.decode()
    assert _map_data(html)["config"]["center"]
    for kind in ("left_open", "service", "silent", "outside_hours"):
        html = manager_client.get(f"/alerts/rules/new/?kind={kind}").content.decode()
        assert "depot-map" not in html and "depot_map.js" not in html, kind


def test_support_sees_the_depots_map_without_its_controls(support_client, store):
    rule = _depot_rule(store)
    html = support_client.get(f"/alerts/rules/{rule.pk}/").content.decode()
    assert 'data-read-only="true"' in html and _map_data(html)
    assert 'id="depot-radius"' not in html


def test_the_posted_lines_are_what_is_saved(manager_client, store):
    response = manager_client.post("/alerts/rules/new/?kind=not_at_depot", {
        "name": "Back home", "time_zone": "UTC", "check_time": "18:00",
        "depots_text": "Depot 1, 48.13700, 11.57600, 300\n"})
    assert response.status_code == 302
    assert Rule.objects.get().depots == [
        {"name": "Depot 1", "latitude": 48.137, "longitude": 11.576, "radius": 300.0}]
