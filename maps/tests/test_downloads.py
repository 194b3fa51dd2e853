"""Maps to take away against the sandbox: the route and a moment as self-contained HTML (built
with folium), the route as GPX and GeoJSON; hostile names stay inert (see also
tests/browser/test_takeaway.py, which opens the files in Chromium)."""

import json
import re
from xml.etree import ElementTree

import pytest

from config.testing import hx
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

HOSTILE = "</script><script>alert(1)</script> ${alert(1)} `x` \\1 Müller"


def download(client, car_id, kind, query="period=24h"):
    return client.get(f"/cars/{car_id}/map/{kind}" + (f"?{query}" if query else ""))


def rename(flinkey_api, car_id, name):
    flinkey_api.store.cars[DEMO.customer_id][car_id]["name"] = name


def test_the_route_as_a_self_contained_html_map(manager_client, flinkey_api):
    response = download(manager_client, DEMO.car_id, "route.html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.html"')
    html = response.content.decode()
    # Nothing from a CDN or any other address but the tiles': every asset is inline.
    assert not re.search(r'<(script|link)[^>]+(src|href)=', html)
    assert not re.search(r"cdn\.|cdnjs|jquery|bootstrap|fontawesome", html, re.I)
    assert "L.map(" in html
    assert "data:image/png;base64," in html
    assert "Europe/Berlin" in html  # the zone the times are written in
    assert "Stops of 15 minutes or more" in html
    assert 'id="takeaway-table"' in html  # the demo car stops in its 24 hours
    labels = json.loads(re.search(r'<script id="takeaway-labels" type="application/json">'
                                  r'(.*?)</script>', html, re.S).group(1))
    assert labels[0].startswith("Start ") and any(label.startswith("Stop ") for label in labels)


def test_folium_keeps_its_class_level_assets(manager_client, flinkey_api):
    import folium

    before = list(folium.Map.default_js), list(folium.Map.default_css)
    download(manager_client, DEMO.car_id, "route.html")
    assert (list(folium.Map.default_js), list(folium.Map.default_css)) == before
    assert folium.Map.default_js[0][1].startswith("https://")  # untouched


def test_a_hostile_name_is_text_in_every_file(manager_client, flinkey_api):
    rename(flinkey_api, DEMO.car_id, HOSTILE)
    html = download(manager_client, DEMO.car_id, "route.html").content.decode()
    assert "<script>alert(1)" not in html and "alert(1)" in html  # escaped, still shown
    assert "${alert" not in html.split("<body>")[1].split("<script>")[-1]  # not in the code
    gpx = download(manager_client, DEMO.car_id, "route.gpx")
    root = ElementTree.fromstring(gpx.content)  # noqa: S314 (our own file): valid XML
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert root.find("g:trk/g:name", ns).text.startswith(HOSTILE)
    for response in (gpx, download(manager_client, DEMO.car_id, "route.geojson"),
                     download(manager_client, DEMO.car_id, "moment.html", "")):
        disposition = response["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="[A-Za-z0-9-]+-\d{4}-\d\d-\d\d\.\w+"',
                            disposition), disposition
        assert "script-alert-1-script-alert-1-x-1-Muller" in disposition


def test_the_route_as_gpx(manager_client, flinkey_api):
    response = download(manager_client, DEMO.car_id, "route.gpx")
    assert response.status_code == 200 and response["Content-Type"] == "application/gpx+xml"
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own file)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
    points = root.findall("g:trk/g:trkseg/g:trkpt", ns)
    assert len(points) > 20
    times = [p.find("g:time", ns).text for p in points]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in times)
    assert times == sorted(times) and len(set(times)) == len(times)
    assert root.findall("g:wpt", ns)  # the stops
    # The track is what the map page draws: the same samples, none invented.
    page = manager_client.get(f"/cars/{DEMO.car_id}/map/?period=24h", headers=hx("car-route"))
    drawn = json.loads(re.search(r'<script id="car-route-data" type="application/json">(.*?)'
                                 r'</script>', page.content.decode(), re.S).group(1))["points"]
    assert len(drawn) == len(points)


def test_the_route_as_geojson(manager_client, flinkey_api):
    response = download(manager_client, DEMO.car_id, "route.geojson")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    line, *stops = data["features"]
    assert line["geometry"]["type"] == "LineString"
    assert len(line["geometry"]["coordinates"]) == len(line["properties"]["times"]) > 20
    lon, lat = line["geometry"]["coordinates"][0]
    assert 47 < lat < 49 and 11 < lon < 12.5  # [lon, lat] as GeoJSON orders them
    assert line["properties"]["start"].endswith("Z") and line["properties"]["failed_samples"] == 0
    assert stops and all(s["geometry"]["type"] == "Point" for s in stops)
    assert all(s["properties"]["start"].endswith("Z") for s in stops)


