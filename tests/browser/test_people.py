"""People in Chromium: an admin names flinkey user 306 from the timeline; it shows by name."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from events.tests.conftest import CAR, add_event
from tests.browser.conftest import settled, signed_in_as, unexpected

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
USER = 306


def test_an_admin_names_user_306_and_the_timeline_shows_it(page, dashboard, new_browser_context,
                                                           flinkey_api, console_problems):
    add_event(flinkey_api, at=T0, user_id=USER)
    add_event(flinkey_api, at=T0 + timedelta(minutes=5), user_id=USER, kind="CarClosed")
    make_user("ada", role=ROLE_ADMIN)
    signed_in_as(page, dashboard, "ada")
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    rows = page.locator("#timeline-rows tr.event")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".event-user")).to_contain_text(str(USER))

    # "add a name" opens the form with the id filled in and comes back to the timeline.
    rows.first.get_by_role("link", name="add a name").click()
    expect(page.get_by_label("flinkey user id")).to_have_value(str(USER))
    page.get_by_label("Name", exact=True).fill("Marta Klein")
    page.get_by_label("Department").fill("Werkstatt")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/cars/{CAR}/events/"))
    expect(page.locator("#status")).to_contain_text("Marta Klein is now the name of flinkey "
                                                    f"user {USER}")
    expect(rows.locator(".person-name")).to_have_text(["Marta Klein", "Marta Klein"])
    expect(page.get_by_role("link", name="add a name")).to_have_count(0)

    # Filter by the name: the picker offers it.
    expect(page.locator("#filter_user-people option")).to_have_attribute("value", "Marta Klein")
    settled(page)  # the timeline region's own request first (its handlers are then bound)
    page.get_by_label("Person or flinkey user id").fill("Marta Klein")
    page.get_by_label("Person or flinkey user id").press("Tab")  # "change" filters
    # (A generous wait: on a loaded machine the filtered timeline's request takes seconds.)
    expect(page).to_have_url(re.compile(rf"user={USER}"), timeout=20_000)
    expect(rows).to_have_count(2)
    assert unexpected(console_problems) == []

    # The same timeline in German.
    context = new_browser_context(locale="de-DE", base_url=dashboard)
    german = context.new_page()
    german.goto("/login/")
    german.get_by_label("Benutzername").fill("ada")
    german.get_by_label("Passwort").fill("pw-for-tests-1")
    german.get_by_role("button", name="Anmelden").click()
    german.wait_for_url(lambda url: "/login/" not in url)
    german.goto(f"/cars/{CAR}/events/")
    expect(german.locator("#timeline-rows .person-name")).to_have_text(
        ["Marta Klein", "Marta Klein"])
    expect(german.get_by_label("Person oder flinkey-Benutzer-ID")).to_be_visible()
    german.goto("/people/")
    expect(german.locator("main h1")).to_have_text("Personen")
    expect(german.locator(f"#person-{USER}")).to_contain_text("Werkstatt")
