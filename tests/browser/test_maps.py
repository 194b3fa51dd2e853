"""The maps in Chromium: a car's position, a past moment, the route's replay, the fleet map.

Offline (tests never reach a tile server): the maps must still start and show markers and
paths. Hostile car names must stay text: no script runs, no CSP violation.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from config.testing import free_port, make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import signed_in_as
from tests.browser.test_csp import LISTEN

# The sandbox's hostile names (flinkey_sandbox.seed.HOSTILE_NAMES) that have an IQ history.
HOSTILE_WITH_POSITION = {
    2011: "Testwagen <img src=x onerror=alert(1)>",
    2015: "Caddy `Werkstatt` 2",
    2016: "Corsa ${alert(1)}",
}


@pytest.fixture
def map_page(page, dashboard, console_problems):
    """A logged-in fleet manager; alerts and CSP violations recorded; tile requests refused."""
    make_user("fm")
    page.add_init_script(LISTEN + "window.__ran = 0;")
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.alerts = alerts
    # Offline, as in a locked-down network: every tile fails.
    page.route(re.compile(r"https?://[^/]*tile[^/]*/.*"), lambda route: route.abort())
    signed_in_as(page, dashboard, "fm")
    expect(page).to_have_url(f"{dashboard}/")  # the session holds: not sent to the login page
    return page


def unexpected(problems):
    """Console problems other than the refused tiles (offline by design)."""
    return [p for p in problems if "net::ERR_FAILED" not in p]


def violations(page):
    return page.evaluate("window.__cspViolations || []")


def test_the_car_page_shows_where_it_is(map_page, dashboard, console_problems):
    page = map_page
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/")
    panel = page.locator("#car-map")
    expect(panel.get_by_role("heading", name="Where it is")).to_be_visible()
    expect(panel.locator("#fix-time")).to_contain_text(re.compile(r"ago|just now"))
    expect(panel.locator("#odometer")).to_contain_text("km")
    expect(panel.locator("[data-map-ready=true]")).to_have_count(1)
    expect(panel.locator("path.map-car")).to_have_count(1)  # the marker shows without tiles
    # A car without an IQ: an empty state, not an error.
    page.goto(f"{dashboard}/cars/{DEMO.box_only_car_id}/")
    expect(page.locator("#map-empty")).to_have_text(
        "No flinkey IQ in this car, so it reports no position.")
    assert violations(page) == [] and unexpected(console_problems) == []


def first_sample_time(page):
    """The route's first sample's time as the server wrote it (where the replay starts)."""
    return page.evaluate(
        "JSON.parse(document.getElementById('car-route-data').textContent).points[0][4]")


def test_where_was_it_and_the_route_replay(map_page, dashboard, flinkey_api, console_problems):
    page = map_page
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/")
    expect(page.locator("#car-map [data-map-ready=true]")).to_have_count(1)
    # Where was it two days ago at 16:00 (the user's zone is shown next to the picker)?
    moment = (flinkey_api.anchor - timedelta(days=2)).strftime("%Y-%m-%dT16:00")
    expect(page.locator("#at-zone")).to_have_text("Europe/Berlin")
    page.get_by_label("Where was it at").fill(moment)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?at="))
    expect(page.locator("#fix-offset")).to_contain_text("the moment you asked for")
    expect(page.locator("#car-map [data-map-ready=true]")).to_have_count(1)

    # Yesterday's route, replayed at 20×.
    page.get_by_role("link", name="Last 24 hours").click()
    # The route loads after the page, in rounds if flinkey is slow: wait for the last.
    expect(page).to_have_url(re.compile(r"\?period=24h$"))
    expect(page.locator("#car-route")).not_to_have_attribute("aria-busy", "true",
                                                             timeout=30_000)
    expect(page.locator("#route-summary")).to_contain_text("km driven (odometer)")
    replay = page.locator("#replay[data-ready=true]")
    expect(replay).to_be_visible()
    expect(page.locator("#car-route-canvas path.map-path")).to_have_count(1)
    expect(page.locator("#car-route-canvas path.map-start")).to_have_count(1)
    expect(page.locator("#car-route-canvas path.map-end")).to_have_count(1)
    # Times as the app writes them, in the user's zone (not the browser's locale or zone).
    written = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d CES?T$")
    expect(page.locator("#replay-time")).to_have_text(first_sample_time(page))
    expect(page.locator("#replay-time")).to_have_text(written)
    time_before = page.locator("#replay-time").text_content()
    page.get_by_label("Speed").select_option("20")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.locator("#replay-scrub")).not_to_have_value("0")
    # Keyboard: space pauses (focus on the replay region), arrows scrub.
    replay.focus()
    page.keyboard.press("Space")
    expect(replay).to_have_attribute("data-playing", "false")
    value = int(page.locator("#replay-scrub").input_value())
    page.keyboard.press("ArrowRight")
    assert int(page.locator("#replay-scrub").input_value()) > value
    assert page.locator("#replay-time").text_content() != time_before
    expect(page.locator("#replay-time")).to_have_text(written)
    assert violations(page) == [] and unexpected(console_problems) == []


def test_the_replay_writes_times_in_the_users_language_and_zone(map_page, dashboard,
                                                                console_problems):
    from django.contrib.auth import get_user_model

    from preferences import services

    # The browser is American English in Berlin's zone or the machine's; the user is not.
    services.save_preferences(user=get_user_model().objects.get(username="fm"), language="de",
                              time_zone="America/New_York")
    page = map_page
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/?period=24h")
    expect(page.locator("#replay[data-ready=true]")).to_be_visible()
    expect(page.locator("#replay-time")).to_have_text(first_sample_time(page))
    expect(page.locator("#replay-time")).to_have_text(
        re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d E[SD]T$"))
    page.locator("#replay").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#replay-time")).to_have_text(
        re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d E[SD]T$"))
    assert violations(page) == [] and unexpected(console_problems) == []


def test_the_fleet_map_fills_in_batches(map_page, dashboard, settings, console_problems):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 20  # 62 cars: four batches
    page = map_page
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fleet map")
    fleet = page.locator("#fleet-map")
    expect(fleet).to_have_attribute("data-loaded", "true")
    expect(page.locator("#fleet-progress-text")).to_have_text(
        re.compile(r"^\d+ of 62 cars on the map$"))
    located = int(fleet.get_attribute("data-located"))
    assert 10 < located < 62
    # Every car is in the list beside the map; those without a position say why.
    rows = page.locator("#fleet-list li.fleet-car")
    expect(rows).to_have_count(62)
    unlocated = page.locator('#fleet-list li.fleet-car:not([data-state="located"])')
    expect(unlocated).to_have_count(62 - located)
    expect(unlocated.first.locator(".fleet-car-facts")).to_have_text(
        re.compile(r"^(no flinkey IQ|no position.*)$"))
    expect(rows.first.locator("a")).to_have_attribute("href", re.compile(r"^/cars/\d+/$"))
    # Zoomed out, the markers cluster.
    expect(page.locator(".marker-cluster").first).to_be_visible()
    assert violations(page) == [] and unexpected(console_problems) == []


# The fleet map's animations, and the spinner's: [zoom, fade, marker zoom, clusters, spinner].
MOTION = """() => {
    const map = document.getElementById('fleet-map').leafletMap;
    const cluster = Object.values(map._layers).find(layer => layer.options
        && 'maxClusterRadius' in layer.options);
    const spinner = document.createElement('span');
    spinner.className = 'spinner';
    document.body.append(spinner);
    return [map.options.zoomAnimation, map.options.fadeAnimation,
            map.options.markerZoomAnimation, cluster.options.animate,
            getComputedStyle(spinner, '::before').animationName];
}"""


def test_less_motion_where_the_system_asks_for_it(map_page, dashboard, console_problems):
    page = map_page
    for preference, motion in (("reduce", [False, False, False, False, "none"]),
                               ("no-preference", [True, True, True, True, "spin"])):
        page.emulate_media(reduced_motion=preference)
        page.goto(f"{dashboard}/map/")
        expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
        assert page.evaluate(MOTION) == motion, preference
    assert unexpected(console_problems) == []


def test_a_batch_that_failed_is_retried_from_where_it_starts(map_page, dashboard, settings,
                                                             console_problems):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 20  # 62 cars: batches from 0, 20, 40 and 60
    page = map_page
    second = re.compile(r"/map/cars/\?start=20&")
    page.route(second, lambda route: route.abort())  # no answer at all (the network)
    page.goto(f"{dashboard}/map/")
    notice = page.locator("#fleet-no-answer")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("fleetadmin did not answer")
    expect(page.locator("#fleet-progress-text")).to_have_text("20 of 62 cars located")
    expect(page.locator("#fleet-list li.fleet-car")).to_have_count(20)
    page.unroute(second)
    notice.get_by_role("button", name="Retry").click()
    expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#fleet-progress-text")).to_have_text(
        re.compile(r"^\d+ of 62 cars on the map$"))
    expect(notice).to_be_hidden()
    expect(page.locator("#fleet-list li.fleet-car")).to_have_count(62)
    assert violations(page) == []
    # The browser's and htmx's own words for the refused request, nothing else.
    assert [p for p in unexpected(console_problems)
            if "ERR_FAILED" not in p and not p.startswith("htmx:")] == []


def test_flinkey_down_is_said_at_the_top_with_retry(map_page, dashboard, flinkey_api,
                                                    console_problems):
    page = map_page
    flinkey_api.faults.fail_next("/cars", status=500, count=3)
    page.goto(f"{dashboard}/map/")
    status = page.locator("#fleet-status")
    expect(status.get_by_role("alert")).to_contain_text(
        "The cars could not be loaded. flinkey had an internal error. Try again in a moment.")
    expect(status.locator(".detail")).to_have_text("flinkey said: Internal server error.")
    # At the top: above the map, in the first screen.
    assert status.bounding_box()["y"] < page.locator("#fleet-map").bounding_box()["y"]
    expect(page.locator("#fleet-list li")).to_have_count(0)
    status.get_by_role("link", name="Try again").click()
    expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#fleet-progress-text")).to_have_text(
        re.compile(r"^\d+ of 62 cars on the map$"))
    assert violations(page) == []
    assert [p for p in unexpected(console_problems)
            if "status of 502" not in p and "Error Code 502" not in p] == []


def test_a_fleet_flinkey_refuses_says_why_and_where_to_fix_it(map_page, dashboard,
                                                               console_problems):
    from django.contrib.auth import get_user_model

    # The manager picked a customer the API manager cannot reach: fleetadmin.upstream.reach finds it
    # missing from the manager's /customers before any car call (a GET /cars would be
    # flinkey's 404 "Unable to find a manager ...", told in the same words).
    credentials = get_user_model().objects.get(username="fm").flinkey_credentials
    credentials.customer_id = 987654
    credentials.save()
    page = map_page
    page.goto(f"{dashboard}/map/")
    failed = page.locator("#fleet-status .alert")
    expect(failed).to_be_visible()
    expect(failed.locator("p").first).to_have_text(
        "The cars could not be loaded. Your API manager cannot reach this customer. "
        "Choose a customer on the Settings page.")
    expect(failed.locator(".detail")).to_have_count(0)  # no sentence of flinkey's to quote
    expect(failed.get_by_role("link", name="Open Settings")).to_have_attribute("href",
                                                                             "/settings/")
    # Retrying cannot fix the set-up: no Retry, as on the car list.
    expect(failed.get_by_role("link", name="Try again")).to_have_count(0)
    assert violations(page) == []
    assert [p for p in unexpected(console_problems)
            if "status of 409" not in p and "Error Code 409" not in p] == []


@pytest.mark.slow
def test_the_list_and_the_map_stay_in_sync(map_page, dashboard, console_problems):
    page = map_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{dashboard}/map/")
    fleet = page.locator("#fleet-map")
    expect(fleet).to_have_attribute("data-loaded", "true")
    # Opened fitted to the fleet: every marker inside the map's view, none cut off.
    outside = page.evaluate("""() => {
        const map = document.getElementById('fleet-map').leafletMap;
        const view = map.getBounds();
        const out = [];
        map.eachLayer(layer => {
            if (layer.getAllChildMarkers) return;
            if (layer instanceof L.Marker && !view.contains(layer.getLatLng())) out.push(1);
        });
        // Every marker of the cluster group too, shown or clustered.
        Object.values(map._layers).forEach(layer => {
            if (layer._featureGroup) layer.eachLayer(m => {
                if (!view.contains(m.getLatLng())) out.push(m.options.title);
            });
        });
        return out;
    }""")
    assert outside == []
    located = page.locator('#fleet-list li.fleet-car[data-state="located"]')
    first = located.first
    # Hovering a row highlights its marker (or the cluster that holds it).
    first.hover()
    expect(page.locator(".leaflet-marker-pane .fleet-active")).to_have_count(1)
    # A zoom (or the fit once the last cars are in) draws every cluster's icon anew: the
    # highlight follows to the new icon.
    page.evaluate("""() => new Promise(done => {
        const map = document.getElementById('fleet-map').leafletMap;
        map.once('zoomend', () => setTimeout(done, 500));  // the clusters' animation too
        map.zoomOut();
    })""")
    expect(page.locator(".leaflet-marker-pane .fleet-active")).to_have_count(1)
    page.locator("h1").hover()
    expect(page.locator(".leaflet-marker-pane .fleet-active")).to_have_count(0)
    # Focusing a row does too; Enter shows the car on the map with its popup.
    name = first.locator("a").text_content()
    first.focus()
    expect(page.locator(".leaflet-marker-pane .fleet-active")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content strong")).to_have_text(name)
    expect(page.locator(".leaflet-marker-pane .fleet-marker.fleet-active")).to_have_count(1)
    expect(first).to_have_class(re.compile(r"fleet-active"))
    # The marker says its age and state in words too (not by colour alone).
    marker = page.locator(".leaflet-marker-pane .fleet-marker.fleet-active")
    expect(marker.locator(".visually-hidden")).to_have_text(
        re.compile(r"^Position .+; open or closed: not known$"))
    assert page.url == f"{dashboard}/map/"  # Enter on the row did not follow its link
    assert violations(page) == [] and unexpected(console_problems) == []


def test_the_list_shows_the_first_rows_and_finds_every_car(map_page, dashboard, monkeypatch,
                                                          console_problems):
    # 62 cars, 20 rows at a time (a 10,000-car fleet lays out 200): the rest are found with
    # the filter or "Show more", never laid out all at once.
    monkeypatch.setattr("maps.fleet.LIST_ROWS", 20)
    page = map_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{dashboard}/map/")
    expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
    rows = page.locator("#fleet-list li.fleet-car")
    count = page.locator("#fleet-list-count")
    more = page.get_by_role("button", name="Show 20 more")
    expect(rows).to_have_count(20)
    expect(count).to_have_text("Showing 20 of 62 cars")
    # "Show more" adds the next rows and moves the focus to the first of them.
    more.click()
    expect(rows).to_have_count(40)
    expect(count).to_have_text("Showing 40 of 62 cars")
    expect(page.locator("#fleet-list li.fleet-car:nth-child(21) :focus, "
                        "#fleet-list li.fleet-car:nth-child(21):focus")).to_have_count(1)
    more.click()
    page.get_by_role("button", name="Show 2 more").click()
    expect(rows).to_have_count(62)
    expect(count).to_have_text("Showing 62 of 62 cars")
    expect(page.locator("#fleet-more")).to_be_hidden()
    # A located car beyond the first 20 rows, its name and plate found in no other car's.
    listed = rows.evaluate_all("""rows => rows.map(li => [li.dataset.state,
        li.querySelector('a').textContent, (li.querySelector('.muted') || {}).textContent])""")
    names = [name.lower() for _state, name, _plate in listed]
    name, plate = next(
        (name, plate.strip()) for state, name, plate in listed[20:]
        if state == "located" and plate and sum(name.lower() in n for n in names) == 1
        and sum(plate.strip() in (p or "") for _s, _n, p in listed) == 1)
    page.reload()
    expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
    expect(rows).to_have_count(20)
    expect(rows.locator("a", has_text=name)).to_have_count(0)
    # Found by its name (any case), keyboard only.
    page.locator("#fleet-filter").focus()
    page.keyboard.type(name.upper())
    expect(count).to_have_text(f"Showing 1 of 1 cars matching “{name.upper()}”")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a")).to_have_text(name)
    # Enter shows the first car found on the map, its popup open, its row marked.
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content strong")).to_have_text(name)
    expect(rows.first).to_be_focused()
    expect(rows.first).to_have_class(re.compile(r"fleet-active"))
    expect(page.locator(".leaflet-marker-pane .fleet-marker.fleet-active")).to_have_count(1)
    # By its plate, as written or without spaces and dashes; Down moves into the list.
    for typed in (plate, re.sub(r"[\s-]", "", plate).lower()):
        page.locator("#fleet-filter").fill(typed)
        expect(rows).to_have_count(1)
        expect(rows.first.locator("a")).to_have_text(name)
        page.locator("#fleet-filter").press("ArrowDown")
        expect(rows.first).to_be_focused()
    # Nothing found: said so, no rows, no "Show more"; cleared, the first rows are back.
    page.locator("#fleet-filter").fill("no such car 4711")
    expect(count).to_have_text("No car matches “no such car 4711”.")
    expect(rows).to_have_count(0)
    expect(page.locator("#fleet-more")).to_be_hidden()
    page.locator("#fleet-filter").fill("")
    expect(rows).to_have_count(20)
    expect(count).to_have_text("Showing 20 of 62 cars")
    assert violations(page) == [] and unexpected(console_problems) == []


@pytest.mark.slow
def test_without_tiles_the_map_says_so_and_still_shows_the_cars(map_page, dashboard, settings):
    page = map_page
    # Tiles from a port where nothing listens (as behind a proxy that refuses them).
    settings.FLEETADMIN_TILE_URL = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"
    page.goto(f"{dashboard}/map/")
    expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
    notice = page.locator("#fleet-map-tiles-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("The cars are shown all the same.")
    expect(page.locator(".leaflet-marker-pane .fleet-marker, .leaflet-marker-pane "
                        ".marker-cluster").first).to_be_visible()
    # On the map, at its top.
    box, notice_box = page.locator("#fleet-map").bounding_box(), notice.bounding_box()
    assert box["y"] <= notice_box["y"] < box["y"] + box["height"] / 3


def test_hostile_names_stay_text(map_page, dashboard, console_problems):
    page = map_page
    # Each hostile car alone on the fleet map (the list's search applies), its popup opened.
    for car_id, name in HOSTILE_WITH_POSITION.items():
        term = {2011: "testwagen", 2015: "caddy `", 2016: "${"}[car_id]
        page.goto(f"{dashboard}/map/?q={quote(term)}")
        expect(page.locator("#fleet-map")).to_have_attribute("data-loaded", "true")
        expect(page.locator("#fleet-progress-text")).to_have_text("1 of 1 cars on the map")
        expect(page.locator("#fleet-list li.fleet-car a")).to_have_text(name)
        marker = page.locator(".leaflet-marker-icon")
        expect(marker).to_have_attribute("title", name)
        popup = page.locator(".leaflet-popup-content")
        # The map may still be fitting itself to the marker (an animation on a loaded
        # machine): a click during it can miss; click again until the popup opens.
        for _ in range(10):
            marker.click()
            if popup.count():
                break
            page.wait_for_timeout(300)
        expect(popup.locator("strong")).to_have_text(name)
        expect(popup.get_by_role("link", name="Open the car")).to_have_attribute(
            "href", f"/cars/{car_id}/")
        # The popup (bound on the marker's first click) marks the car's row in the list.
        expect(page.locator("#fleet-list li.fleet-car.fleet-active a")).to_have_text(name)
    # The car map and the route of each.
    for car_id, name in HOSTILE_WITH_POSITION.items():
        page.goto(f"{dashboard}/cars/{car_id}/map/?period=24h")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Map of {name}")
        expect(page.locator("#car-map [data-map-ready=true]")).to_have_count(1)
        expect(page.locator("#car-route [data-map-ready=true]")).to_have_count(1)
    assert page.alerts == []
    assert page.evaluate("window.__ran") == 0
    assert page.locator("img[src=x]").count() == 0
    assert violations(page) == [] and unexpected(console_problems) == []
