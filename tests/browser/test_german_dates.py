"""A German user in an English Chromium: dates are written and typed the German way.

Chromium writes <input type=date/datetime-local> in the BROWSER's locale (mm/dd/yyyy here,
whatever the page's lang), so fleetadmin's date inputs are text inputs in the language's
own format (fleetadmin.web.dates). This checks it where it counts: in the browser.
"""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from config.testing import make_user
from events.tests.conftest import CAR, add_event
from preferences import services
from tests.browser.conftest import log_in, settled, unexpected

WEEKDAYS = "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag"
MONTHS = ("Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
          "Dezember")


def test_a_german_user_in_an_english_browser(page, dashboard, flinkey_api, console_problems):
    user = make_user("greta")
    services.save_preferences(user=user, language="de", time_zone="Europe/Berlin")
    two_days_ago = datetime.now(UTC) - timedelta(days=2, hours=1)
    add_event(flinkey_api, at=two_days_ago)
    assert page.evaluate("navigator.language") == "en-US"  # an English browser
    log_in(page, dashboard, "greta")  # the login page is English: nobody is known yet

    page.goto(f"{dashboard}/cars/{CAR}/events/")
    settled(page)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    # The long date: "Samstag, 5. Dezember 2026".
    expect(page.locator("tr.timeline-day time").first).to_have_text(
        re.compile(rf"^({WEEKDAYS}), \d{{1,2}}\. ({MONTHS}) \d{{4}}$"))

    # The day filter: a text input saying how German writes a day, typed that way.
    since = page.get_by_label("Von", exact=True)
    expect(since).to_have_attribute("type", "text")
    expect(since).to_have_attribute("placeholder", "TT.MM.JJJJ")
    day = (two_days_ago - timedelta(days=1)).astimezone()
    since.fill(day.strftime("%d.%m.%Y"))
    since.press("Tab")  # the filters apply on change
    settled(page)
    # The address keeps ISO (a machine place: links work in every language).
    expect(page).to_have_url(re.compile(rf"since={day:%Y-%m-%d}"))
    expect(page.locator("#timeline-rows tr.event")).to_have_count(1)
    expect(since).to_have_value(day.strftime("%d.%m.%Y"))
    # A link with an ISO day (bookmarks, other tools) still works, shown the German way.
    page.goto(f"{dashboard}/cars/{CAR}/events/?since={day:%Y-%m-%d}")
    settled(page)
    expect(page.get_by_label("Von", exact=True)).to_have_value(day.strftime("%d.%m.%Y"))

    # Recording an event: the moment comes filled in the German way, and is read that way.
    page.get_by_role("link", name="Ereignis erfassen").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    when = dialog.locator("#id_moment")
    expect(when).to_have_attribute("placeholder", "TT.MM.JJJJ HH:MM:SS")
    expect(when).to_have_value(re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$"))

    page.keyboard.press("Escape")
    page.wait_for_load_state("networkidle")

    # The car's map at a moment typed the German way, written back the German way.
    page.goto(f"{dashboard}/cars/{CAR}/map/")
    settled(page)
    at = page.locator("#at-input")
    expect(at).to_have_attribute("placeholder", "TT.MM.JJJJ HH:MM")
    moment = (datetime.now(UTC) - timedelta(hours=3)).astimezone()
    at.fill(moment.strftime("%d.%m.%Y %H:%M"))
    at.press("Enter")
    settled(page)
    expect(page.locator("#at-input")).to_have_value(moment.strftime("%d.%m.%Y %H:%M"))
    expect(page.locator("#fix-offset")).to_contain_text(moment.strftime("%d.%m.%Y %H:%M"))
    assert unexpected(console_problems) == []
