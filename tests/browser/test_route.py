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
