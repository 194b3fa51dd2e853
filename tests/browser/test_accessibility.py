"""axe-core over every main screen, at desktop and phone width: no serious or critical finding.

axe-core (tests/browser/vendor/axe-core, from npm) is injected into each page the test
drives; the page's own script runs under its CSP as usual, only this test's context lets the
injected tool in (`bypass_csp`).
"""

from pathlib import Path

import pytest

from accounts.access import ROLE_ADMIN
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import fleet_map_at_rest, settled, signed_in_as

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WIDTHS = {"desktop": 1440, "phone": 390}
SCREENS = [
    "/",
    "/cars/",
    f"/cars/{DEMO.car_id}/",
    f"/cars/{DEMO.car_id}/map/",
    f"/cars/{DEMO.car_id}/events/",
    "/map/",
    "/left-open/",
    "/settings/",
    "/audit/",
    "/users/",
    "/users/new/",
    "/outbox/",
    "/people/",
    "/people/new/",
    "/people/import/",
]
BLOCKING = {"serious", "critical"}
# WCAG 2.2 A and AA, axe's best practices, and its experimental rules (among them
# label-content-name-mismatch: a control's accessible name contains its visible text).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice",
             "experimental"]


# Targets that WCAG 2.5.8's "Equivalent" exception covers: a map's markers and clusters,
# which overlap where cars are close. Every car on the fleet map is also a row of the car
# list beside it, a full-size target that selects the same car.
EQUIVALENT_ELSEWHERE = [".leaflet-marker-pane"]


def findings(page) -> list[str]:
    """Run axe on the page as it stands; return its serious and critical findings, described."""
    page.evaluate(AXE)
    violations = page.evaluate("""async ([tags, equivalent]) => {
        const all = await axe.run(document, {resultTypes: ["violations"],
            runOnly: {type: "tag", values: tags}, rules: {"target-size": {enabled: false}}});
        const sized = await axe.run({exclude: equivalent.map((selector) => [selector])},
            {resultTypes: ["violations"], runOnly: {type: "rule", values: ["target-size"]}});
        return [...all.violations, ...sized.violations];
    }""", [RULE_TAGS, EQUIVALENT_ELSEWHERE])
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:3])
        for violation in violations if violation["impact"] in BLOCKING
    ]


def axe_page(new_context, *, width: str, language: str):
    """A page of its own context (from `new_browser_context`, closed after the test) that
    lets the injected axe-core in; tiles refused."""
    context = new_context(bypass_csp=True, locale=language,
                          viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    return page


def sign_in(page, username, password="pw-for-tests-1"):
    """Sign in on the login page the page shows (any language: fields by name)."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_main_screens_have_no_serious_accessibility_findings(dashboard, new_browser_context,
                                                               width, language):
    make_user("ada", role=ROLE_ADMIN)
    page = axe_page(new_browser_context, width=width, language=language)
    page.goto(f"{dashboard}/login/")
    problems = {"/login/": findings(page)}
    signed_in_as(page, dashboard, "ada")  # the login page is judged above, not its form
    for screen in SCREENS:
        page.goto(f"{dashboard}{screen}")
        settled(page)
        if screen == "/map/":
            # Icons fading in mid-animation would be judged on their passing contrast.
            fleet_map_at_rest(page)
        problems[screen] = findings(page)
    found = {screen: found for screen, found in problems.items() if found}
    assert not found, found
