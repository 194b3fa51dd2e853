"""Roles, single sign-on, session expiry and the audit log, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_SUPPORT
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import log_in


def test_support_sees_no_write_controls_and_the_server_refuses(page, dashboard, console_problems):
    make_user("sue", role=ROLE_SUPPORT)
    log_in(page, dashboard, "sue")
    page.goto(f"{dashboard}/cars/")
    expect(page.locator("#car-rows tr").first).to_be_visible()
    expect(page.get_by_role("link", name="New car")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit "))).to_have_count(0)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)

    # Typing the URL does not help: the server answers 403 with a clear page.
    response = page.goto(f"{dashboard}/cars/{DEMO.car_id}/edit/")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Your role allows looking, not changing.")


@pytest.mark.parametrize(("groups", "can_manage", "can_write"), [
    (["fleet-admins"], True, True),
    (["fleet-managers"], False, True),
    (["unmapped"], False, False),
])
def test_sso_sign_in_lands_with_the_role_of_its_groups(
        page, dashboard, idp, console_problems, groups, can_manage, can_write):
    idp.sign_in_as("sub-browser", groups=groups, preferred_username="pat")
    page.goto(f"{dashboard}/login/")
    page.get_by_role("link", name="Sign in with your company account").click()
    expect(page).to_have_url(f"{dashboard}/")
    expect(page.locator(".session .who")).to_have_text("pat")
    expect(page.get_by_role("link", name="Users")).to_have_count(1 if can_manage else 0)
    # No flinkey credentials yet: the list points to Settings; nothing to write with.
    page.goto(f"{dashboard}/audit/")
    expect(page.locator("#audit-table")).to_contain_text("signed in")
    expect(page.locator("#audit-table")).to_contain_text("sub-browser")
    response = page.goto(f"{dashboard}/cars/new/")
    assert (response.status == 403) is not can_write
    # Chromium logs each refused document ("... responded with a status of 4xx") and nothing
    # else may appear: the home page's 409 on landing (no credentials yet, a set-up problem)
    # and, only for a role that may not write, the create page's 403.
    statuses = [re.search(r"responded with a status of (\d{3})", p) for p in console_problems]
    assert all(statuses), console_problems
    assert [m.group(1) for m in statuses] == ["409"] + ([] if can_write else ["403"])


def test_an_expired_session_during_htmx_use_goes_to_the_login_page(page, dashboard):
    make_user("fm")
    log_in(page, dashboard, "fm")
    page.goto(f"{dashboard}/audit/")
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # the session ends (expired, or logged out elsewhere)

    page.get_by_label("Action").select_option("auth.login")
    page.get_by_role("button", name="Filter").click()
    # The whole page goes to the login, coming back to the audit log afterwards ...
    expect(page).to_have_url(re.compile(r"/login/\?next=%2Faudit%2F"))
    expect(page.get_by_role("heading", name="Log in to fleetadmin")).to_have_count(1)
    # ... instead of a login page swapped into the table's place.
    expect(page.locator("#audit-table")).to_have_count(0)
    page.get_by_label("Username").fill("fm")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{dashboard}/audit/")


def test_a_change_made_in_the_ui_shows_in_the_audit_log(page, dashboard, console_problems):
    make_user("fm")
    log_in(page, dashboard, "fm")
    page.goto(f"{dashboard}/cars/{DEMO.car_id}/edit/")
    name = page.get_by_label("Name")
    before = name.input_value()
    name.fill(before + " II")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("was saved")).to_be_visible()

    page.goto(f"{dashboard}/audit/")
    row = page.locator("#audit-table tbody tr").filter(has_text="car changed")
    expect(row).to_have_count(1)
    expect(row.locator("del")).to_have_text(before)
    expect(row.locator("ins")).to_have_text(before + " II")
    expect(row).to_contain_text(f"car {DEMO.car_id}")
    expect(row).to_contain_text("success")
    assert console_problems == []
