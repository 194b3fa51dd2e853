"""The home page in Chromium: its two charts draw under the strict CSP, and each has its table."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from config.testing import make_user
from fleetstore.tests.conftest import make_fleet
from overview.tests.conftest import fill
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
    fill(make_fleet(flinkey_api.url, synced_at=timezone.now() - timedelta(minutes=3)))
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
