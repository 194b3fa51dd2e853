"""Issue 19 in Chromium: a fleet manager's screens while flinkey revokes tokens often.

The sandbox revokes the token of every third call carrying a valid one, and answers each
request 20 ms late. The browser asks for several things at once (the car page's devices,
map and events panels load together; "left open" batch after batch), so revocations hit
calls of other requests in flight. Every screen must still come out whole.
(The fleet map and the route have their own HTTP-level journey in
tests/test_token_revocation_journey.py; their pages are being reworked.)
"""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, unexpected


@pytest.fixture
def revoking(flinkey_api):
    flinkey_api.faults.revoke_token_every = 3
    flinkey_api.faults.latency = 0.02
    return flinkey_api


@pytest.mark.parametrize("language", ["en", "de"])
def test_create_the_car_page_and_left_open(manager_page, dashboard, revoking,
                                           console_problems, language):
    page = manager_page
    german = language == "de"
    if german:
        UserPreferences.objects.update_or_create(
            user=get_user_model().objects.get(username="fm"), defaults={"language": "de"})
        page.reload()
        settled(page)
    # A car created in the dialog, and the list redrawn with it.
    page.get_by_role("link", name="Neues Fahrzeug" if german else "New car").click()
    page.get_by_label("Name").fill("Widerruf Golf")
    page.get_by_role("button", name="Fahrzeug anlegen" if german else "Create car").click()
    expect(page.locator("dialog#dialog")).to_be_hidden()
    expect(page.locator("#car-rows tr.car-new")).to_contain_text("Widerruf Golf")
    # The demo car's page: its panels load at the same time.
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/")
    devices = page.locator("#car-products")
    expect(devices.locator("h2")).to_have_text("Geräte" if german else "Devices")
    for product in revoking.store.products[DEMO.car_id]:
        expect(devices).to_contain_text(product["serialNumber"])
    settled(page)
    expect(page.locator(".alert.error")).to_have_count(0)
    # Left open: every car checked (the 62 and the new one), none failed.
    page.goto(f"{dashboard}/left-open/?hours=12")
    progress = page.locator("#left-open-progress")
    expect(progress).to_contain_text("63 von 63" if german else "63 of 63", timeout=30_000)
    expect(page.locator("#left-open-failed")).to_have_count(0)
    assert page.alerts == []
    assert unexpected(console_problems) == []
