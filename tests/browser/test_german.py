"""Every main screen with the browser in German: no English sentence of ours on any of them.

The browser asks for German (Accept-Language from the context's locale) and nobody has picked
a language, so this is what a German fleet manager sees on the first visit. Each page's
visible text and its labels for assistive technology (aria-label, title, placeholder, the
phone layout's data-label, the discard question) are searched for the English text of every
message in the German catalogue, except those German leaves as they are (brand names, Name).
"""

import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils.translation import get_language_info
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN, ROLE_SUPPORT
from audit.recording import record
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import network_quiet, settled, watch_network
from tests.catalogue import read

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
TAG = re.compile(r"<[^>]+>")
SHORTEST = 5  # "Edit", "car", "set" could be part of anything

# What the page shows, and what it tells assistive technology and phones in attributes.
PAGE_TEXT = """() => {
  const names = ["aria-label", "title", "placeholder", "data-label", "data-confirm-discard", "alt"];
  const parts = [document.title, document.body.innerText];
  for (const element of document.querySelectorAll("*")) {
    for (const name of names) {
      const value = element.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const option of document.querySelectorAll("option")) parts.push(option.textContent);
  return parts.join("\\n");
}"""


def english_phrases() -> dict[str, re.Pattern]:
    """English text of our messages that German translates, as whole-word patterns."""
    # Each language is offered in its own name ("English" in the switcher), on purpose.
    own_names = {get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES}
    # Product names stay as they are in every language (the glossary says so).
    names = {"fleetadmin", "flinkey", "flinkey IQ", "flinkey Box"}
    # IANA zone names ("Europe/Berlin", "US/Pacific") are identifiers, shown as they are; the
    # picker's region labels are translated (preferences/tests/test_settings_page.py).
    names |= {zone.split("/")[0] for zone in zoneinfo.available_timezones() if "/" in zone}
    names |= {zone.rsplit("/", 1)[-1] for zone in zoneinfo.available_timezones()}
    phrases = {}
    for entry in read():
        if entry.msgstr and entry.msgstr[0] == entry.msgid or entry.msgid in own_names:
            continue
        # A message with placeholders is found by its longer literal parts.
        literal = TAG.sub("", entry.msgid)
        pieces = [piece.strip(" .,:;·“”„\"") for piece in PLACEHOLDER.split(literal)]
        for piece in pieces:
            if piece in names:
                continue
            if len(piece) >= SHORTEST and (len(pieces) == 1 or len(piece) >= 8):
                phrases[piece] = re.compile(rf"(?<![\w-]){re.escape(piece)}(?![\w-])")
    return phrases


ENGLISH = english_phrases()


def english_on(page) -> list[str]:
    text = page.evaluate(PAGE_TEXT)
    # A phrase the text does not even contain cannot match its whole-word pattern: the plain
    # substring test first gives the same answer ~50 times sooner (1,100 patterns over a page
    # of 30,000 characters cost a second of Python, on every screen).
    return sorted(phrase for phrase, pattern in ENGLISH.items()
                  if phrase in text and pattern.search(text))


@pytest.fixture
def german(dashboard, new_browser_context):
    context = new_browser_context(locale="de-DE", base_url=dashboard)
    return watch_network(context.new_page())


def visit(page, path):
    page.goto(path)
    settled(page)
    network_quiet(page)  # then settled again


def log_in(page, username):
    visit(page, "/login/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("pw-for-tests-1")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    settled(page)


def test_the_phrase_list_is_made_of_our_english(german):
    assert {"Licence plate", "Audit log", "Log out", "flinkey said", "This removes",
            "from flinkey for this customer. It cannot be undone"} <= ENGLISH.keys()
    assert "Name" not in ENGLISH and "English" not in ENGLISH  # the same in German


def test_every_main_screen_speaks_german(german, flinkey_api):
    page = german
    admin = make_user("ada", role=ROLE_ADMIN)
    record(user=admin, action="car.update", car_id=DEMO.car_id, customer_id=DEMO.customer_id,
           changes={"name": {"before": "Alt", "after": "Neu"}})
    found = {}

    visit(page, "/login/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    found["/login/"] = english_on(page)
    log_in(page, "ada")

    screens = ["/", "/cars/", f"/cars/{DEMO.car_id}/", f"/cars/{DEMO.car_id}/edit/", "/cars/new/",
               f"/cars/{DEMO.car_id}/delete/", "/settings/", "/audit/", "/users/",
               f"/users/{admin.pk}/", "/people/", "/people/new/", "/people/import/",
               "/no/such/page/"]
    for path in screens:
        visit(page, path)
        expect(page.locator("main h1")).to_be_visible()
        found[path] = english_on(page)
    visit(page, f"/cars/{DEMO.car_id}/")
    expect(page.locator("#car-products table")).to_be_visible()  # the devices, loaded by htmx
    expect(page.locator("#car-products")).to_contain_text("Service bis")
    found["devices"] = english_on(page)

    # The audit log's time as German writes it: 29.11.2026 17:30:05.
    visit(page, "/audit/")
    expect(page.locator("#audit-table time").first).to_have_text(
        re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$"))

    # htmx answers are German too: the connection test ...
    visit(page, "/settings/")
    page.get_by_role("button", name="Verbindung testen").click()
    expect(page.get_by_text("Verbunden. Wählen Sie den Kunden")).to_be_visible()
    found["connection"] = english_on(page)
    # ... a form error ...
    visit(page, "/cars/")
    page.get_by_role("link", name="Neues Fahrzeug").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill("   ")
    dialog.get_by_role("button", name="Fahrzeug anlegen").click()
    expect(dialog).to_contain_text("Geben Sie einen Namen ein")
    found["form error"] = english_on(page)
    # ... and a failure: our headline and advice, the API's own sentence as its detail.
    flinkey_api.faults.fail_next("/cars", status=503, method="GET", count=3)  # GETs are retried
    visit(page, "/cars/")
    problem = page.locator("#car-table .alert")
    expect(problem).to_contain_text("Die Fahrzeuge konnten nicht geladen werden.")
    expect(problem).to_contain_text("Meldung von flinkey:")
    found["failure"] = english_on(page)

    # Signed out: the login page; then a support user's refusal.
    page.get_by_role("button", name="Abmelden").click()
    settled(page)
    found["signed out"] = english_on(page)
    make_user("sue", role=ROLE_SUPPORT)
    log_in(page, "sue")
    visit(page, "/cars/new/")
    expect(page.get_by_role("heading", name="Nicht erlaubt")).to_be_visible()
    found["403"] = english_on(page)

    assert {where: phrases for where, phrases in found.items() if phrases} == {}


def test_the_switcher_changes_the_language_and_keeps_it(german, flinkey_api):
    page = german
    make_user("kim")
    log_in(page, "kim")
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    page.get_by_role("button", name="English").click()
    settled(page)
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # Kept for the user: a new browser, in German, signs in and sees English.
    page.context.clear_cookies()
    log_in(page, "kim")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
