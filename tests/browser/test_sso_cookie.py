"""Single sign-on in Chromium with its state in a cookie (accounts.oidc_state), not a session.

The dashboard runs on http://localhost:PORT, the test identity provider on
http://127.0.0.1:OTHER: another site, so the provider's redirect back is a cross-site
top-level GET, the case SameSite=Lax must (and does) survive. Inside a portal on another
site the cookie must be SameSite=None and Partitioned, like the session's.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts import oidc_state
from tests.browser.test_framing import Portal, allow_framing

pytestmark = pytest.mark.django_db(transaction=True)

SSO_LINK = "Sign in with your company account"


def sessions() -> int:
    from django.contrib.sessions.models import Session

    return Session.objects.count()


def test_starting_writes_nothing_and_the_lax_cookie_comes_back_across_sites(
        page, dashboard, idp, console_problems):
    from django.core.cache import cache

    from audit.models import AuditEntry

    assert urlsplit(dashboard).hostname == "localhost"
    assert urlsplit(idp.issuer).hostname == "127.0.0.1"  # another site
    idp.sign_in_as("sub-cookie", groups=["helpdesk"], preferred_username="cora")

    # First only as far as the provider (a page there that never sends anyone back, as
    # its login page waiting for the password would).
    idp.discovery_overrides = {"authorization_endpoint": f"{idp.issuer}/waiting-room"}
    page.goto(f"{dashboard}/login/")
    page.get_by_role("link", name=SSO_LINK).click()
    page.wait_for_url(f"{idp.issuer}/waiting-room?**")
    cookie = {c["name"]: c for c in page.context.cookies()}[oidc_state.COOKIE_NAME]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/oidc/")
    assert "sessionid" not in {c["name"] for c in page.context.cookies()}
    assert sessions() == 0
    assert not AuditEntry.objects.exists()

    # Then the whole way: the provider redirects back (cross-site), the cookie is sent.
    idp.discovery_overrides = {}
    cache.clear()  # the discovery document naming the waiting room
    page.goto(f"{dashboard}/login/")
    page.get_by_role("link", name=SSO_LINK).click()
    expect(page).to_have_url(f"{dashboard}/")  # signing in lands on the home page
    expect(page.locator(".session .who")).to_have_text("cora")
    assert "sessionid" in {c["name"] for c in page.context.cookies()}
    assert sessions() == 1


def test_inside_a_portal_on_another_site_with_cross_site_cookies(
        page, dashboard, idp, settings, console_problems):
    portal = Portal("127.0.0.1", f"{dashboard}/login/")  # another site than localhost
    try:
        allow_framing(settings, portal.origin)
        # What DJANGO_CROSS_SITE_COOKIES=true sets (see test_deploy).
        settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
        idp.sign_in_as("sub-portal", groups=["helpdesk"], preferred_username="paula")

        page.goto(portal.url)
        frame = page.frame_locator("#app")
        frame.get_by_role("link", name=SSO_LINK).click()
        expect(frame.get_by_role("heading", name="Overview")).to_be_visible()
        expect(frame.locator(".session .who")).to_have_text("paula")
        cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
        assert cookies["sessionid"].get("partitionKey") == "http://127.0.0.1"
        assert oidc_state.COOKIE_NAME not in cookies
    finally:
        portal.stop()
