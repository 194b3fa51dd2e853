"""Error pages in Chromium: the browser shows ours, never its own bare error page."""

from playwright.sync_api import expect

from config.testing import make_user
from tests.browser.conftest import settled, signed_in_as


def test_a_forms_address_opened_again_is_our_page_with_a_way_on(page, dashboard):
    """A sent form can leave its address in the address bar (its answer is shown there);
    Enter or the history opens it again as a GET. Its 405 had no body, and Chromium showed
    "HTTP ERROR 405"; now it is a page of the app that leads to the form's page."""
    make_user("fm")
    signed_in_as(page, dashboard, "fm", home=False)
    response = page.goto(f"{dashboard}/settings/preferences/")
    assert response.status == 405 and "POST" in response.headers["allow"]
    expect(page.get_by_role("heading", name="Nothing to show at this address")).to_be_visible()
    expect(page.locator("nav.topnav")).to_be_visible()
    page.get_by_role("link", name="Open the page with this form").click()
    settled(page)
    expect(page).to_have_url(f"{dashboard}/settings/")
    expect(page.get_by_role("heading", name="Preferences")).to_be_visible()
