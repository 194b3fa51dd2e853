"""A real Content-Security-Policy on every page, and pages that live within it.

The browser test (tests/browser/test_csp.py) proves no violation happens; these tests
check the header and the HTML on the server side, quickly and for every main screen.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from audit.recording import record
from config.testing import hx
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

# What Django's LazyNonce produces: secrets.token_urlsafe(16), 22 characters of base64url.
NONCE = re.compile(r"[A-Za-z0-9_-]{22}")


class Markup(HTMLParser):
    """Every <script>'s attributes, every on… handler attribute, style attributes and tags."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.styled: list[str] = []
        self.style_tags = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        elif tag == "style":
            self.style_tags += 1
        self.handlers += [f"<{tag} {name}=...>" for name, _ in attrs if name.startswith("on")]
        self.styled += [f"<{tag} style=...>" for name, _ in attrs if name == "style"]

    handle_startendtag = handle_starttag


@pytest.fixture
def hostile_entry(admin):
    """An audit entry whose logged value is a script."""
    record(user=admin, action="car.update", car_id=DEMO.car_id,
           changes={"name": {"before": "<script>alert(1)</script>", "after": "x"}})


def main_screens(admin_id):
    return [
        reverse("home"),
        reverse("cars:list"),
        reverse("cars:detail", args=[DEMO.car_id]),
        reverse("cars:edit", args=[DEMO.car_id]),
        reverse("cars:create"),
        reverse("settings"),
        reverse("audit"),
        reverse("users"),
        reverse("user", args=[admin_id]),
    ]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def header_nonce(response) -> str:
    """The one nonce of the response's script-src, checked to be a real one."""
    nonces = [v for v in policy(response)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, nonces
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert NONCE.fullmatch(nonce), f"not a nonce: {nonce!r}"
    return nonce


def assert_page_lives_within_the_policy(response, status=200) -> str:
    """Check the policy and that the page needs nothing beyond it; return the page's nonce."""
    assert response.status_code == status, response.status_code
    directives = policy(response)
    nonce = header_nonce(response)
    assert not [v for values in directives.values() for v in values if "unsafe" in v]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert "frame-ancestors" in directives

    html = response.content.decode()
    markup = Markup(html)
    # Every page is built on base.html, which loads htmx and app.js: no scripts at all would
    # mean the loop below checked nothing.
    assert markup.scripts, "no <script> on the page"
    for script in markup.scripts:
        assert script.get("nonce") == nonce, f"script without this response's nonce: {script}"
        if script.get("src") is not None:
            assert script["src"].startswith("/static/"), script["src"]
    assert markup.handlers == []
    assert markup.styled == []
    assert markup.style_tags == 0
    assert "javascript:" not in html.lower()
    for url in re.findall(r'<(?:link|script|img|iframe)\b[^>]*\s(?:src|href)="([^"]*)"', html):
        assert not url.startswith(("http:", "https:", "//")), f"another host: {url}"
    return nonce


def test_every_main_screen_has_the_policy_and_lives_within_it(admin_client, admin, hostile_entry):
    for url in main_screens(admin.pk):
        assert_page_lives_within_the_policy(admin_client.get(url))


def test_the_login_and_the_403_pages_too(support_client):
    assert_page_lives_within_the_policy(Client().get(reverse("login")))
    assert_page_lives_within_the_policy(support_client.get(reverse("cars:create")), status=403)


def test_every_page_gets_a_fresh_nonce(admin_client):
    first = assert_page_lives_within_the_policy(admin_client.get(reverse("settings")))
    second = assert_page_lives_within_the_policy(admin_client.get(reverse("settings")))
    assert first != second


def test_logged_values_are_escaped(admin_client, hostile_entry):
    page = admin_client.get(reverse("audit")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_without_a_portal_nothing_else_may_frame_the_app(client):
    response = client.get(reverse("login"))
    assert policy(response)["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"


def test_portal_origins_may_frame_the_app(client, settings):
    portal = "https://portal.corp.example"
    settings.FRAME_ANCESTORS = [portal]
    settings.SECURE_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["'self'", portal]}
    response = client.get(reverse("login"))
    assert policy(response)["frame-ancestors"] == ["'self'", portal]
    # X-Frame-Options cannot name the portal; CSP frame-ancestors decides alone.
    assert "X-Frame-Options" not in response


def test_other_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_csrf_failure_page_lives_within_the_policy(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})
    assert response.status_code == 403
    assert "Reload the page and try again." in response.content.decode()
    assert_page_lives_within_the_policy(response, status=403)


def test_cross_site_cookies_are_partitioned(client, settings):
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.get(reverse("login"))
    header = response.cookies[settings.CSRF_COOKIE_NAME].output()
    assert "SameSite=None" in header and "Secure" in header
    assert header.endswith("; Partitioned")


def test_same_site_cookies_are_left_alone(client):
    header = client.get(reverse("login")).cookies["csrftoken"].output()
    assert "SameSite=Lax" in header
    assert "Partitioned" not in header


# -- Permissions-Policy: what no page of ours uses is denied --------------------------------

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid",
                   "display-capture")


def permissions_policy(response) -> dict[str, str]:
    header = response["Permissions-Policy"]
    return dict(part.strip().split("=", 1) for part in header.split(","))


def test_every_answer_denies_the_browser_features_the_app_does_not_use(
        admin_client, admin, client):
    answers = [admin_client.get(url) for url in main_screens(admin.pk)]
    answers += [
        client.get(reverse("login")),
        client.get(reverse("oidc_authentication_init")),  # a 404 without SSO
        client.get("/no/such/page/"),
        client.get("/healthz"),
        client.get("/static/js/app.js"),
        Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"}),
        admin_client.get(reverse("cars:list"), headers=hx()),
    ]
    for response in answers:
        policy_ = permissions_policy(response)
        for feature in DENIED_FEATURES:
            assert policy_.get(feature) == "()", (response.status_code, feature, policy_)


def test_the_maps_never_ask_where_the_browser_is():
    # geolocation is denied above: no script of ours may need it (Leaflet's map.locate()
    # would; we never call it).
    from pathlib import Path

    static = Path(__file__).resolve().parents[1] / "static" / "js"
    for script in static.glob("*.js"):
        text = script.read_text()
        assert "geolocation" not in text and ".locate(" not in text, script.name


def test_htmx_settles_no_style_attribute(admin_client):
    # htmx's default attributesToSettle copies the old element's style attribute onto the
    # element swapped in under the same id, with setAttribute: the policy blocks that (a
    # style-src-attr violation on every later round of a progressive route, whose map
    # Leaflet has styled). Elements keep their styles through script, never attributes.
    import json

    html = admin_client.get(reverse("home")).content.decode()
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', html)[1])
    assert "attributesToSettle" in config, "htmx's default settles style attributes"
    assert "style" not in config["attributesToSettle"]
