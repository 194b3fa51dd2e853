"""Maps to take away in Chromium: the downloaded HTML map opens offline, draws the route and its
markers, and a hostile car name stays text (no dialog, no script)."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from flinkey_sandbox import DEMO
from tests.browser.conftest import settled

# Every way a name has broken folium's pages: closing the script, a template literal's
# placeholder, a backtick, a backslash escape.
HOSTILE = "Wagen </script><script>alert(1)</script> ${alert(2)} `x` \\1"


def downloaded(page, link_id, tmp_path):
    with page.expect_download() as info:
        page.locator(f"#{link_id}").click()
    download = info.value
    assert re.fullmatch(r"[A-Za-z0-9-]+-\d{4}-\d\d-\d\d\.html", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return target


def open_offline(browser, path):
    """Open `path` in a fresh context where every request fails; dialogs are recorded."""
    context = browser.new_context()
    page = context.new_page()
    requests, dialogs = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def refuse(route):
        requests.append(route.request.url)
        route.abort()

    page.route("**/*", refuse)
    page.set_content(path.read_text(encoding="utf-8"))
    page.wait_for_load_state()
    page.wait_for_timeout(300)  # a late script would have fired by now
    return context, page, requests, dialogs


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_route_downloads_as_an_offline_map_and_a_hostile_name_is_text(
        manager_page, dashboard, flinkey_api, browser, tmp_path, language):
    flinkey_api.store.cars[DEMO.customer_id][DEMO.car_id]["name"] = HOSTILE
    page = manager_page
    # The language a user picked (Django's language cookie), as the switcher sets it.
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                               "url": dashboard}])
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/?period=24h")
    settled(page)
    path = downloaded(page, "route-download-html", tmp_path)

    context, offline, requests, dialogs = open_offline(browser, path)
    try:
        assert dialogs == []
        assert offline.evaluate("typeof L") == "object"  # Leaflet ran from the file itself
        expect(offline.locator("#takeaway-heading")).to_contain_text(HOSTILE)
        expect(offline.locator("#takeaway-facts")).to_contain_text("Europe/Berlin")
        assert offline.locator(".leaflet-overlay-pane path").count() >= 2  # route + stops
        assert offline.locator("#takeaway-table tbody tr").count() >= 1
        # Nothing but map tiles was asked from the network.
        assert all("tile" in url for url in requests), requests
        heading = "Route von" if language == "de" else "Route of"
        expect(offline.locator("#takeaway-heading")).to_contain_text(heading)
    finally:
        context.close()


def test_a_moment_downloads_as_an_offline_map_with_its_marker(
        manager_page, dashboard, flinkey_api, browser, tmp_path):
    flinkey_api.store.cars[DEMO.customer_id][DEMO.car_id]["name"] = HOSTILE
    page = manager_page
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/map/?at=2099-01-01T00:00")
    settled(page)
    path = downloaded(page, "moment-download", tmp_path)

    context, offline, requests, dialogs = open_offline(browser, path)
    try:
        assert dialogs == []
        assert offline.evaluate("typeof L") == "object"
        marker = offline.locator("img.leaflet-marker-icon")
        expect(marker).to_have_count(1)
        assert marker.get_attribute("src").startswith("data:image/png;base64,")
        expect(offline.locator("#takeaway-heading")).to_contain_text(HOSTILE)
        marker.hover()
        expect(offline.locator(".leaflet-tooltip")).to_contain_text("Position at")
        assert all("tile" in url for url in requests), requests
    finally:
        context.close()
