"""The events screens in Chromium: scroll the timeline, record an event, hostile text inert."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from events.tests.conftest import CAR, add_event, recorded
from tests.browser.conftest import unexpected

HOSTILE = '<img src=x onerror=alert(1)> ${alert(2)} `alert(3)` =cmd|" /C calc"!A0'
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)




def test_scrolling_loads_the_next_pages(manager_page, dashboard, flinkey_api, settings,
                                        console_problems):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 10
    for i in range(35):
        add_event(flinkey_api, at=T0 + timedelta(minutes=17 * i),
                  kind="CarOpened" if i % 2 else "CarClosed")
    page = manager_page
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    rows = page.locator("#timeline-rows tr.event")
    expect(rows).to_have_count(10)
    for expected in (20, 30, 35):
        page.locator("#timeline-more").scroll_into_view_if_needed()
        expect(rows).to_have_count(expected)
    expect(page.locator("#timeline-end")).to_contain_text("No older events.")
    ids = [int(row.get_attribute("id").split("-")[1]) for row in rows.all()]
    assert len(set(ids)) == 35
    assert unexpected(console_problems) == []


def test_filter_then_back(manager_page, dashboard, flinkey_api, console_problems):
    add_event(flinkey_api, at=T0, kind="CarOpened")
    add_event(flinkey_api, at=T0 + timedelta(hours=1), kind="CarClosed")
    page = manager_page
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    expect(page.locator("#timeline-rows tr.event")).to_have_count(2)
    page.get_by_label("Event", exact=True).select_option("closed")
    expect(page.locator("#timeline-rows tr.event")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?type=closed$"))
    page.go_back()
    expect(page.locator("#timeline-rows tr.event")).to_have_count(2)
    assert unexpected(console_problems) == []


def test_record_an_event_and_see_it_appear(manager_page, dashboard, flinkey_api,
                                           console_problems):
    add_event(flinkey_api, at=datetime.now(UTC) - timedelta(days=1))
    page = manager_page
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    page.get_by_role("link", name="Record an event").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("The car was closed").check()
    dialog.get_by_label("flinkey user id").fill("301")
    moment = (datetime.now(UTC) - timedelta(hours=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    dialog.get_by_label("When").fill(moment)
    dialog.get_by_role("button", name="Use the car's current position").click()
    expect(dialog.get_by_label("Latitude")).not_to_have_value("")
    dialog.get_by_role("button", name="Record event").click()
    expect(dialog).to_be_hidden()
    new = page.locator("#timeline-rows tr.event-new")
    expect(new).to_have_count(1)
    expect(new).to_contain_text("closed")
    expect(new).to_contain_text("fleetadmin 0.1.0")
    expect(page.locator("#status")).to_contain_text("The event was recorded")
    assert unexpected(console_problems) == []
    assert page.alerts == []


def test_the_car_page_loads_its_events_and_hostile_text_is_inert(manager_page, dashboard,
                                                                 flinkey_api, console_problems):
    add_event(flinkey_api, at=T0, agent=HOSTILE)
    page = manager_page
    page.goto(f"{dashboard}/cars/{CAR}/")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    section = page.locator("#car-events")
    expect(section.locator("tr.event")).to_have_count(1)
    expect(section.locator(".event-app")).to_have_text(HOSTILE[:59] + "…")
    assert page.locator("#car-events img").count() == 0
    section.get_by_role("link", name="opened").click()
    expect(page.locator(".event-agent")).to_have_text(HOSTILE)
    page.goto(f"{dashboard}/left-open/?hours=1")
    expect(page.locator("#left-open-progress")).to_contain_text("cars checked")
    assert page.alerts == []
    assert unexpected(console_problems) == []


def test_record_an_event_in_the_autumn_hour_that_happens_twice(manager_page, dashboard,
                                                               flinkey_api, console_problems):
    # Berlin, 25 October 2026: the clocks went from 03:00 CEST back to 02:00 CET, so 02:30
    # happened twice. The dialog asks which one, and records the one chosen.
    page = manager_page
    page.goto(f"{dashboard}/cars/{CAR}/events/")
    page.get_by_role("link", name="Record an event").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("The car was opened").check()
    dialog.get_by_label("flinkey user id").fill("301")
    dialog.get_by_label("When").fill("2026-10-25T02:30")
    dialog.get_by_role("button", name="Record event").click()
    choice = dialog.locator("#event-occurrence")
    expect(choice).to_be_visible()
    expect(choice).to_contain_text("02:30:00 happened twice on that day")
    # Kept, as the language writes it (fleetadmin.web.dates).
    expect(dialog.get_by_label("When")).to_have_value("2026-10-25 02:30:00")
    dialog.get_by_label("the second, CET (UTC+01:00)").check()
    dialog.get_by_role("button", name="Record event").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#timeline-rows tr.event-new")).to_have_count(1)
    [event] = recorded(flinkey_api)
    assert event.utc_date_time == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert event.local_date_time == datetime(2026, 10, 25, 2, 30)
    assert unexpected(console_problems) == []
