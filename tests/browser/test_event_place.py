"""An event's "Show on map" in Chromium: the event's own place, also for a car without an IQ,
and the opened/closed marks drawn as SVG (no emoji font needed)."""

import re

from playwright.sync_api import expect

from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, unexpected


def test_show_on_map_opens_the_events_own_place_for_a_box_only_car(manager_page, dashboard,
                                                                   console_problems):
    page = manager_page
    page.goto(f"{dashboard}/cars/{DEMO.box_only_car_id}/events/")
    settled(page)
    # The marks are SVG with a size, and the kind's words are still there as text.
    icon = page.locator("svg.event-icon").first
    expect(icon).to_be_visible()
    assert icon.bounding_box()["width"] > 8
    assert icon.get_attribute("aria-hidden") == "true"
    link = page.locator("a.event-map").first
    coordinates = link.locator("xpath=following-sibling::span[1]").inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/events/\d+/#event-location$"))
    settled(page)
    expect(page.locator("#event-location")).to_be_visible()
    canvas = page.locator("#event-map-canvas")
    expect(canvas).to_have_attribute("data-map-ready", "true")
    expect(canvas.locator("path.map-car")).to_have_count(1)  # the event's marker
    expect(page.get_by_text("No flinkey IQ")).to_have_count(0)
    center = page.evaluate("""() => {
        const data = JSON.parse(document.getElementById('event-map-data').textContent);
        return data.marker.lat.toFixed(5) + ', ' + data.marker.lon.toFixed(5);
    }""")
    assert center == coordinates
    assert page.alerts == [] and not unexpected(console_problems)
