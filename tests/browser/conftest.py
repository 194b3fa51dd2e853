"""Browser tests: Playwright driving Debian's Chromium against a live dashboard + sandbox."""

import os
import subprocess
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
# a thread with a running loop unless told otherwise. Only ever set for browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    finder = ROOT / "scripts" / "find-chromium"
    found = subprocess.run([finder], capture_output=True, text=True)  # noqa: S603 - our script
    if found.returncode != 0:
        pytest.fail("Chromium not found: run scripts/setup --browser (or set CHROMIUM_PATH).")
    return {
        **browser_type_launch_args,
        "executable_path": found.stdout.strip(),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def console_problems(page):
    """Console errors and CSP violations the page reported; tests assert it stays empty."""
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


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


def log_in(page, base_url, username, password="pw-for-tests-1"):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
