"""Browser tests: Playwright driving Debian's Chromium against a live dashboard + sandbox."""

import os
import re
import time

import pytest

from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
# a thread with a running loop unless told otherwise. Only ever set for browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")



def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium not found: run scripts/setup --browser (or set CHROMIUM_PATH).")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Pages follow the browser's language (Accept-Language): English unless a test asks for
    # another (test_german.py), whatever the machine's own locale is.
    return {**browser_context_args, "locale": "en-US"}


@pytest.fixture
def new_browser_context(browser):
    """`browser.new_context`, each context closed after the test.

    A context left open keeps its pages (and their renderer processes, timers and polls)
    alive until the worker's browser closes, at the cost of every later test on the worker.
    (pytest-playwright's `new_context` cannot take a `locale`: its defaults already hold one.)
    Name it after `dashboard` in a test's arguments: fixtures are torn down in reverse, so
    its pages close before the live server's database is flushed under them.
    """
    made = []

    def new_context(**options):
        context = browser.new_context(**options)
        made.append(context)
        return context

    yield new_context
    for context in made:
        context.close()


@pytest.fixture
def console_problems(page):
    """Console errors and CSP violations the page reported; tests assert it stays empty."""
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


def unexpected(problems):
    """Console problems other than the ones an error answer causes by design.

    Refusals and failures answer with their real status (409, 422, 502, ...); Chromium logs
    each as "Failed to load resource", and htmx logs its responseError. Nothing else may appear.
    """
    expected = re.compile(r"status of [45]\d\d|Response Status Error Code [45]\d\d|"
                          r"htmx:responseError")
    return [problem for problem in problems if not expected.search(problem)]


# A transparent 1x1 PNG: what the map tile server "answers" in browser tests.
BLANK_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def offline_tiles(request):
    """Tests run offline: map tiles get a blank image (a refused load logs a console error).

    A test that wants tiles to fail routes them itself (its route is matched first).
    """
    if "page" not in request.fixturenames:
        return
    from urllib.parse import urlsplit

    from django.conf import settings

    host = urlsplit(settings.FLEETADMIN_TILE_URL.replace("{s}", "a")).netloc
    if host:
        request.getfixturevalue("page").route(
            lambda url: urlsplit(url).netloc.endswith(host.removeprefix("a.")),
            lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE),
        )


@pytest.fixture
def dashboard(live_server, flinkey_api):
    """The live dashboard's base URL, talking to the test's sandbox."""
    return live_server.url


# True once the page has loaded and htmx has nothing in flight: no request, no swap, no settle
# (htmx wires freshly swapped content only after its settle delay; a click before that lands
# on an element without its behaviour).
HTMX_IDLE = """() => document.readyState === 'complete' && window.htmx !== undefined
    && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"""


def settled(page):
    """Wait until the page has loaded and htmx has finished every request, swap and settle."""
    page.wait_for_load_state()
    page.wait_for_function(HTMX_IDLE)
    return page


def watch_network(page):
    """Keep count of `page`'s requests in flight (every frame), for `network_quiet`.

    Call it before the page loads anything it should wait for; calling it again is harmless.
    """
    if getattr(page, "network_watch", None) is None:
        watch = page.network_watch = {"pending": set(), "last": time.monotonic()}

        def started(request):
            watch["pending"].add(request)
            watch["last"] = time.monotonic()

        def ended(request):
            watch["pending"].discard(request)
            watch["last"] = time.monotonic()

        page.on("request", started)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)
    return page


# How long no request may have been in flight before the network counts as quiet. Playwright's
# "networkidle" waits 500 ms, a fixed cost on every visit (half of a typical page's time here).
# After the page has loaded and htmx is idle, nothing of ours starts a request later than htmx's
# settle delay (20 ms; content swapped in starts its own "load" requests then): no page script
# calls fetch or sets a timer that would, and polls ("every 2s", the home page's 2 s "delay")
# come later than networkidle's 500 ms too.
NETWORK_QUIET_SECONDS = 0.15


