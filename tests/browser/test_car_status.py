"""The car list with status in Chromium: a filter by keyboard, then pages that keep it."""

import re

from playwright.sync_api import expect

from config.testing import make_user
from tests.browser.conftest import rows, settled, signed_in_as, unexpected


def test_a_filter_by_keyboard_and_its_pages(page, dashboard, flinkey_api, settings,
                                            console_problems):
    from django.utils import timezone

    from fleetstore import sync
    from fleetstore.models import StoredCar, StoredProduct
    from fleetstore.tests.conftest import make_fleet

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    fleet = make_fleet(flinkey_api.url)
    sync.full_sync(fleet.pk)
    cars = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True)
    without_iq = sorted((car.name, car.car_id) for car in cars if car.has_iq is False)
    now = timezone.now()
    ended = {product.car.car_id for product in StoredProduct.objects.filter(
        car__fleet=fleet, service_ends_at__lte=now).select_related("car")}
    assert len(without_iq) > 20 and ended

    make_user("fm")
    signed_in_as(page, dashboard, "fm")
    page.goto(f"{dashboard}/cars/?size=10")
    settled(page)
    expect(page.locator("#car-count")).to_have_text(f"1–10 of {cars.count()}")

    # "No IQ" by keyboard: Tab onto the box, Space ticks it, the table follows.
    page.get_by_label("Open now").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("No IQ")).to_be_focused()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/cars/\?size=10&iq=none$"))
    expect(page.locator("#car-count")).to_have_text(f"1–10 of {len(without_iq)}")
    expect(rows(page)).to_have_count(10)
    expect(rows(page).first).to_have_id(f"car-row-{without_iq[0][1]}")

    # The next page keeps the filter; so does the way back.
    settled(page)
    page.locator("#car-page-next").click()
    expect(page).to_have_url(re.compile(r"/cars/\?page=2&size=10&iq=none$"))
    expect(page.locator("#car-count")).to_have_text(f"11–20 of {len(without_iq)}")
    expect(rows(page).first).to_have_id(f"car-row-{without_iq[10][1]}")
    for cell in page.locator('#car-rows td[data-label="Devices"]').all():
        expect(cell).not_to_contain_text("IQ")
    expect(page.get_by_label("No IQ")).to_be_checked()

    # A second filter from the keyboard starts again at page 1, both filters in the URL.
    settled(page)
    page.get_by_label("Service end").select_option("ended")
    expect(page).to_have_url(re.compile(r"/cars/\?size=10&service=ended&iq=none$"))
    expected = sorted(car.car_id for car in cars if car.has_iq is False
                      and car.car_id in ended)
    expect(rows(page)).to_have_count(len(expected) or 0)
    shown = sorted(int(row.get_attribute("id").removeprefix("car-row-"))
                   for row in rows(page).all())
    assert shown == expected

    # Back in the browser's history: page 2 of "No IQ" again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cars/\?page=2&size=10&iq=none$"))
    expect(page.locator("#car-count")).to_have_text(f"11–20 of {len(without_iq)}")
    assert unexpected(console_problems) == []


def test_the_list_with_status_has_no_serious_accessibility_findings(dashboard,
                                                                    new_browser_context,
                                                                    flinkey_api, settings):
    from fleetstore import sync
    from fleetstore.tests.conftest import make_fleet
    from tests.browser.test_accessibility import axe_page, findings, sign_in

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    sync.full_sync(make_fleet(flinkey_api.url).pk)
    make_user("fm")
    found = {}
    for width in ("desktop", "phone"):
        page = axe_page(new_browser_context, width=width, language="de")
        page.goto(f"{dashboard}/login/")
        sign_in(page, "fm")
        for query in ("", "?service=ended&iq=none", "?state=open&q=zzz"):
            page.goto(f"{dashboard}/cars/{query}")
            settled(page)
            found[f"{width} {query}"] = findings(page)
    assert not any(found.values()), found


def test_a_status_column_sorted_by_keyboard_keeps_the_filter_and_pages(
        page, dashboard, flinkey_api, settings, console_problems):
    from fleetstore import sync
    from fleetstore.models import StoredCar
    from fleetstore.tests.conftest import make_fleet

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    fleet = make_fleet(flinkey_api.url)
    sync.full_sync(fleet.pk)
    without_iq = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True, has_iq=False)
    # Highest odometer first, the cars without one last, names breaking ties.
    known = sorted((car for car in without_iq if car.odometer is not None),
                   key=lambda car: (-car.odometer, car.name, car.car_id))
    unknown = sorted((car for car in without_iq if car.odometer is None),
                     key=lambda car: (car.name, car.car_id))
    expected = [car.car_id for car in known + unknown]
    assert len(expected) > 10

    make_user("fm")
    signed_in_as(page, dashboard, "fm")
    page.goto(f"{dashboard}/cars/?size=10&iq=none")
    settled(page)

    # The Odometer header is a link: Enter sorts ascending, Enter again descending.
    header = page.locator("th:has(#car-sort-odometer)")
    page.locator("#car-sort-odometer").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cars/\?sort=odometer&size=10&iq=none$"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    settled(page)
    page.locator("#car-sort-odometer").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cars/\?sort=-odometer&size=10&iq=none$"))
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator("th[aria-sort]")).to_have_count(1)
    shown = [int(row.get_attribute("id").removeprefix("car-row-")) for row in rows(page).all()]
    assert shown == expected[:10]

    # The next page continues the order; the filter and the sort stay.
    settled(page)
    page.locator("#car-page-next").click()
    expect(page).to_have_url(re.compile(r"/cars/\?sort=-odometer&page=2&size=10&iq=none$"))
    expect(rows(page).first).to_have_id(f"car-row-{expected[10]}")
    expect(page.get_by_label("No IQ")).to_be_checked()
    expect(page.locator("#car-sort")).to_have_value("-odometer")
    assert unexpected(console_problems) == []