def test_a_moment_as_a_self_contained_html_map(manager_client, flinkey_api):
    response = download(manager_client, DEMO.car_id, "moment.html", "at=2099-01-01T00:00:00Z")
    html = response.content.decode()
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "Position fix" in html and "Europe/Berlin" in html
    assert "data:image/png;base64," in html  # the marker image, embedded
    assert not re.search(r'<(script|link)[^>]+(src|href)=', html)


def test_bad_input_and_upstream_failures_are_told(manager_client, flinkey_api):
    response = download(manager_client, DEMO.car_id, "route.gpx",
                        "from=2025-01-02T00:00&to=2025-01-01T00:00")
    assert response.status_code == 400 and "Choose a period" in response.content.decode()
    assert "Content-Disposition" not in response
    response = download(manager_client, DEMO.car_id, "moment.html", "at=yesterday")
    assert response.status_code == 400 and "not a date and time" in response.content.decode()
    response = download(manager_client, DEMO.other_car_id, "route.html")
    assert response.status_code == 404
    assert "This car does not exist" in response.content.decode()


def test_german(manager_client, flinkey_api):
    response = manager_client.get(f"/cars/{DEMO.car_id}/map/route.html?period=24h",
                                  headers={"Accept-Language": "de"})
    html = response.content.decode()
    assert '<html lang="de">' in html and "Route von" in html and "Zeiten in" in html


def test_support_users_may_download(support_client, flinkey_api):
    for kind in ("route.html", "route.gpx", "route.geojson", "moment.html"):
        assert download(support_client, DEMO.car_id, kind).status_code == 200


def test_the_car_map_links_to_the_downloads_with_its_period(manager_client, flinkey_api):
    # The route region (it loads after the page, through htmx) links them.
    html = manager_client.get(f"/cars/{DEMO.car_id}/map/?period=7d",
                              headers=hx("car-route")).content.decode()
    for kind in ("route.html", "route.gpx", "route.geojson"):
        assert f'href="/cars/{DEMO.car_id}/map/{kind}?period=7d"' in html
    html = manager_client.get(
        f"/cars/{DEMO.car_id}/map/?at=2026-01-01T10:00:00Z").content.decode()
    assert f'href="/cars/{DEMO.car_id}/map/moment.html?at=2026-01-01T10%3A00%3A00Z"' in html


def test_gaps_the_route_knows_are_kept_and_nothing_is_invented():
    from datetime import UTC, datetime, timedelta

    from flinkey import Location
    from maps import takeaway
    from maps.downloads import route_segments
    from maps.services import Route

    t0 = datetime(2026, 3, 10, 8, tzinfo=UTC)

    def sample(minutes, lat):
        return Location(latitude=lat, longitude=11.5, recorded_at=t0 + timedelta(minutes=minutes),
                        odometer=None, odometer_recorded_at=None)

    points = (sample(0, 48.10), sample(10, 48.11), sample(300, 48.30), sample(310, 48.31))
    route = Route(t0, t0 + timedelta(hours=6), points, (), 4, 4, 0, timedelta(minutes=10))
    assert route_segments(route) == [list(points)]  # a route that knows no gaps: one part

    class RouteWithGaps:  # as a route that tells its parts apart
        def __init__(self, route, segments):
            self.points, self.segments = route.points, segments

    parts = route_segments(RouteWithGaps(route, (points[:2], points[2:])))
    assert parts == [list(points[:2]), list(points[2:])]
    gpx = takeaway.gpx(name="x", description="y", segments=parts, stops=(),
                       stop_name=str).decode()
    assert gpx.count("<trkseg>") == 2 and gpx.count("<trkpt ") == 4
    data = json.loads(takeaway.geojson(properties={}, segments=parts, stops=()))
    geometry = data["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString" and sum(map(len, geometry["coordinates"])) == 4
    html = takeaway.html_map(sheet=takeaway.Sheet("t", "h", ()), marks=[], lines=[
        [(p.latitude, p.longitude) for p in part] for part in parts])
    assert html.count("L.polyline(") == 2  # two lines, none across the gap


def test_a_name_in_jinja_syntax_is_not_evaluated(manager_client, flinkey_api):
    # folium/branca compile an Element's text as a Jinja template: a name must never get there.
    rename(flinkey_api, DEMO.car_id, "Caddy {{ 7*7 }} {% if 1 %}x{% endif %}")
    for kind, query in (("route.html", "period=24h"), ("moment.html", "")):
        html = download(manager_client, DEMO.car_id, kind, query).content.decode()
        assert "Caddy {{ 7*7 }} {% if 1 %}x{% endif %}" in html and "Caddy 49" not in html


def test_a_name_with_characters_xml_cannot_hold_still_makes_valid_gpx(manager_client,
                                                                      flinkey_api):
    rename(flinkey_api, DEMO.car_id, "Bus\x01 7\x1b & <Co>")
    response = download(manager_client, DEMO.car_id, "route.gpx")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own file)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert root.find("g:trk/g:name", ns).text.startswith("Bus 7 & <Co>")
