"""A car's route in Chromium (#19): the page shows at once and the route follows with its
progress; after "Last 7 days" the fields hold the 7 days drawn, and "Show route" draws them
again; the line breaks where the data has a gap.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from flinkey_sandbox import DEMO
from tests.browser.test_maps import map_page, unexpected, violations  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def test_a_cold_route_shows_progress_and_7_days_stay_7_days(map_page, dashboard,  # noqa: F811
                                                             flinkey_api, console_problems):
    page = map_page
    # One sample answers late: the route region says it is loading meanwhile.
    flinkey_api.faults.hang_next(f"/cars/{DEMO.car_id}/location/", seconds=2, count=1)
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/")
    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(re.compile(r"\?period=7d$"))
    loading = page.locator("#route-loading")
    expect(loading).to_have_text("Loading the route…")
    expect(loading).to_have_attribute("role", "status")
    expect(page.locator("#car-route")).to_have_attribute("aria-busy", "true")
    # Then the route, and the indicator is gone.
    expect(page.locator("#replay[data-ready=true]")).to_be_visible(timeout=30_000)
    expect(loading).to_have_count(0)
    expect(page.locator("#car-route-canvas path.map-path")).to_have_count(1)
    first, last = page.locator("#route-from").input_value(), page.locator("#route-to").input_value()
    # In the user's zone (Berlin): 7 days apart, whatever a daylight-saving change does.
    berlin = ZoneInfo("Europe/Berlin")
    start, end = (datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=berlin)
                  for text in (first, last))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7)
    summary = page.locator("#route-summary")
    expect(summary).to_contain_text(first)
    # "Show route" sends the fields: the same 7 days again, not 24 hours.
    page.get_by_role("button", name="Show route").click()
    expect(page).to_have_url(re.compile(r"from=.*&to="))
    expect(page.locator("#replay[data-ready=true]")).to_be_visible(timeout=30_000)
    expect(page.locator("#route-from")).to_have_value(first)
    expect(page.locator("#route-to")).to_have_value(last)
    expect(summary).to_contain_text(first)
    assert violations(page) == [] and unexpected(console_problems) == []


def test_the_line_breaks_at_a_gap_and_stops_and_trips_are_listed(map_page, dashboard,  # noqa: F811
                                                                 flinkey_api, console_problems):
    from django.utils import timezone

    from flinkey_sandbox.state import History
    from maps.tests.test_route_truth import drive

    # A trip, then 3 hours without a position while the car crossed the city, a trip there.
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    t = int((end - timedelta(hours=6)).timestamp())
    history = History()
    km = drive(history, t, 30, 48.10, 11.50, 1000.0)
    drive(history, t + 1800 + 3 * 3600, 20, 48.20, 11.65, km + 15)
    flinkey_api.store.locations[DEMO.iq_only_car_id] = history
    page = map_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{dashboard}/cars/{DEMO.iq_only_car_id}/map/?period=24h")
    canvas = page.locator("#car-route-canvas[data-map-ready=true]")
    expect(canvas).to_have_attribute("data-parts", "2", timeout=30_000)
    expect(canvas.locator("path.map-path")).to_have_count(1)  # one path, two parts
    # Leaflet holds two lines, none across the gap.
    parts = page.evaluate("""() => {
        let parts = null;
        document.getElementById('car-route-canvas').leafletMap.eachLayer((layer) => {
            if (layer.options.className === 'map-path') parts = layer.getLatLngs().length;
        });
        return parts;
    }""")
    assert parts == 2
    expect(page.locator("#route-timeline tr.route-gap")).to_have_count(1)
    expect(page.locator("#route-timeline tr.route-trip")).to_have_count(2)
    expect(page.locator("#route-timeline tr.route-gap")).to_contain_text(
        "No position while the car moved")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    assert violations(page) == [] and unexpected(console_problems) == []
