"""403, 404, 405 and 500 are pages of the app: the menu, our styles, words that say what to do."""

import pytest
from django.test import Client

from config.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(settings, flinkey_api):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(make_user("lost"))
    return client


def test_an_unknown_url_is_a_page_with_the_menu(signed_in):
    response = signed_in.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert 'class="topnav"' in html and "css/app.css" in html


def test_a_fault_of_ours_is_a_page_with_the_menu(signed_in, monkeypatch):
    from cars import views

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.services, "page_of_cars", broken)
    response = signed_in.get("/cars/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong in fleetadmin" in html
    assert 'class="topnav"' in html
    assert "boom" not in html and "Traceback" not in html


def test_when_even_the_500_page_fails_a_plain_one_answers(signed_in, monkeypatch):
    from fleetadmin.web import error_pages

    def failing_render(*args, **kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr(error_pages, "render", failing_render)
    response = error_pages.server_error(Client().get("/").wsgi_request)
    assert response.status_code == 500
    assert b"Something went wrong in fleetadmin" in response.content


def test_the_load_balancers_503_is_our_page_in_every_language(tmp_path):
    from django.core.management import call_command

    from fleetadmin.management.commands.lb_errorfile import MAX_BYTES

    path = tmp_path / "503.http"
    call_command("lb_errorfile", str(path), retry_after=7)
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    assert int(headers["Content-Length"]) == len(body)  # HAProxy sends the file as is
    assert headers["Retry-After"] == "7"
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert len(raw) <= MAX_BYTES
    html = body.decode()
    assert 'id="lb-unavailable"' in html and 'role="alert"' in html
    assert 'lang="en"' in html and "nothing was saved or changed" in html
    assert 'lang="de"' in html and "Es wurde nichts gespeichert oder geändert" in html
    # No instance is there to serve anything the page would load.
    assert "src=" not in html and "stylesheet" not in html


# A form's address opened as a page (the address bar, the history), and where to go on.
FORM_TARGETS = [
    ("/users/{me}/role/", "/users/{me}/"),
    ("/users/{me}/active/", "/users/{me}/"),
    ("/settings/preferences/", "/settings/"),
    ("/fleet-sync/refresh/", "/fleet-sync/"),
    ("/alerts/7/acknowledge/", "/alerts/"),
    ("/schedules/7/send/", "/schedules/7/"),
    ("/customers/switch/", "/customers/"),
    ("/logout/", None),
]


@pytest.fixture
def admin_signed_in(settings, flinkey_api):
    from accounts.access import ROLE_ADMIN

    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    user = make_user("ada", role=ROLE_ADMIN)
    client.force_login(user)
    client.me = user.pk
    return client


@pytest.mark.parametrize(("target", "way_on"), FORM_TARGETS)
def test_a_forms_address_opened_as_a_page_says_so_with_the_menu(admin_signed_in, target,
                                                                way_on):
    me = admin_signed_in.me
    response = admin_signed_in.get(target.format(me=me))
    html = response.content.decode()
    assert response.status_code == 405
    assert "POST" in response["Allow"] and "GET" not in response["Allow"]
    assert "<h1>Nothing to show at this address</h1>" in html
    assert "This address is the target of a form" in html
    assert 'class="topnav"' in html and "css/app.css" in html
    if way_on:
        assert f'href="{way_on.format(me=me)}">Open the page with this form</a>' in html
    else:
        assert "Open the page with this form" not in html
    assert 'href="/">Go to the cars</a>' in html


def test_a_form_sent_to_a_page_offers_the_page(admin_signed_in):
    response = admin_signed_in.post("/left-open/?hours=24")
    html = response.content.decode()
    assert response.status_code == 405
    assert "GET" in response["Allow"] and "POST" not in response["Allow"]
    assert "<h1>This page takes no form</h1>" in html
    assert 'href="/left-open/?hours=24">Open the page</a>' in html


def test_the_405_page_speaks_german(admin_signed_in):
    response = admin_signed_in.get("/settings/preferences/", HTTP_ACCEPT_LANGUAGE="de")
    html = response.content.decode()
    assert response.status_code == 405
    assert "Unter dieser Adresse gibt es nichts anzuzeigen" in html
    assert "Seite mit diesem Formular öffnen" in html


def test_htmx_gets_a_message_and_keeps_its_page(admin_signed_in):
    from config.testing import hx

    response = admin_signed_in.get("/settings/preferences/", headers=hx("settings"))
    html = response.content.decode()
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert response["HX-Reswap"] == "none"  # nothing of the page is replaced
    assert "<html" not in html
    assert 'id="status"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "the page is out of date. Reload it and try again." in html
    assert "HX-Request" in response["Vary"]


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from fleetadmin.web.error_pages import MethodNotAllowedPageMiddleware

    own = HttpResponseNotAllowed(["POST"], content=b"use POST")
    middleware = MethodNotAllowedPageMiddleware(lambda request: own)
    assert middleware(rf.get("/api/")) is own
