"""User administration in Chromium: an admin creates an account, the newcomer sets a password
from the e-mailed link (the demo's Outbox), has no access until given a role, and is signed
out at once when deactivated. In English and German, at desktop and phone width."""

import re

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from tests.browser.conftest import settled, signed_in_as, unexpected

WIDTHS = {"desktop": 1440, "phone": 390}
TEXT = {
    "en": {"new": "New user", "username": "Username", "email": "E-mail address",
           "role": "Role", "create": "Create account", "outbox": "Outbox",
           "password": "New password", "confirm": "New password confirmation",
           "set": "Set password", "no_access": "No access yet", "set_role": "Set role",
           "deactivate": "Deactivate", "tick": "Sign nora out everywhere"},
    "de": {"new": "Neuer Benutzer", "username": "Benutzername", "email": "E-Mail-Adresse",
           "role": "Rolle", "create": "Konto anlegen", "outbox": "Postausgang",
           "password": "Neues Passwort", "confirm": "Neues Passwort bestätigen",
           "set": "Passwort festlegen", "no_access": "Noch kein Zugang",
           "set_role": "Rolle festlegen", "deactivate": "Deaktivieren",
           "tick": "nora jetzt überall abmelden"},
}


def sign_in(page, base_url, username, password="pw-for-tests-1"):
    """log_in in any language: the fields by name, the form's one submit button."""
    page.goto(f"{base_url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    settled(page)


@pytest.fixture
def kept_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "outbox.backends.OutboxEmailBackend"}}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_admin_brings_a_newcomer_in_and_out(dashboard, new_browser_context, kept_mail,
                                               language, width):
    text = TEXT[language]
    make_user("ada", role=ROLE_ADMIN)
    context = new_browser_context(locale=language, viewport={"width": WIDTHS[width],
                                                             "height": 900})
    admin, newcomer = context.new_page(), new_browser_context(
        locale=language, viewport={"width": WIDTHS[width], "height": 900}).new_page()
    problems = []
    for page in (admin, newcomer):
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))

    signed_in_as(admin, dashboard, "ada")  # the newcomer's sign-in below is the form's
    admin.goto(f"{dashboard}/users/")
    admin.get_by_role("link", name=text["new"]).click()
    admin.get_by_label(text["username"]).fill("nora")
    admin.get_by_label(text["email"]).fill("nora@example.com")
    admin.get_by_label(text["role"], exact=True).select_option(value="")  # no role yet
    admin.get_by_role("button", name=text["create"]).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("nora")

    # The link is in the outbox (the demo sends no mail).
    admin.goto(f"{dashboard}/outbox/")
    body = admin.locator("pre.mail-body").first.inner_text()
    link = re.search(r"https?://\S+", body).group(0)

    newcomer.goto(link)
    # (Each label ends in the required field's "*".)
    newcomer.get_by_label(re.compile("^" + text["password"] + r"\W*$")).fill(
        "a-long-new-passphrase-42")
    newcomer.get_by_label(re.compile("^" + text["confirm"])).fill("a-long-new-passphrase-42")
    newcomer.get_by_role("button", name=text["set"]).click()
    sign_in(newcomer, dashboard, "nora", password="a-long-new-passphrase-42")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(text["no_access"])
    expect(newcomer.locator("nav.topnav")).to_have_count(0)
    expect(newcomer.locator("main")).to_contain_text("ada")

    # Given a role, the newcomer is in.
    admin.goto(f"{dashboard}/users/")
    admin.get_by_role("link", name="nora", exact=True).click()
    admin.locator("select[name=role]").select_option(value="support")
    admin.get_by_role("button", name=text["set_role"]).click()
    settled(admin)
    newcomer.goto(f"{dashboard}/cars/")
    expect(newcomer).to_have_url(f"{dashboard}/cars/")
    expect(newcomer.locator("nav.topnav")).to_have_count(1)

    # Deactivated: signed out at once, on the next click.
    admin.get_by_label(re.compile(text["tick"])).check()
    admin.get_by_role("button", name=text["deactivate"]).click()
    settled(admin)
    newcomer.goto(f"{dashboard}/cars/")
    expect(newcomer).to_have_url(re.compile(r"/login/"))
    assert not unexpected(problems), problems
