"""Every main screen under the real Content-Security-Policy: zero violations in Chromium.

Violations are caught twice: the page's `securitypolicyviolation` events (a listener put
in by Playwright, which CSP does not govern) and Chromium's console errors.
"""

import pytest
from playwright.sync_api import expect

from accounts.access import ROLE_ADMIN, ROLE_SUPPORT
from audit.recording import record
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import log_in, network_quiet, watch_network

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.documentURI}`);
});
"""


@pytest.fixture
def watched(page, console_problems):
    """The page with a CSP violation listener in every document it loads."""
    page.add_init_script(LISTEN)
    watch_network(page)
    violations = []

    def collect():
        violations.extend(page.evaluate("window.__cspViolations || []"))
        page.evaluate("window.__cspViolations = []")

    page.csp_violations = violations
    page.collect_violations = collect
    return page


def visit(page, url):
    page.goto(url)
    # Not waiting for htmx: a script the policy blocked (htmx itself) must fail the test on
    # its violation, not on a wait for htmx.
    network_quiet(page, htmx=False)
    page.collect_violations()


def test_every_main_screen_as_admin_without_a_violation(watched, dashboard, console_problems):
    page = watched
    admin = make_user("ada", role=ROLE_ADMIN)
    make_user("sue", role=ROLE_SUPPORT)
    record(user=admin, action="car.update", car_id=DEMO.car_id, customer_id=DEMO.customer_id,
                 changes={"name": {"before": "Old", "after": "New"}})
    log_in(page, dashboard, "ada")
    expect(page).to_have_url(f"{dashboard}/")
    network_quiet(page, htmx=False)
    page.collect_violations()

    screens = ["/", "/cars/", f"/cars/{DEMO.car_id}/", f"/cars/{DEMO.car_id}/edit/", "/cars/new/",
               "/settings/", "/audit/", "/users/", f"/users/{admin.pk}/"]
    for path in screens:
        visit(page, dashboard + path)
        expect(page.locator("main h1")).to_be_visible()

    # htmx at work under the policy: the audit filter swaps the table in place ...
    visit(page, dashboard + "/audit/")
    page.get_by_label("Action").select_option("car.update")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-table")).to_contain_text("New")
    # ... and the settings page's connection test swaps its panel.
    visit(page, dashboard + "/settings/")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected. Choose the customer you work for:")).to_be_visible()
    page.collect_violations()

    assert page.csp_violations == []
    assert console_problems == []


def test_the_login_page_and_a_403_without_a_violation(watched, dashboard, console_problems):
    page = watched
    visit(page, dashboard + "/login/")
    make_user("sue", role=ROLE_SUPPORT)
    log_in(page, dashboard, "sue")
    expect(page).to_have_url(f"{dashboard}/")
    page.goto(dashboard + "/cars/new/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.collect_violations()
    assert page.csp_violations == []
    # The 403 itself is the only console line (Chromium logs every 4xx document).
    assert [p for p in console_problems if "403" not in p] == []


def test_the_violation_detector_works(watched, dashboard):
    # A control: an inline script without the nonce must be caught, or the tests above
    # would prove nothing.
    page = watched
    visit(page, dashboard + "/login/")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.appendChild(script);
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    page.collect_violations()
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in violation for violation in page.csp_violations)


ASKED = ["camera", "microphone", "geolocation", "payment", "usb", "serial"]


def console_lines(page):
    """Every console line of the page, whatever its level (Chromium warns of unknown features)."""
    lines = []
    page.on("console", lambda message: lines.append(f"{message.type}: {message.text}"))
    return lines


def test_chromium_applies_the_permissions_policy(page, dashboard):
    lines = console_lines(watch_network(page))
    page.goto(dashboard + "/login/")
    network_quiet(page, htmx=False)
    allowed = page.evaluate("features => features.map(f => document.featurePolicy"
                            ".allowsFeature(f))", ASKED)
    assert allowed == [False] * len(ASKED)
    # Asking where the browser is fails at once (1: PERMISSION_DENIED), with no prompt.
    code = page.evaluate("""() => new Promise(done => navigator.geolocation
        .getCurrentPosition(() => done("granted"), error => done(error.code)))""")
    assert code == 1
    # Chromium knows every feature we name: an unknown one is reported on the console.
    assert [line for line in lines if "Permissions-Policy" in line] == []


def test_an_unknown_feature_would_be_reported(page, dashboard, settings):
    # A control for the last assertion above.
    settings.PERMISSIONS_POLICY_DENIED = ["camera", "no-such-feature"]
    lines = console_lines(watch_network(page))
    page.goto(dashboard + "/login/")
    network_quiet(page, htmx=False)
    assert any("no-such-feature" in line for line in lines), lines
