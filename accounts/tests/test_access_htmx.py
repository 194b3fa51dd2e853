"""An htmx request whose session ended sends the browser to log in (no login page in a panel)."""

import pytest
from django.urls import reverse

from config.testing import hx

pytestmark = pytest.mark.django_db


def htmx_get(client, url, current="http://testserver/cars/?page=2"):
    return client.get(url, headers=hx(current_url=current))


def test_htmx_gets_hx_redirect_back_to_the_page(client):
    response = htmx_get(client, reverse("audit") + "?page=3")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=%2Fcars%2F%3Fpage%3D2"
    assert b"<form" not in response.content  # nothing to swap into a panel


def test_a_foreign_current_url_is_not_an_open_redirect(client):
    response = htmx_get(client, reverse("audit"), current="http://evil.example/phish")
    # Back to the home page after signing in, not to the foreign address.
    assert response["HX-Redirect"] == "/login/?next=%2F"


def test_a_plain_request_keeps_the_ordinary_redirect(client):
    response = client.get(reverse("audit"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/audit/"


def test_a_signed_in_htmx_request_is_untouched(manager_client):
    response = htmx_get(manager_client, reverse("audit"))
    assert response.status_code == 200
    assert "HX-Redirect" not in response
