"""403, 404 and 500 are pages of the app: the menu, our styles, words that say what to do."""

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
