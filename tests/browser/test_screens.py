"""The defects found on the car screens, each in a real browser: none may come back."""

import re

import pytest
from playwright.sync_api import expect

from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import rows, settled, signed_in_as, unexpected

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fm_page(page, dashboard):
    make_user("fm")
    signed_in_as(page, dashboard, "fm")
    page.goto(f"{dashboard}/cars/")  # signing in lands on the home page
    settled(page)
    return page


def test_an_action_on_a_car_deleted_meanwhile_never_blanks_the_page_in_debug(
    fm_page, dashboard, flinkey_api, settings, console_problems
):
    settings.DEBUG = True  # the demo's setting, where django-htmx's handler blanked the page
    page = fm_page
    page.reload()
    settled(page)
    first = rows(page).first
    car_id = int(first.get_attribute("id").removeprefix("car-row-"))
    del flinkey_api.store.cars[DEMO.customer_id][car_id]  # someone else deleted it
    first.get_by_role("link", name=re.compile("^Edit ")).click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Car not found")
    expect(page.locator(".topnav")).to_be_visible()  # still the app, not a blank page
    expect(page.locator(f"#car-row-{car_id}")).to_have_count(0)  # the list is true again
    assert unexpected(console_problems) == []


def test_phones_sort_with_a_menu(page, dashboard, console_problems):
    make_user("phone")
    page.set_viewport_size(PHONE)
    signed_in_as(page, dashboard, "phone")
    page.goto(f"{dashboard}/cars/")
    settled(page)
    assert page.locator("#car-table thead").is_hidden()
    first = rows(page).first.locator(".car-name").inner_text()
    page.get_by_label("Sort by").select_option("-name")
    expect(page).to_have_url(f"{dashboard}/cars/?sort=-name")
    expect(rows(page).first.locator(".car-name")).not_to_have_text(first)
    settled(page)
    expect(page.get_by_label("Sort by")).to_have_value("-name")
    assert console_problems == []


def test_escape_shuts_the_phone_menu_and_gives_focus_back_to_its_toggle(page, dashboard,
                                                                         console_problems):
    make_user("phone3")
    page.set_viewport_size(PHONE)
    signed_in_as(page, dashboard, "phone3")
    toggle, menu = page.locator("a.menu-toggle"), page.locator("#site-menu")
    expect(menu).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="Cars").focus()  # somewhere in the menu
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")  # and open again from there
    expect(menu).to_be_visible()
    assert unexpected(console_problems) == []


def test_next_brings_the_table_top_into_view_on_a_phone(page, dashboard, console_problems):
    make_user("phone2")
    page.set_viewport_size(PHONE)
    signed_in_as(page, dashboard, "phone2")
    page.goto(f"{dashboard}/cars/")
    settled(page)
    page.get_by_role("link", name="Next →").scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 1000  # far down, at the pager
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".pager")).to_contain_text("cars 26–50")
    settled(page)
    top = page.evaluate("() => document.getElementById('car-table').getBoundingClientRect().top")
    assert -2 <= top < PHONE["height"] / 2  # (sub-pixel rounding)
    assert console_problems == []


def test_escape_asks_before_throwing_away_what_was_typed(fm_page, console_problems):
    page = fm_page
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if len(asked) > 1 else dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("link", name="New car").click()
    form = page.locator("dialog#dialog")
    expect(form).to_be_visible()
    settled(page)
    page.keyboard.press("Escape")  # nothing typed yet: closes without asking
    expect(form).to_be_hidden()
    assert asked == []

    page.get_by_role("link", name="New car").click()
    expect(form).to_be_visible()
    settled(page)
    page.get_by_label("Name").fill("Half typed")
    page.keyboard.press("Escape")
    expect(form).to_be_visible()  # dismissed: kept open with the text
    expect(page.get_by_label("Name")).to_have_value("Half typed")
    page.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()  # accepted the second time
    assert asked == ["Discard what you typed?", "Discard what you typed?"]
    assert console_problems == []


def test_the_vin_is_checked_while_typing(fm_page, flinkey_api, console_problems):
    page = fm_page
    other = next(car for car in flinkey_api.store.cars[DEMO.customer_id].values()
                 if car.get("vin") and car["id"] != DEMO.car_id)
    page.goto(page.url.split("/cars/")[0] + f"/cars/{DEMO.car_id}/")
    settled(page)
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("dialog#dialog")).to_be_visible()
    settled(page)
    page.get_by_label("VIN").fill("ABC")
    expect(page.locator("#id_vin_warnings")).to_contain_text("does not look like a 17-character")
    page.get_by_label("VIN").fill(other["vin"].lower())
    expect(page.locator("#id_vin_warnings")).to_contain_text(
        "Another car of this customer already has this VIN")
    expect(page.locator("#id_vin_warnings")).to_contain_text(other["name"])
    assert console_problems == []


def test_counters_stay_true_after_create_and_delete(fm_page, console_problems):
    page = fm_page
    page.get_by_label("Cars per page").select_option("10")
    expect(rows(page)).to_have_count(10)
    settled(page)
    page.get_by_role("link", name="New car").click()
    page.get_by_label("Name").fill("zzz pinned")
    page.get_by_role("button", name="Create car").click()
    expect(page.locator("#car-count")).to_contain_text("cars 1–10 · and the new car above")
    expect(rows(page)).to_have_count(11)
    # Deleted from its page: back on the same list, whose counters are true again.
    page.locator("#car-rows").get_by_role("link", name="zzz pinned", exact=True).click()
    settled(page)
    page.get_by_role("link", name="Delete", exact=True).click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label(re.compile("^Type the car's name")).fill("zzz pinned")
    dialog.get_by_role("button", name="Delete “zzz pinned”").click()
    expect(page.locator("#status")).to_contain_text("was deleted")
    expect(rows(page)).to_have_count(10)
    expect(page.locator("#car-count")).to_have_text("Page 1 · cars 1–10")
    assert console_problems == []
