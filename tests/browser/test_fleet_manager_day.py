"""Issue 19's "Done means": a fleet manager's day in Chromium, every section of the issue in one
journey, in English and German, at desktop and phone width, while the sandbox revokes the
token of every third call and answers each request late.

One journey per language and width, sharing its set-up (one sign-in, one seeded event):
people (a name for flinkey user 306, seen in the car's timeline), the fleet map (legend,
markers, the list beside or under it, a focused row highlights its marker), a route (the
last 7 days stay 7 days in the fields; stops and trips, or the empty state), an event's
"Show on map" (the event's own place), recording an event (the form names both zones; the
person is picked by name; flinkey gets the fleet's local time) and the route as GPX.

The user is an administrator: only administrators name people, and they do the fleet
manager's work too. In English the user sits in New York, in German in Berlin, so the
recording form's two zones differ in one journey and agree in the other.
"""

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from events.tests.conftest import CAR, add_event, recorded
from flinkey_sandbox import DEMO
from preferences import services as preferences
from tests.browser.conftest import settled, signed_in_as

pytestmark = pytest.mark.slow

USER = 306  # a flinkey user id with no name yet
NAME = "Marta Klein"
FLEET_ZONE = "Europe/Berlin"  # settings.FLEETADMIN_FLEET_TIME_ZONE in tests
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
ROUTE_TIMEOUT = 30_000  # a cold 7-day route, in rounds, through revocations and latency

# What the user reads and clicks, per language.
WORDS = {
    "en": {
        "zone": "America/New_York", "add a name": "add a name", "user id": "flinkey user id",
        "department": "Department", "save": "Save", "named": f"{NAME} is now the name of "
        f"flinkey user {USER}", "map": "Map", "menu": "Menu",
        "fleet map": "Fleet map",
        "on the map": r"^(\d+) of 62 cars on the map$", "last 7 days": "Last 7 days",
        "stops and trips": "Stops and trips", "no positions": "No positions in this period.",
        "record an event": "Record an event", "record event": "Record event",
        "closed": "The car was closed", "when": "When", "person": "Person or flinkey user id",
        "zones": "In America/New_York (your time zone); sent to flinkey in UTC and as the "
        "car’s local time in Europe/Berlin (the fleet’s time zone).",
        "recorded": "The event was recorded",
    },
    "de": {
        "zone": "Europe/Berlin", "add a name": "Namen hinzufügen",
        "user id": "flinkey-Benutzer-ID", "department": "Abteilung", "save": "Speichern",
        "named": f"{NAME} ist jetzt der Name des flinkey-Benutzers {USER}", "map": "Karte",
        "menu": "Menü",
        "fleet map": "Fuhrparkkarte",
        "on the map": r"^(\d+) von 62 Fahrzeugen auf der Karte$",
        "last 7 days": "Letzte 7 Tage", "stops and trips": "Standzeiten und Fahrten",
        "no positions": "Keine Positionen in diesem Zeitraum.",
        "record an event": "Ereignis erfassen", "record event": "Ereignis erfassen",
        "closed": "Das Fahrzeug wurde geschlossen", "when": "Zeitpunkt",
        "person": "Person oder flinkey-Benutzer-ID",
        "zones": "In Europe/Berlin (Ihre Zeitzone); wird in UTC und als Ortszeit des "
        "Fahrzeugs in Europe/Berlin (der Zeitzone der Flotte) an flinkey gesendet.",
        "recorded": "Das Ereignis wurde erfasst",
    },
}


