"""The depots of a "not back at its depot" rule, drawn on a map: a click fills the typed
line (which is what is saved), the radius box rewrites it, typing redraws the circles, and
the saved rule's page shows its depot as a circle."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.testing import make_user
from tests.browser.conftest import settled, signed_in_as, unexpected

pytestmark = pytest.mark.slow


def test_a_click_on_the_map_places_a_depot_that_is_saved_and_drawn(page, dashboard,
                                                                    console_problems):
    from django.conf import settings

    from alerts.models import Rule
    from alerts.tests.conftest import fill_store
    from fleetstore.tests.conftest import make_fleet

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    fill_store(fleet)
    make_user("fm")
    signed_in_as(page, dashboard, "fm")
    page.goto(f"{dashboard}/alerts/rules/new/?kind=not_at_depot")
    settled(page)
    depot_map = page.locator("#depot-map")
    expect(depot_map).to_have_attribute("data-map-ready", "true")
    lines = page.get_by_label("Depots", exact=True)
    page.get_by_label("Name").fill("Back home")
    page.get_by_label("Check at (time of day)").fill("18:00")
    page.get_by_label("Radius in metres").fill("300")

    depot_map.click()  # its middle: the map's default centre, Munich
    expect(lines).to_have_value(re.compile(r"^Depot 1, 48\.\d{5}, 11\.\d{5}, 300$"))
    expect(depot_map.locator("path.depot-circle")).to_have_count(1)
    _name, latitude, longitude, _radius = lines.input_value().split(", ")
    assert abs(float(latitude) - 48.137) < 0.01 and abs(float(longitude) - 11.576) < 0.01

    # The radius box rewrites the chosen depot's line; typing a line draws another circle.
    page.get_by_label("Radius in metres").fill("450")
    expect(lines).to_have_value(re.compile(r"^Depot 1, 48\.\d{5}, 11\.\d{5}, 450$"))
    lines.press("End")
    lines.type("\nYard <b>South</b>, 48.1, 11.55, 120")
    expect(depot_map.locator("path.depot-circle")).to_have_count(2)
    expect(page.locator("#depot-choice option")).to_have_text(
        ["A new depot", "Depot 1", "Yard <b>South</b>"])

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The rule “Back home” was saved.")).to_be_visible()
    rule = Rule.objects.get(name="Back home")
    assert [(d["name"], d["radius"]) for d in rule.depots] == [
        ("Depot 1", 450), ("Yard <b>South</b>", 120)]
    assert abs(rule.depots[0]["latitude"] - float(latitude)) < 1e-9
    expect(page.locator("#depot-map")).to_have_attribute("data-map-ready", "true")
    expect(page.locator("#depot-map path.depot-circle")).to_have_count(2)
    # A name is text: the circle's tooltip shows it as typed, with no <b> element in it.
    page.locator("#depot-map path.depot-circle").nth(1).hover()
    expect(page.locator(".leaflet-tooltip")).to_have_text("Yard <b>South</b>")
    expect(page.locator(".leaflet-tooltip b")).to_have_count(0)
    print(f"saved depots: {rule.depots}")
    assert unexpected(console_problems) == []
