"""The cars screens in Chromium: find, open, edit, create, delete; hostile names stay text."""

import re

from playwright.sync_api import expect

from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import rows, settled, signed_in_as, unexpected

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "Caddy `${alert(2)}` Nord",
    "Corsa ${alert(3)} Süd",
]



def test_search_open_edit_create_delete(manager_page, dashboard, console_problems):
    page = manager_page
    # Search as you type: the list narrows and the URL follows.
    page.get_by_label("Search", exact=True).fill("o'brien")
    expect(rows(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/cars/\?q=o%27brien"))
    expect(rows(page).first).to_contain_text("O'Brien's ID.3")

    # Open the car; its devices load by themselves.
    page.get_by_role("link", name="O'Brien's ID.3", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("O'Brien's ID.3")
    expect(page.locator("#car-products")).not_to_contain_text("Loading devices")
    expect(page.locator("#car-products h2")).to_have_text("Devices")

    # Edit in the dialog: the panel updates, the dialog closes.
    settled(page)
    page.get_by_role("link", name="Edit", exact=True).click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Model").fill("ID.3 Pro S")
    page.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#car-details")).to_contain_text("ID.3 Pro S")
    expect(page.locator("#status")).to_contain_text("was saved")

    # Back to the list keeps the search.
    page.get_by_role("link", name="← Back to the cars").click()
    expect(page.get_by_label("Search", exact=True)).to_have_value("o'brien")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("ID.3 Pro S")

    # Create from the list without leaving it.
    page.get_by_role("link", name="New car").click()
    expect(dialog).to_be_visible()
    page.get_by_label("Name").fill("   ")
    page.get_by_label("Licence plate").fill("M-QQ 42")
    page.get_by_role("button", name="Create car").click()
    expect(dialog.locator("#id_name_error")).to_contain_text("Enter a name")
    expect(page.get_by_label("Licence plate")).to_have_value("M-QQ 42")  # nothing lost
    page.get_by_label("Name").fill("O'Brien's second car")
    page.get_by_role("button", name="Create car").click()
    expect(dialog).to_be_hidden()
    new_row = page.locator("#car-rows tr.car-new")
    expect(new_row).to_contain_text("O'Brien's second car")
    expect(new_row).to_contain_text("M-QQ 42")
    expect(page.locator("#status")).to_contain_text("was created")

    # Delete it from its page (not a row action), confirming by typing its name.
    new_row.get_by_role("link", name="O'Brien's second car", exact=True).click()
    settled(page)
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(dialog).to_contain_text("Delete the car “O'Brien's second car”?")
    expect(dialog.get_by_role("button", name="Keep it")).to_be_focused()
    delete = dialog.get_by_role("button", name="Delete “O'Brien's second car”")
    expect(delete).to_be_disabled()
    dialog.get_by_label(re.compile("^Type the car's name")).fill("O'Brien's second car ")
    expect(delete).to_be_enabled()
    delete.click()
    expect(page).to_have_url(re.compile(r"/cars/\?q=o%27brien"))
    expect(page.locator("#car-rows")).not_to_contain_text("O'Brien's second car")
    expect(page.locator("#status")).to_contain_text("was deleted")
    assert unexpected(console_problems) == []
    assert len(console_problems) <= 2  # the one 422 of the blank name


def test_hostile_names_are_text_everywhere(manager_page, dashboard, console_problems):
    page = manager_page
    dialog = page.locator("dialog#dialog")
    for name in HOSTILE:
        settled(page)
        page.get_by_role("link", name="New car").click()
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Create car").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#status")).to_contain_text(f"The car “{name}” was created.")
        new_row = page.locator("#car-rows tr.car-new")
        expect(new_row).to_have_count(1)
        expect(new_row.locator(".car-name")).to_have_text(name)

    for name in HOSTILE:
        settled(page)
        page.get_by_label("Search", exact=True).fill(name)
        link = page.locator("#car-rows").get_by_role("link", name=name, exact=True)
        expect(link).to_have_attribute("href", re.compile(r"\?q="))  # the search's answer
        expect(rows(page)).to_have_count(1 if "img" not in name else 2)  # + "Testwagen <img…"
        # The car page, the delete dialog and the edit dialog show it as typed.
        expect(page.locator("#car-rows").get_by_label(f"Select {name}", exact=True)
               ).to_have_count(1)
        link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page).to_have_title(f"{name} · fleetadmin")
        settled(page)
        page.get_by_role("link", name="Delete", exact=True).click()
        expect(dialog).to_be_visible()
        expect(dialog.locator("h2")).to_have_text(f"Delete the car “{name}”?")
        dialog.get_by_label(re.compile("^Type the car's name")).fill(name)
        expect(dialog.get_by_role("button", name=f"Delete “{name}”")).to_be_enabled()
        settled(page)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        settled(page)
        page.get_by_role("link", name="Edit", exact=True).click()
        expect(dialog).to_be_visible()
        expect(page.get_by_label("Name")).to_have_value(name)
        settled(page)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.go_back()

    assert page.locator("img").count() == 0
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0
    assert page.alerts == []
    assert console_problems == []


