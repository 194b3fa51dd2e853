"""A real Content-Security-Policy on every page, and pages that live within it.

The browser test (tests/browser/test_csp.py) proves no violation happens; these tests
check the header and the HTML on the server side, quickly and for every main screen.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.access import ROLE_ADMIN
from audit.recording import record
from fleetadmin.testing import make_user
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.fixture
def admin_client(flinkey_api):
    admin = make_user("ada", role=ROLE_ADMIN)
    record(user=admin, action="car.update", car_id=DEMO.car_id,
           changes={"name": {"before": "<script>alert(1)</script>", "after": "x"}})
    client = Client()
    client.force_login(admin)
    return client


def main_screens(admin_id):
    return [
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


def assert_page_lives_within_the_policy(response):
    assert response.status_code in (200, 403), response.status_code
    directives = policy(response)
    nonces = [v for v in directives["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-"):-1]
    assert not [v for values in directives.values() for v in values if "unsafe" in v]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert "frame-ancestors" in directives

    html = response.content.decode()
    for attributes in SCRIPT.findall(html):
        src = re.search(r'\ssrc="([^"]*)"', attributes)
        if src:
            assert src.group(1).startswith("/static/"), src.group(1)
        else:
            assert f'nonce="{nonce}"' in attributes, f"inline script, no nonce: {attributes}"
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html).group(0)
    assert "<style" not in html.lower()
    assert "javascript:" not in html.lower()
    for url in re.findall(r'<(?:link|script|img|iframe)\b[^>]*\s(?:src|href)="([^"]*)"', html):
        assert not url.startswith(("http:", "https:", "//")), f"another host: {url}"


def test_every_main_screen_has_the_policy_and_lives_within_it(admin_client):
    admin_id = admin_client.get(reverse("settings")).wsgi_request.user.pk
    for url in main_screens(admin_id):
        assert_page_lives_within_the_policy(admin_client.get(url))


def test_the_login_and_the_403_pages_too(support_client):
    assert_page_lives_within_the_policy(Client().get(reverse("login")))
    assert_page_lives_within_the_policy(support_client.get(reverse("cars:create")))


def test_every_page_gets_a_fresh_nonce(admin_client):
    first = policy(admin_client.get(reverse("settings")))["script-src"]
    second = policy(admin_client.get(reverse("settings")))["script-src"]
    assert first != second


def test_logged_values_are_escaped(admin_client):
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
    assert_page_lives_within_the_policy(response)


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
