"""fleetadmin inside an intranet portal's frame: allowed origins render it, others are refused.

Each portal is a real page on its own port (a tiny http.server) that puts the dashboard
into an <iframe>. The dashboard runs on http://localhost:PORT; a portal on
http://localhost:OTHER is another origin but the same site, one on http://127.0.0.1:OTHER
another site (Chromium treats localhost as a secure context, so Secure cookies work on it).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from config.testing import make_user
from tests.browser.conftest import wait_for


class Portal:
    """A page at `url` that frames `target`."""

    def __init__(self, host: str, target: str):
        page = (f'<!doctype html><html><head><title>Intranet</title></head><body>'
                f'<h1>Intranet portal</h1><iframe id="app" src="{target}" width="1000" '
                f'height="700" title="fleetadmin"></iframe></body></html>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://{host}:{self.server.server_address[1]}"
        self.url = self.origin + "/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def portals(dashboard):
    started = []

    def start(host):
        portal = Portal(host, f"{dashboard}/login/")
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.stop()


def allow_framing(settings, *origins):
    settings.FRAME_ANCESTORS = list(origins)
    settings.SECURE_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["'self'", *origins]}


def refused(console_problems) -> bool:
    return any("frame-ancestors" in problem for problem in console_problems)


def log_in_inside(frame, username):
    frame.get_by_label("Username").fill(username)
    frame.get_by_label("Password").fill("pw-for-tests-1")
    frame.get_by_role("button", name="Log in").click()


def open_cars_inside(frame):
    """Signed in, the frame shows the home page; its menu leads on to the car list."""
    expect(frame.get_by_role("heading", name="Overview")).to_be_visible()
    frame.get_by_role("navigation", name="Main").get_by_role("link", name="Cars").click()
    expect(frame.get_by_role("heading", name="Cars")).to_be_visible()
    expect(frame.locator("#car-rows tr").first).to_be_visible()


def test_an_allowed_same_site_portal_shows_the_app_and_signing_in_works(
        page, dashboard, portals, settings, console_problems):
    assert dashboard.startswith("http://localhost:")
    portal = portals("localhost")
    allow_framing(settings, portal.origin)
    make_user("fm")

    page.goto(portal.url)
    frame = page.frame_locator("#app")
    expect(frame.get_by_role("heading", name="Log in to fleetadmin")).to_be_visible()
    # The default SameSite=Lax cookies work inside a same-site portal.
    log_in_inside(frame, "fm")
    open_cars_inside(frame)
    assert not refused(console_problems)


def test_a_portal_not_listed_is_refused(page, dashboard, portals, settings, console_problems):
    allowed = portals("localhost")
    allow_framing(settings, allowed.origin)
    other = portals("127.0.0.1")

    response = page.request.get(f"{dashboard}/login/")
    assert "frame-ancestors 'self' " + allowed.origin in response.headers[
        "content-security-policy"]

    page.goto(other.url)
    expect(page.get_by_role("heading", name="Intranet portal")).to_be_visible()
    # The refusal is the event to wait for; only after it does "no login page" mean anything.
    wait_for(page, lambda: refused(console_problems), what="the frame-ancestors refusal")
    frame = page.frame_locator("#app")
    expect(frame.get_by_role("heading", name="Log in to fleetadmin")).to_have_count(0)


def test_without_configured_portals_no_one_may_frame_the_app(
        page, dashboard, portals, console_problems):
    portal = portals("localhost")
    page.goto(portal.url)
    expect(page.get_by_role("heading", name="Intranet portal")).to_be_visible()
    wait_for(page, lambda: refused(console_problems), what="the frame-ancestors refusal")
    expect(page.frame_locator("#app").get_by_role("heading", name="Log in to fleetadmin")
           ).to_have_count(0)


def test_a_cross_site_portal_fails_with_default_cookies(page, dashboard, portals, settings):
    portal = portals("127.0.0.1")  # another site than localhost
    allow_framing(settings, portal.origin)
    make_user("fm")
    page.goto(portal.url)
    frame = page.frame_locator("#app")
    log_in_inside(frame, "fm")
    # Lax cookies are not sent to a cross-site frame: the login form's CSRF check fails.
    expect(frame.get_by_text("Reload the page and try again.")).to_be_visible()


def test_a_cross_site_portal_works_with_cross_site_cookies(
        page, dashboard, portals, settings, console_problems):
    portal = portals("127.0.0.1")  # another site than localhost
    allow_framing(settings, portal.origin)
    # What DJANGO_CROSS_SITE_COOKIES=true sets (see test_deploy).
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    make_user("fm")

    page.goto(portal.url)
    frame = page.frame_locator("#app")
    log_in_inside(frame, "fm")
    open_cars_inside(frame)
    # Chromium blocks third-party cookies here; partitioned ones (CHIPS) are kept, per portal.
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["sameSite"] == "None"
    assert cookies["sessionid"].get("partitionKey") == "http://127.0.0.1"
    assert not refused(console_problems)
