"""A new user logs in, saves credentials, tests the connection and sees the car list."""

from playwright.sync_api import expect

from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import log_in, unexpected


def test_login_credentials_connection_and_car_list(page, dashboard, console_problems):
    make_user("newcomer", with_credentials=False)
    log_in(page, dashboard, "newcomer")

    # No credentials yet: the home page says where to go.
    expect(page.get_by_role("link", name="Open Settings")).to_be_visible()
    page.get_by_role("link", name="Open Settings").click()

    page.get_by_label("API key").fill(DEMO.api_key)
    page.get_by_label("API manager username").fill(DEMO.username)
    page.get_by_label("API manager password").fill(DEMO.password)
    page.get_by_role("button", name="Save credentials").click()
    expect(page.get_by_text("Your flinkey credentials were saved.")).to_be_visible()
    # Write-only secrets: the page never carries them back.
    assert DEMO.password not in page.content()
    assert DEMO.api_key not in page.content()

    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected. Choose the customer you work for:")).to_be_visible()
    page.get_by_role("button", name=DEMO.customer_name).click()

    expect(page).to_have_url(f"{dashboard}/cars/")
    expect(page.get_by_role("heading", name="Cars")).to_be_visible()
    expect(page.locator("table.data tbody tr").first).to_be_visible()
    assert unexpected(console_problems) == []  # the 409 of "set up first" is by design


def test_wrong_password_is_explained(page, dashboard, console_problems):
    user = make_user("clumsy")
    credentials = user.flinkey_credentials
    credentials.password = "typo"
    credentials.save()
    log_in(page, dashboard, "clumsy")
    page.goto(f"{dashboard}/settings/")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("alert")).to_contain_text("username or password")
