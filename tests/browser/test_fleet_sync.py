"""An admin turns fleet sync on in Chromium; the status follows the background run by itself."""

from playwright.sync_api import expect

from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import signed_in_as, unexpected


def test_an_admin_turns_sync_on_and_the_status_follows_the_run(page, dashboard, settings,
                                                               console_problems):
    from fleetstore import sync
    from fleetstore.models import FleetSync

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    make_user("boss", role="admin")
    signed_in_as(page, dashboard, "boss")
    page.get_by_role("link", name="Fleet sync", exact=True).click()
    expect(page.get_by_text("Fleet sync is off for this customer")).to_be_visible()

    page.get_by_label("API key").fill(DEMO.api_key)
    page.get_by_label("API manager username").fill(DEMO.username)
    page.get_by_label("API manager password").fill(DEMO.password)
    page.get_by_role("button", name="Turn sync on").click()

    expect(page.get_by_text("Fleet sync is on. The first sync has been asked for.")).to_be_visible()
    expect(page.get_by_text("Waiting for a background worker…")).to_be_visible()
    assert DEMO.password not in page.content() and DEMO.api_key not in page.content()

    # What a worker does (the worker tests run a real one); the page polls and shows it.
    sync.full_sync(FleetSync.objects.get().pk, force=True)
    expect(page.get_by_text("62 of 62 cars")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Refresh now")).to_be_enabled()
    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text("Waiting for a background worker…")).to_be_visible()
    assert unexpected(console_problems) == []
