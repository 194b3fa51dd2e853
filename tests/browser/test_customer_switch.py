"""Customers at hand (#20) in Chromium, in English and German at 1440 and 390 px: the first
switch from the header's link, then in one step with the header's select; a Hamburg car's
link opened while in Munich offers the switch and opens the car after it; the time-zone
picker filters by typing and offers the browser's zone. axe finds nothing serious."""

import pytest
from playwright.sync_api import expect

from config.testing import make_user
from flinkey import FlinkeyClient
from flinkey_sandbox import DEMO
from tests.browser.conftest import BLANK_TILE, settled, unexpected
from tests.browser.test_accessibility import findings

WIDTHS = {"desktop": 1440, "phone": 390}
TEXT = {
    "en": {"menu": "Menu", "link": "Switch customer", "switch": "Switch",
           "customer": "Customer", "offer": "This car belongs to {0}. Switch to {0} and open it?",
           "switch_to": "Switch to {0}", "find": "Find a time zone", "use": "Use it",
           "zone": "Time zone", "save": "Save preferences"},
    "de": {"menu": "Menü", "link": "Kunden wechseln", "switch": "Wechseln",
           "customer": "Kunde",
           "offer": "Dieses Fahrzeug gehört zu {0}. Zu {0} wechseln und das Fahrzeug öffnen?",
           "switch_to": "Zu {0} wechseln", "find": "Zeitzone suchen", "use": "Übernehmen",
           "zone": "Zeitzone", "save": "Einstellungen speichern"},
}


def hamburg_car_name(sandbox) -> str:
    client = FlinkeyClient(sandbox.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password, customer_id=DEMO.other_customer_id)
    return client.get_car(DEMO.other_car_id).name


def open_menu(page, text, width):
    """On phones the header's customer part sits in the folded menu."""
    if width == "phone":
        page.get_by_role("link", name=text["menu"]).click()


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_switching_customers_at_hand(dashboard, new_browser_context, flinkey_api, language,
                                     width):
    text = TEXT[language]
    make_user("fm")
    context = new_browser_context(bypass_csp=True, locale=language, timezone_id="Asia/Tokyo",
                                  viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    page.route("**/tile.openstreetmap.org/**", lambda route: route.fulfill(
        status=200, content_type="image/png", body=BLANK_TILE))
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    # Signed in straight to the car list: the home page proves the customer (asking
    # flinkey for the list of customers), which would already fill the header's list.
    page.goto(f"{dashboard}/login/?next=/cars/")
    page.locator("input[name=username]").fill("fm")
    page.locator("input[name=password]").fill("pw-for-tests-1")
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    settled(page)

    # Nothing kept yet: the name and a link to the switch page, which brings you back.
    open_menu(page, text, width)
    page.get_by_role("link", name=text["link"]).click()
    settled(page)
    assert findings(page) == []
    hamburg = f"{DEMO.other_customer_name} (ID {DEMO.other_customer_id})"
    page.get_by_role("button", name=hamburg).click()
    page.wait_for_url(f"{dashboard}/cars/")
    settled(page)

    # Now the header has the kept list: Munich again in one step, back on the same page.
    page.goto(f"{dashboard}/cars/?q=a")
    settled(page)
    open_menu(page, text, width)
    select = page.get_by_label(text["customer"], exact=True)
    expect(select).to_have_value(str(DEMO.other_customer_id))
    select.select_option(str(DEMO.customer_id))
    page.locator("form.customer-switch").get_by_role("button", name=text["switch"]).click()
    page.wait_for_url(f"{dashboard}/cars/?q=a")
    settled(page)
    open_menu(page, text, width)
    expect(page.get_by_label(text["customer"], exact=True)).to_have_value(str(DEMO.customer_id))
    assert findings(page) == []

    # A Hamburg car's link while in Munich: the switch is offered, nothing of the car shown.
    name = hamburg_car_name(flinkey_api)
    page.goto(f"{dashboard}/cars/{DEMO.other_car_id}/")
    settled(page)
    expect(page.locator("main")).to_contain_text(text["offer"].format(DEMO.other_customer_name))
    expect(page.locator("main")).not_to_contain_text(name)
    assert findings(page) == []
    page.get_by_role("button", name=text["switch_to"].format(DEMO.other_customer_name)).click()
    page.wait_for_url(f"{dashboard}/cars/{DEMO.other_car_id}/")
    settled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # The time-zone picker: typed, found, saved; the browser's own zone offered.
    page.goto(f"{dashboard}/settings/")
    settled(page)
    page.get_by_role("button", name=text["use"]).click()
    zone = page.locator("select[name=time_zone]")
    expect(zone).to_have_value("Asia/Tokyo")
    page.get_by_label(text["find"]).fill("buenos")
    expect(zone).to_have_value("America/Argentina/Buenos_Aires")
    page.get_by_label(text["find"]).press("Enter")
    expect(zone).to_be_focused()
    assert findings(page) == []
    page.get_by_role("button", name=text["save"]).click()
    settled(page)
    expect(page.locator("select[name=time_zone]")).to_have_value(
        "America/Argentina/Buenos_Aires")
    assert unexpected(problems) == []