@pytest.fixture
def day(page, dashboard, flinkey_api, console_problems, request):
    """A signed-in administrator in the journey's language, zone and width, with one event of
    flinkey user 306 on the car; then the sandbox starts revoking tokens and answering late."""
    language, width = request.node.callspec.params["language"], request.node.callspec.params[
        "width"]
    words = WORDS[language]
    # Seeded before the faults: add_event is the flinkey app, not the dashboard under test.
    add_event(flinkey_api, at=datetime.now(UTC) - timedelta(days=2), user_id=USER)
    user = make_user("ada", role=ROLE_ADMIN)
    preferences.save_preferences(user=user, language=language, time_zone=words["zone"])
    page.set_viewport_size(VIEWPORTS[width])
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.alerts = alerts
    flinkey_api.faults.revoke_token_every = 3
    flinkey_api.faults.latency = 0.02
    signed_in_as(page, dashboard, "ada")
    return page, words


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_fleet_manager_s_day(day, dashboard, flinkey_api, tmp_path, console_problems,
                               language, width):
    page, words = day
    steps = [
        lambda: name_a_person(page, dashboard, words),
        lambda: read_the_fleet_map(page, words, phone=width == "phone"),
        lambda: drive_last_7_days(page, dashboard, words, tmp_path,
                                  flinkey_api.store.cars[DEMO.customer_id][DEMO.car_id]["name"]),
        lambda: show_an_event_on_its_map(page, dashboard),
        lambda: record_an_event(page, dashboard, words),
    ]
    for number, step in enumerate(steps, 1):
        step()
        # Every page came out whole: no refusal, no failure, no CSP violation reached the
        # browser (checked after each step, so a failure names its step).
        assert page.alerts == [], f"step {number}"
        assert console_problems == [], f"step {number}"
    # The day went through refusals (else it would prove nothing about them).
    assert flinkey_api.faults.tokens_revoked > 10
    # flinkey got the event of 306 in the fleet's local time (the vendor's `dateTime`).
    flinkey_api.faults.revoke_token_every = 0
    event = recorded(flinkey_api)[-1]
    assert event.user_id == USER and event.type == "CarClosed"
    assert event.local_date_time == event.utc_date_time.astimezone(
        ZoneInfo(FLEET_ZONE)).replace(tzinfo=None)


def name_a_person(page, dashboard, words):
    """An admin names flinkey user 306 from the car's timeline and sees the name there."""
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    rows = page.locator("#timeline-rows tr.event")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".event-user")).to_contain_text(str(USER))
    rows.first.get_by_role("link", name=words["add a name"]).click()
    expect(page.get_by_label(words["user id"])).to_have_value(str(USER))
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label(words["department"]).fill("Werkstatt")
    page.get_by_role("button", name=words["save"]).click()
    expect(page).to_have_url(re.compile(rf"/cars/{CAR}/events/"))
    expect(page.locator("#status")).to_contain_text(words["named"])
    expect(rows.first.locator(".person-name")).to_have_text(NAME)
    expect(page.get_by_role("link", name=words["add a name"])).to_have_count(0)
    settled(page)


def read_the_fleet_map(page, words, phone):
    """The fleet map: legend, markers, every car listed beside it (under it on a phone), a
    focused row highlights its marker."""
    if phone:  # the menu is folded behind its toggle
        toggle = page.get_by_role("link", name=words["menu"])
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name=words["map"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["fleet map"])
    fleet = page.locator("#fleet-map")
    expect(fleet).to_have_attribute("data-loaded", "true", timeout=20_000)
    expect(page.locator("#fleet-progress-text")).to_have_text(re.compile(words["on the map"]))
    expect(page.locator("#fleet-failures")).to_be_empty()
    expect(page.locator("#fleet-legend li").first).to_be_visible()
    assert page.locator("#fleet-legend li").count() >= 4  # three ages, open and closed
    located = int(fleet.get_attribute("data-located"))
    assert located > 10
    expect(page.locator(".leaflet-marker-pane .fleet-marker, .leaflet-marker-pane "
                        ".marker-cluster").first).to_be_visible()
    cars = page.locator("#fleet-list li.fleet-car")
    expect(cars).to_have_count(62)
    drawn, listed = fleet.bounding_box(), page.locator("#fleet-list").bounding_box()
    if phone:
        assert listed["y"] >= drawn["y"] + drawn["height"], "the list is not under the map"
    else:
        assert listed["x"] >= drawn["x"] + drawn["width"], "the list is not beside the map"
    expect(page.locator('#fleet-list li.fleet-car[data-state="located"]')).to_have_count(located)
    row = page.locator('#fleet-list li.fleet-car[data-state="located"]').first
    row.focus()
    expect(page.locator(".leaflet-marker-pane .fleet-active")).to_have_count(1)
    expect(row).to_be_in_viewport()


