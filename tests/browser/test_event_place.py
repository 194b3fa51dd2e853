"""An event's "Show on map" in Chromium: the event's own place, also for a car without an IQ,
and the opened/closed marks drawn as SVG (no emoji font needed)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, unexpected
from tests.browser.test_accessibility import axe_page, findings, sign_in


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


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_new_screens_have_no_serious_accessibility_findings(dashboard, new_browser_context,
                                                                width, language):
    # The event's place and the route's download links, as test_accessibility checks the rest.
    make_user("ada", role=ROLE_ADMIN)
    page = axe_page(new_browser_context, width=width, language=language)
    page.goto(f"{dashboard}/login/")
    sign_in(page, "ada")
    page.goto(f"{dashboard}/cars/{DEMO.box_only_car_id}/events/")
    settled(page)
    event_url = page.locator("a.event-map").first.get_attribute("href")
    problems = {}
    for screen in (event_url, f"/cars/{DEMO.car_id}/map/?period=24h"):
        page.goto(f"{dashboard}{screen}")
        settled(page)
        problems[screen] = findings(page)
    found = {screen: found for screen, found in problems.items() if found}
    assert not found, found
