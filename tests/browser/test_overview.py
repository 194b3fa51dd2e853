"""The home page in Chromium: its two charts draw under the strict CSP, and each has its table;
in a zone without roll-up they arrive by the page's poll once the worker has rolled it up."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from config.testing import make_user
from fleetstore.tests.conftest import make_fleet
from overview.tests.conftest import fill, roll_up
from tests.browser.conftest import log_in, settled
from tests.browser.test_csp import LISTEN

# How many pixels of a canvas are painted (not transparent): 0 for a chart never drawn.
PAINTED = """canvas => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
    return painted;
}"""


def test_the_charts_draw_under_the_csp_and_have_tables(page, dashboard, flinkey_api,
                                                       console_problems):
    make_user("fm")
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now() - timedelta(minutes=3))
    fill(fleet)
    roll_up(fleet)
    page.add_init_script(LISTEN)

    log_in(page, dashboard, "fm")

    expect(page).to_have_url(f"{dashboard}/")
    settled(page)
    expect(page.locator("main h1")).to_have_text("Overview")
    expect(page.locator("#tile-cars .tile-value")).not_to_have_text("0")
    for chart in ("#chart-events", "#chart-km"):
        canvas = page.locator(chart)
        expect(canvas).to_have_attribute("data-drawn", "true")
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 100, (chart, box)
        assert canvas.evaluate(PAINTED) > 500, f"{chart} shows nothing"
    # The table alternatives: folded, one row a day, opened by a click (or a screen reader).
    for table, summary in (("#table-events", 0), ("#table-km", 1)):
        expect(page.locator(table)).to_be_hidden()
        page.get_by_text("Show as a table").nth(summary).click()
        expect(page.locator(f"{table} tbody tr")).to_have_count(30)
    assert page.evaluate("window.__cspViolations") == []
    assert console_problems == []


def test_in_a_zone_without_roll_up_the_charts_arrive_by_the_poll(page, dashboard, flinkey_api,
                                                                 console_problems):
    from overview.tasks import roll_up_fleet

    make_user("fm")
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now() - timedelta(minutes=3))
    fill(fleet)  # not rolled up: the worker is not running
    page.add_init_script(LISTEN)

    log_in(page, dashboard, "fm")

    expect(page).to_have_url(f"{dashboard}/")
    # The tiles at once, the charts being prepared (the day tiles too).
    expect(page.locator("#tile-cars .tile-value")).not_to_have_text("0")
    expect(page.locator("#home-charts-preparing")).to_contain_text("Preparing the charts…")
    expect(page.locator("#tile-events-today")).to_contain_text("Preparing…")
    page.wait_for_timeout(2500)  # one poll answered: still preparing
    expect(page.locator("#home-charts-preparing")).to_be_visible()
    # The worker rolls the zone up: the next poll brings the charts, drawn, and the tiles.
    assert roll_up_fleet.call(fleet.pk) == "rolled up 1 zones"
    expect(page.locator("#chart-events")).to_have_attribute("data-drawn", "true", timeout=10_000)
    expect(page.locator("#chart-km")).to_have_attribute("data-drawn", "true")
    settled(page)
    assert page.locator("#chart-km").evaluate(PAINTED) > 500
    expect(page.locator("#tile-events-today .tile-value")).to_have_attribute("data-value",
                                                                              re.compile(r"\d+"))
    expect(page.locator("#home-charts-preparing")).to_have_count(0)
    # The poll has stopped: nothing more asked in the next seconds.
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.wait_for_timeout(3000)
    assert requests == []
    page.get_by_text("Show as a table").nth(1).click()
    expect(page.locator("#table-km tbody tr")).to_have_count(30)
    assert page.evaluate("window.__cspViolations") == []
    assert console_problems == []