def test_keyboard_slash_escape_and_focus(manager_page, dashboard, console_problems):
    page = manager_page
    page.locator("body").click()
    page.keyboard.press("/")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()

    edit = page.locator("#car-rows tr").first.get_by_role("link", name=re.compile("^Edit "))
    edit.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(edit).to_be_focused()  # back where the person was
    assert console_problems == []


def test_sort_pages_and_the_back_button(manager_page, dashboard, console_problems):
    page = manager_page
    first_name = rows(page).first.locator(".car-name").inner_text()
    page.get_by_role("link", name="Name", exact=True).click()  # now descending
    expect(page).to_have_url(f"{dashboard}/cars/?sort=-name")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Name")
    page.get_by_label("Cars per page").select_option("10")
    expect(rows(page)).to_have_count(10)
    expect(page).to_have_url(re.compile(r"sort=-name.*size=10|size=10.*sort=-name"))
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".pager")).to_contain_text("cars 11–20")
    page.go_back()
    expect(page.locator(".pager")).to_contain_text("cars 1–10")
    page.go_back()
    expect(page).to_have_url(f"{dashboard}/cars/?sort=-name")
    expect(rows(page)).to_have_count(25)
    page.go_back()
    expect(page).to_have_url(f"{dashboard}/cars/")
    expect(rows(page).first.locator(".car-name")).to_have_text(first_name)
    assert console_problems == []


def test_an_api_failure_keeps_the_search(manager_page, dashboard, flinkey_api, console_problems):
    page = manager_page
    flinkey_api.faults.fail_next("/cars", status=500, count=10)
    page.get_by_label("Search", exact=True).fill("bmw")
    expect(page.get_by_role("alert")).to_contain_text("Internal server error.")
    expect(page.get_by_role("alert")).to_contain_text("Try again in a moment.")
    expect(page.get_by_label("Search", exact=True)).to_have_value("bmw")
    flinkey_api.faults.clear()
    page.get_by_role("link", name="Try again").click()
    expect(rows(page).first).to_be_visible()
    assert unexpected(console_problems) == []


def test_phone_width_shows_cards(page, dashboard, console_problems):
    make_user("phone")
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in_as(page, dashboard, "phone")
    page.goto(f"{dashboard}/cars/")
    first = rows(page).first
    expect(first).to_be_visible()
    assert page.locator("#car-table thead").is_hidden()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Compact rows: the actions are on the car's page.
    expect(first.get_by_role("link", name=re.compile("^Edit "))).to_be_hidden()
    first.locator("a.car-name").click()
    settled(page)
    page.get_by_role("link", name="Edit", exact=True).click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert console_problems == []


def test_support_sees_no_write_controls(page, dashboard, console_problems):
    make_user("helpdesk", role="support")
    signed_in_as(page, dashboard, "helpdesk")
    page.goto(f"{dashboard}/cars/")
    expect(rows(page).first).to_be_visible()
    expect(page.get_by_role("link", name="New car")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^(Edit|Delete) "))).to_have_count(0)
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/")
    expect(page.locator("#car-products table")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    assert console_problems == []
