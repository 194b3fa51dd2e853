"""Reports in Chromium: from the header to a report, its period chosen, its CSV downloaded."""

import csv
import io

from django.utils import timezone
from playwright.sync_api import expect

from reports.tests.conftest import ALPHA, PERSON, fill
from tests.browser.conftest import settled, unexpected


def test_a_manager_opens_the_mileage_report_and_downloads_its_csv(manager_page, dashboard,
                                                                   flinkey_api,
                                                                   console_problems):
    from fleetstore.tests.conftest import make_fleet
    from flinkey_sandbox import DEMO
    from people.models import Person

    store = fill(make_fleet(flinkey_api.url, synced_at=timezone.now()))
    Person.objects.create(api_url=flinkey_api.url, customer_id=DEMO.customer_id,
                          flinkey_user_id=DEMO.user_id, name=PERSON)
    samples = store.samples[ALPHA]
    # November 2026 (the browser's zone does not matter: the user's is the default, UTC).
    inside = [s for s in samples if s[0].year == 2026 and s[0].month == 11]
    before = [s for s in samples if (s[0].year, s[0].month) < (2026, 11)]
    km = round(inside[-1][3] - before[-1][3], 1)
    page = manager_page

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    settled(page)
    page.get_by_role("link", name="Mileage per car").click()
    settled(page)
    page.get_by_label("From", exact=True).fill("2026-11-01")
    page.get_by_label("To", exact=True).fill("2026-11-30")
    page.get_by_label("Cars", exact=True).select_option(str(ALPHA))
    page.get_by_role("button", name="Show").click()
    settled(page)

    table = page.locator("#report-table")
    expect(table).to_contain_text("Alpha")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td").nth(7)).to_have_text(f"{km:,.1f}")
    expect(page.locator("#per-day-table")).to_be_visible()
    # The per-day chart draws under the CSP (a console problem would fail the test below).
    expect(page.locator("#per-day-chart")).to_have_attribute("data-drawn", "true")

    with page.expect_download() as info:
        page.locator("#report-csv").click()
    download = info.value
    assert download.suggested_filename == "fleetadmin-mileage-20261101-20261130.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Car" and rows[1][0] == str(ALPHA) and rows[1][7] == str(km)
    assert not unexpected(console_problems)
