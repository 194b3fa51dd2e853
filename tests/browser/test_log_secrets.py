"""A whole session logged at DEBUG (Django, the client, urllib3): no line carries a secret."""

import logging

from playwright.sync_api import expect

from config.testing import make_user
from fleetadmin.ops.logs import JsonFormatter, RequestIdFilter
from flinkey_sandbox import DEMO
from tests.browser.conftest import log_in, settled

LOGIN_PASSWORD = "pw-for-tests-1"
PLAIN = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def test_no_log_line_carries_a_secret(page, dashboard, flinkey_api, caplog):
    for name in ("", "django", "django.request", "django.db.backends", "flinkey", "urllib3",
                 "fleetadmin"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    make_user("careful", with_credentials=False)

    # Log in, type the credentials in, test the connection, choose the customer.
    log_in(page, dashboard, "careful", LOGIN_PASSWORD)
    page.goto(f"{dashboard}/settings/")
    page.get_by_label("API key").fill(DEMO.api_key)
    page.get_by_label("API manager username").fill(DEMO.username)
    page.get_by_label("API manager password").fill(DEMO.password)
    page.get_by_role("button", name="Save credentials").click()
    expect(page.get_by_text("Your flinkey credentials were saved.")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    page.get_by_role("button", name=DEMO.customer_name).click()
    expect(page).to_have_url(f"{dashboard}/cars/")

    # The car list, a search, one car edited.
    settled(page)
    page.get_by_label("Search", exact=True).fill("o'brien")
    expect(page.locator("#car-rows tr")).to_have_count(1)
    page.get_by_role("link", name="O'Brien's ID.3", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("O'Brien's ID.3")
    settled(page)  # the car page's lazy sections load; Edit is wired
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("dialog#dialog")).to_be_visible()
    page.get_by_label("Model").fill("ID.3 Pro S")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_contain_text("was saved")

    bearer_tokens = list(flinkey_api.tokens._tokens)  # every token the sandbox issued
    assert bearer_tokens
    secrets = {"API key": DEMO.api_key, "flinkey password": DEMO.password,
               "login password": LOGIN_PASSWORD}
    secrets |= {f"bearer token {i}": token for i, token in enumerate(bearer_tokens)}

    records = caplog.records
    names = {record.name for record in records}
    # The capture saw the whole stack at DEBUG, or finding nothing would prove nothing.
    assert {"fleetadmin.request", "flinkey", "urllib3.connectionpool"} <= names, names
    assert any(record.levelno == logging.DEBUG for record in records)
    json_formatter, add_request_id = JsonFormatter(), RequestIdFilter()
    leaks = []
    for record in records:
        add_request_id.filter(record)
        for line in (json_formatter.format(record), PLAIN.format(record)):
            leaks += [(what, record.name) for what, secret in secrets.items() if secret in line]
    assert leaks == []
