"""Retiring cars in Chromium: select on the list, export, delete several after one typed
confirmation, then one from its page after typing its name. In English and German, at
desktop and phone width, with axe over each new screen."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import rows, settled, unexpected
from tests.browser.test_accessibility import findings
from tests.browser.test_user_admin import WIDTHS, sign_in

# Box + IQ, nothing, Box only: renamed so that one search finds exactly these three.
CARS = {DEMO.car_id: "Retire A", DEMO.bare_car_id: "Retire B", DEMO.box_only_car_id: "Retire C"}
TEXT = {
    "en": {"select": "Select {}", "all": "Select all on this page",
           "export": "Export selected (CSV)", "delete_selected": "Delete selected…",
           "heading": "Delete 2 cars?", "carries": "This car still carries these devices:",
           "delete_two": "Delete 2 cars", "deleted_two": "2 cars were deleted.",
           "back": "Back to the cars", "delete": "Delete", "delete_one": "Delete “{}”",
           "deleted_one": "The car “{}” was deleted.", "csv_name": "Name"},
    "de": {"select": "{} auswählen", "all": "Alle auf dieser Seite auswählen",
           "export": "Ausgewählte exportieren (CSV)", "delete_selected": "Ausgewählte löschen …",
           "heading": "2 Fahrzeuge löschen?",
           "carries": "In diesem Fahrzeug sind noch diese Geräte eingebaut:",
           "delete_two": "2 Fahrzeuge löschen", "deleted_two": "2 Fahrzeuge wurden gelöscht.",
           "back": "Zurück zu den Fahrzeugen", "delete": "Löschen",
           "delete_one": "„{}“ löschen", "deleted_one": "Das Fahrzeug „{}“ wurde gelöscht.",
           "csv_name": "Name"},
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_retiring_cars(dashboard, new_browser_context, flinkey_api, language, width):
    text = TEXT[language]
    for car_id, name in CARS.items():
        flinkey_api.store.cars[DEMO.customer_id][car_id]["name"] = name
    make_user("fm")
    # bypass_csp only lets axe be injected; our own script is a static file either way.
    context = new_browser_context(bypass_csp=True, locale=language, accept_downloads=True,
                                  viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    sign_in(page, dashboard, "fm")

    # The list: a box per row, visible and big enough on phones too.
    page.goto(f"{dashboard}/cars/?q=retire")
    settled(page)
    expect(rows(page)).to_have_count(3)
    boxes = {name: page.get_by_label(text["select"].format(name), exact=True)
             for name in CARS.values()}
    for box in boxes.values():
        expect(box).to_be_visible()
        size = box.bounding_box()
        assert size["width"] >= (20 if width == "phone" else 16), size
    assert findings(page) == []

    # "Select all on this page" ticks every row; unticking a row unticks it again.
    select_all = page.get_by_label(text["all"])
    select_all.check()
    for box in boxes.values():
        expect(box).to_be_checked()
    boxes["Retire C"].uncheck()
    expect(select_all).not_to_be_checked()
    expect(boxes["Retire A"]).to_be_checked()

    # Export the two selected: a CSV of exactly them (German: BOM and ";", as Excel wants).
    with page.expect_download() as download:
        page.get_by_role("button", name=text["export"]).click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (language == "de")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")),
                            delimiter=";" if language == "de" else ","))
    assert table[0][1] == text["csv_name"]
    assert sorted(row[1] for row in table[1:]) == ["Retire A", "Retire B"]

    # Delete them: one confirmation naming both, and the devices the first still carries.
    page.get_by_role("button", name=text["delete_selected"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["heading"])
    cars = page.locator("#bulk-delete-cars > li")
    expect(cars).to_have_count(2)
    expect(cars.filter(has_text="Retire A")).to_contain_text(text["carries"])
    expect(cars.filter(has_text="Retire A")).to_contain_text("flinkey Box")
    expect(cars.filter(has_text="Retire A")).to_contain_text("flinkey IQ")
    expect(cars.filter(has_text="Retire B")).not_to_contain_text("flinkey Box")
    assert findings(page) == []
    delete = page.get_by_role("button", name=text["delete_two"])
    expect(delete).to_be_disabled()
    page.locator("input[name=confirm_count]").fill("3")
    expect(delete).to_be_disabled()
    page.locator("input[name=confirm_count]").fill(" 2")
    expect(delete).to_be_enabled()
    delete.click()
    expect(page.locator("#bulk-result-summary")).to_have_text(text["deleted_two"])
    expect(page.locator(f"#bulk-result-{DEMO.car_id}")).to_contain_text("Retire A")
    assert findings(page) == []
    assert DEMO.car_id not in flinkey_api.store.cars[DEMO.customer_id]
    page.get_by_role("link", name=text["back"]).click()
    settled(page)
    expect(page).to_have_url(re.compile(r"/cars/\?q=retire$"))
    expect(rows(page)).to_have_count(1)

    # The last one from its page: Delete is there, not in the row; its name typed.
    expect(rows(page).first.get_by_role("link", name=re.compile(text["delete"]))).to_have_count(0)
    page.get_by_role("link", name="Retire C", exact=True).click()
    settled(page)
    page.get_by_role("link", name=text["delete"], exact=True).click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("flinkey Box")  # the Box it still carries
    assert findings(page) == []
    confirm = dialog.get_by_role("button", name=text["delete_one"].format("Retire C"))
    expect(confirm).to_be_disabled()
    dialog.locator("input[name=confirm_name]").fill("retire c")  # exact, not case-blind
    expect(confirm).to_be_disabled()
    dialog.locator("input[name=confirm_name]").fill("Retire C")
    confirm.click()
    expect(page.locator("#status")).to_contain_text(text["deleted_one"].format("Retire C"))
    expect(rows(page)).to_have_count(0)
    assert not unexpected(problems), problems
