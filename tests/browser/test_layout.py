"""The layout fits real screens: wide tables at 1440 px, a folded menu and compact lists on
phones, no value broken inside itself, a long typed word no wider than the screen, maps near
the top. English and German."""

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, signed_in_as

MENU = {"en": "Menu", "de": "Menü"}


def signed_in(dashboard, new_browser_context, *, width, language):
    make_user("fm")
    page = new_browser_context(locale=language, viewport={"width": width, "height": 900}).new_page()
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    signed_in_as(page, dashboard, "fm", home=False)  # these are about the cars
    page.goto(f"{dashboard}/cars/")
    settled(page)
    return page


def broken_values(page, selector) -> list[str]:
    """Texts of `selector` elements that the browser laid out over more than one line."""
    return page.eval_on_selector_all(selector, """elements => elements.filter(element => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        return tops.size > 1;
    }).map(element => element.textContent)""")


@pytest.mark.parametrize("language", ["en", "de"])
def test_desktop_tables_use_the_screen(dashboard, new_browser_context, language):
    page = signed_in(dashboard, new_browser_context, width=1600, language=language)
    assert page.locator("main").bounding_box()["width"] == pytest.approx(1440, abs=1)
    expect(page.get_by_role("link", name=MENU[language])).to_be_hidden()
    expect(page.locator("nav.topnav")).to_be_visible()
    # One line, or two with German's longer words and the customer switch (never a stack).
    assert page.locator("header").bounding_box()["height"] < 100


@pytest.mark.parametrize("language", ["en", "de"])
def test_phones_get_a_folded_menu_and_compact_lists(dashboard, new_browser_context, language):
    page = signed_in(dashboard, new_browser_context, width=390, language=language)
    header = page.locator("header")
    assert header.bounding_box()["height"] < 60
    nav = page.locator("nav.topnav")
    expect(nav).to_be_hidden()
    toggle = page.get_by_role("link", name=MENU[language])
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # Keyboard: focus the toggle, Enter opens, the menu's links are reachable.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    page.keyboard.press("Enter")
    expect(nav).to_be_hidden()

    # 25 cars fit in far less than 25 tall cards (5,400 px before).
    expect(page.locator("#car-rows tr")).to_have_count(25)
    rows = page.locator("#car-rows tr")
    assert sum(rows.nth(i).bounding_box()["height"] for i in range(25)) < 2000
    assert not broken_values(page, "#car-rows td:nth-child(2)")  # licence plates


@pytest.mark.parametrize("width", [1440, 1024, 800, 700, 390])
def test_values_never_break_inside(dashboard, new_browser_context, width):
    page = signed_in(dashboard, new_browser_context, width=width, language="de")
    # VINs in the car list (they broke at 700–1024 px).
    assert not broken_values(page, "#car-rows td.mono")
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/events/")
    settled(page)
    expect(page.locator("tr.event").first).to_be_visible()
    assert not broken_values(page, "tr.event time")
    assert not broken_values(page, "tr.event td.mono")
    # Usernames, actions and outcomes in the audit log ("dem / o" at 700–800 px).
    page.goto(f"{dashboard}/audit/")
    settled(page)
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    single_words = page.eval_on_selector_all(
        "table.audit td, table.audit dd",
        "cells => cells.filter(c => c.children.length === 0 && !/\\s/.test(c.textContent.trim()))"
        ".map(c => c.textContent.trim())")
    assert single_words  # the check below looks at something
    assert not broken_values(page, "table.audit td:not(:has(*)), table.audit dd:not(:has(*))")


# One unbroken word as long as the name fields take (200 characters): nothing stops a person
# from typing it, or pasting one.
LONG_WORD = ("Fahrzeugpoolverwaltungsabteilung" * 7)[:200]


@pytest.mark.parametrize("width", [1440, 1024])
def test_a_long_typed_word_wraps_in_its_cell(dashboard, new_browser_context, width):
    """People, cars, users and the audit log keep to the screen with a 200-character word in
    a name (the people directory was 2,734 px wide, its Edit · Remove off screen)."""
    from audit.recording import record
    from cars.services import create_car
    from fleetadmin.upstream.reach import proven_fleet
    from people.models import Person

    admin = make_user("ada", role=ROLE_ADMIN)
    fleet = proven_fleet(admin)
    Person.objects.create(api_url=fleet.api_url, customer_id=fleet.customer_id,
                          flinkey_user_id=306, name=LONG_WORD, department=LONG_WORD)
    car = create_car(user=admin, values={"name": LONG_WORD, "brand": LONG_WORD[:100]})
    typist = make_user(LONG_WORD[:150])
    record(user=typist, action="car.update", car_id=car.id, car_name=LONG_WORD,
           changes={"name": {"before": "Golf", "after": LONG_WORD}})
    page = new_browser_context(viewport={"width": width, "height": 900}).new_page()
    signed_in_as(page, dashboard, "ada", home=False)
    for path, last_link in [("/people/", "Remove"), (f"/cars/?q={LONG_WORD[:40]}", "Edit"),
                            ("/users/", None), ("/audit/", None)]:
        page.goto(f"{dashboard}{path}")
        settled(page)
        expect(page.locator("main")).to_contain_text(LONG_WORD[:40])
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        if last_link:
            box = page.locator("main table").get_by_role("link", name=last_link).bounding_box()
            assert box["x"] + box["width"] <= width, path