def drive_last_7_days(page, dashboard, words, tmp_path, car_name):
    """The car's last 7 days: drawn, kept in the fields, stops and trips listed; then its GPX."""
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/")
    page.get_by_role("link", name=words["last 7 days"]).click()
    expect(page).to_have_url(re.compile(r"\?period=7d$"))
    route = page.locator("#car-route")
    expect(route).not_to_have_attribute("aria-busy", "true", timeout=ROUTE_TIMEOUT)
    expect(page.locator("#route-loading")).to_have_count(0)
    expect(page.locator("#route-partial")).to_have_count(0)  # no sample lost to a refusal
    zone = ZoneInfo(words["zone"])
    first, last = (page.locator(field).input_value() for field in ("#route-from", "#route-to"))
    start, end = (datetime.strptime(re.sub(r"^(\d\d)\.(\d\d)\.(\d{4})", r"\3-\2-\1", text),
                                    "%Y-%m-%d %H:%M").replace(tzinfo=zone)
                  for text in (first, last))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7)
    expect(page.locator("#route-summary")).to_contain_text(first)
    timeline, empty = page.locator("#route-timeline"), page.locator("#route-empty")
    expect(timeline.or_(empty)).to_be_visible()
    if empty.count():
        expect(empty).to_have_text(words["no positions"])
    else:
        expect(page.locator("#route-timeline-title")).to_have_text(words["stops and trips"])
        expect(timeline.locator("tbody tr").first).to_be_visible()
        expect(page.locator("#car-route-canvas path.map-path")).to_have_count(1)
    # The same 7 days as a GPX track, a valid XML file with the drawn positions.
    settled(page)
    with page.expect_download() as info:
        page.locator("#route-download-gpx").click()
    download = info.value
    assert download.suggested_filename.endswith(".gpx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    root = ElementTree.parse(path).getroot()  # noqa: S314 (our own file): valid XML
    gpx = {"g": "http://www.topografix.com/GPX/1/1"}
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    assert root.find("g:trk/g:name", gpx).text.startswith(car_name)
    points = root.findall("g:trk/g:trkseg/g:trkpt", gpx)
    positions = int(re.search(r"(\d+)\D*$", page.locator("#route-summary").text_content()
                              .split("·")[0]).group(1))
    # The download asks for "the last 7 days" again, a little later than the page did: a
    # sample may have entered or left the window's edge in between.
    assert abs(len(points) - positions) <= 1, (len(points), positions)


def show_an_event_on_its_map(page, dashboard):
    """A box-only car's event: "Show on map" opens the event's own coordinates."""
    page.goto(f"{dashboard}/cars/{DEMO.box_only_car_id}/events/")
    settled(page)
    expect(page.locator("svg.event-icon").first).to_be_visible()
    link = page.locator("a.event-map").first
    coordinates = link.locator("xpath=following-sibling::span[1]").inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/events/\d+/#event-location$"))
    canvas = page.locator("#event-map-canvas")
    expect(canvas).to_have_attribute("data-map-ready", "true")
    expect(canvas.locator("path.map-car")).to_have_count(1)
    marker = page.evaluate("""() => {
        const data = JSON.parse(document.getElementById('event-map-data').textContent);
        return data.marker.lat.toFixed(5) + ', ' + data.marker.lon.toFixed(5);
    }""")
    assert marker == coordinates
    settled(page)


def record_an_event(page, dashboard, words):
    """Record "closed" by 306, picked by name; the form says which zones it means."""
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    settled(page)
    page.get_by_role("link", name=words["record an event"]).click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_moment_helptext")).to_have_text(words["zones"])
    dialog.get_by_label(words["closed"]).check()
    moment = datetime.now(ZoneInfo(words["zone"])) - timedelta(hours=2)
    dialog.get_by_label(words["when"]).fill(moment.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_label(words["person"]).fill(NAME)
    dialog.get_by_role("button", name=words["record event"]).click()
    expect(dialog).to_be_hidden()
    new = page.locator("#timeline-rows tr.event-new")
    expect(new).to_have_count(1)
    expect(new.locator(".person-name")).to_have_text(NAME)
    expect(page.locator("#status")).to_contain_text(words["recorded"])