def network_quiet(page, timeout=30.0, *, htmx=True):
    """Wait until the page has loaded, no request of it is in flight and none has started or
    ended for NETWORK_QUIET_SECONDS; then, unless `htmx` is False, until htmx has settled
    (`settled`, which needs htmx on the page).

    What `wait_for_load_state("networkidle")` waits for, with a shorter quiet time; the page
    must be watched (`watch_network`) from before the navigation.
    """
    watch = page.network_watch
    page.wait_for_load_state()
    deadline = time.monotonic() + timeout
    while watch["pending"] or time.monotonic() - watch["last"] < NETWORK_QUIET_SECONDS:
        if time.monotonic() >= deadline:
            raise AssertionError(f"network not quiet within {timeout} s: "
                                 f"{[request.url for request in watch['pending']]}")
        page.wait_for_timeout(25)  # delivers the page's events meanwhile
    return settled(page) if htmx else page


# The fleet map at rest: every batch read, no zoom or cluster animation running, every
# marker and cluster icon fully shown (they fade in and out while the clusters animate), and
# so for three polls in a row (a zoom the last batch's fit asked for starts a frame later).
FLEET_MAP_AT_REST = """() => {
    const element = document.getElementById('fleet-map');
    const map = element && element.leafletMap;
    const calm = Boolean(map) && element.dataset.loaded === 'true' && !map._animatingZoom
        && !Object.values(map._layers).some(layer => layer._inZoomAnimation)
        && [...document.querySelectorAll('.leaflet-marker-pane > *')]
            .every(icon => getComputedStyle(icon).opacity === '1');
    window.fleetMapCalm = calm ? (window.fleetMapCalm || 0) + 1 : 0;
    return window.fleetMapCalm >= 3;
}"""


def fleet_map_at_rest(page):
    """Wait until the fleet map has drawn every car and stopped moving (FLEET_MAP_AT_REST)."""
    page.wait_for_function(FLEET_MAP_AT_REST, polling=100)
    return page


def wait_for(page, condition, timeout=5.0, what=""):
    """Wait until `condition()` (Python-side, e.g. on console lines) holds; fail at the deadline.

    Waits through Playwright, which delivers the page's events meanwhile (time.sleep would not).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what or condition}")
        page.wait_for_timeout(50)


def rows(page):
    """The rows of the car list's table."""
    return page.locator("#car-rows tr")


def log_in(page, base_url, username, password="pw-for-tests-1"):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    settled(page)


def signed_in_as(page, base_url, username, *, home=True):
    """Sign `username` in without the form, then open the home page, as `log_in` leaves it
    (unless `home` is False: for a test that goes elsewhere first and checks nothing there).

    For tests whose subject is not signing in: the form (login page, POST, redirect) cost
    0.6–0.9 s of a 3.4 s median browser test. The session is Django's own (`force_login`
    with the password backend, so the user_logged_in receivers run as for the form and the
    audit log says "password"), its cookie put into the browser with the attributes the
    server would give it. The form stays covered where it is the subject (test_access.py,
    test_csp.py, test_german.py, test_accessibility.py, test_user_admin.py, ...).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username),
                       backend="django.contrib.auth.backends.ModelBackend")
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
        "httpOnly": settings.SESSION_COOKIE_HTTPONLY,
        "secure": settings.SESSION_COOKIE_SECURE,
        "sameSite": settings.SESSION_COOKIE_SAMESITE or "Lax",
    }])
    if home:
        page.goto(f"{base_url}/")
        settled(page)


@pytest.fixture
def manager_page(page, dashboard, console_problems):
    """A logged-in fleet manager on the car list; alerts (which must never fire) recorded."""
    from playwright.sync_api import expect

    from config.testing import make_user

    make_user("fm")
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.alerts = alerts
    signed_in_as(page, dashboard, "fm")
    expect(page).to_have_url(f"{dashboard}/")  # the session holds: not sent to the login page
    page.goto(f"{dashboard}/cars/")
    settled(page)
    return page