# Where a field group's parts are (the screen kit's includes/fields/): label, input, weight.
FIELD_GROUPS = """groups => groups.map(group => {
    const label = group.querySelector('label'), input = group.querySelector('input, select');
    const l = label.getBoundingClientRect(), i = input.getBoundingClientRect();
    return {id: input.id, labelLeft: l.left, labelTop: l.top, labelBottom: l.bottom,
            inputLeft: i.left, inputRight: i.right, inputTop: i.top, inputBottom: i.bottom,
            weight: getComputedStyle(label).fontWeight};
})"""


def test_field_groups_put_labels_above_inputs_and_a_box_beside_its_label(dashboard,
                                                                         new_browser_context):
    """The new-user form and the user page's credentials: a required field's label is above
    its input like any other (Username and API manager username sat left of theirs), and
    the e-mail box has its label beside it in plain weight (alone on a line, bold label under)."""
    admin = make_user("ada", role=ROLE_ADMIN)
    page = new_browser_context(viewport={"width": 1440, "height": 900}).new_page()
    signed_in_as(page, dashboard, "ada", home=False)
    for path in (f"/users/{admin.pk}/", "/users/new/"):
        page.goto(f"{dashboard}{path}")
        settled(page)
        groups = page.eval_on_selector_all("main .field:not(.checkbox)", FIELD_GROUPS)
        assert any(g["id"] == "id_username" for g in groups), path  # a required field
        for group in groups:
            assert group["inputTop"] >= group["labelBottom"], (path, group["id"])
            assert group["inputLeft"] == pytest.approx(group["labelLeft"], abs=1), group["id"]
    box, = page.eval_on_selector_all("main .field.checkbox", FIELD_GROUPS)  # the new-user form
    assert box["id"] == "id_send_password_link"
    assert box["inputRight"] <= box["labelLeft"]  # beside it, on its left
    assert box["labelTop"] < (box["inputTop"] + box["inputBottom"]) / 2 < box["labelBottom"]
    assert box["weight"] == "400"


def test_the_fleet_map_starts_near_the_top_on_phones(dashboard, new_browser_context):
    page = signed_in(dashboard, new_browser_context, width=390, language="de")
    page.goto(f"{dashboard}/map/")
    settled(page)
    assert page.locator("#fleet-map").bounding_box()["y"] < 480


@pytest.fixture
def fleet_store(dashboard, flinkey_api, settings):
    """The demo customer's fleet store, filled by one real full sync from the sandbox: the
    car list's status columns and the reports' tables, with the sandbox's cars and events."""
    from datetime import UTC, datetime, timedelta

    from fleetstore import sync
    from fleetstore.tests.conftest import make_fleet

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    fleet = make_fleet(flinkey_api.url, created_at=datetime.now(UTC) - timedelta(days=90))
    run = sync.full_sync(fleet.pk, force=True)
    assert run is not None and not run.error and not run.cars_failed, run
    return fleet


# The car list with the store's status columns, and every report: German names their
# columns at length ("Kilometerstand beim Schließen (km)").
WIDE_TABLES = ["/cars/", *(f"/reports/{slug}/" for slug in
                           ("sessions", "utilisation", "mileage", "service-ends"))]


# The ids of the visible `elements` reaching beyond their search box's or the page's content
# box (its inside, after border and padding).
OUTSIDE_THEIR_BOX = """elements => elements.filter(element => element.offsetParent)
.filter(element => {
    const box = element.closest('.car-search') || document.querySelector('main');
    const style = getComputedStyle(box), outer = box.getBoundingClientRect();
    const inner = outer.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
    return element.getBoundingClientRect().right > inner + 0.5;
}).map(element => element.id)"""


@pytest.mark.parametrize("width", [1366, 1024, 390])
def test_wide_tables_never_widen_the_page(dashboard, fleet_store, new_browser_context, width):
    """In German the page, header included, never scrolls sideways: at 1,366 px the sessions
    report was 2,292 px wide and the car list 1,479 px with its Edit links off screen; on a
    phone the car list was 402 px (its sort menu and service-end filter stuck out)."""
    page = signed_in(dashboard, new_browser_context, width=width, language="de")
    expect(page.locator("#car-filters")).to_be_visible()  # the store's columns and filters
    too_wide = {}
    for path in WIDE_TABLES:
        page.goto(f"{dashboard}{path}")
        settled(page)
        if path == "/cars/":  # the sort menu (phones) and the filters' select too
            assert not page.eval_on_selector_all("#car-table select, #car-search select",
                                                 OUTSIDE_THEIR_BOX)
        else:  # the default period (the last days) has rows
            expect(page.locator("#report-table tbody tr").first).to_be_attached()
        document_width = page.evaluate("document.documentElement.scrollWidth")
        if document_width > width:
            too_wide[path] = document_width
    assert not too_wide


def test_the_car_list_fits_a_laptop_and_a_report_scrolls_in_its_box(dashboard, fleet_store,
                                                                      new_browser_context):
    """At 1,366 px in German the car list needs no scrolling at all: every Edit link in view.
    The sessions report's dozen columns cannot fit: they scroll in the table's own box, which
    the keyboard can reach and scroll (axe: scrollable-region-focusable)."""
    page = signed_in(dashboard, new_browser_context, width=1366, language="de")
    box = page.get_by_role("region", name="Fahrzeuge")
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
    expect(page.locator("#car-rows .row-actions a").first).to_have_text("Bearbeiten")
    assert page.eval_on_selector_all("#car-rows .row-actions a", """links => links.every(
        link => link.getBoundingClientRect().right <= document.documentElement.clientWidth)""")

    page.goto(f"{dashboard}/reports/sessions/")
    settled(page)
    box = page.get_by_role("region", name="Nutzungen")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")  # else nothing to scroll
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
