"""Signing out after single sign-on also ends the provider's session, when it offers that."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.tests.test_oidc import sign_in, signed_in_user
from config.testing import make_user

pytestmark = pytest.mark.django_db


def test_sign_out_goes_to_the_providers_end_session_endpoint(client, idp):
    idp.discovery_overrides = {"end_session_endpoint": f"{idp.issuer}/logout"}
    idp.sign_in_as("sub-1", groups=["helpdesk"])
    sign_in(client, idp)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{idp.issuer}/logout"
    params = parse_qs(location.query)
    assert params["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert params["client_id"] == [idp.client_id]
    assert params["id_token_hint"][0].count(".") == 2  # the ID token, a JWT
    assert signed_in_user(client) is None


def test_without_an_end_session_endpoint_sign_out_still_works(client, idp):
    idp.sign_in_as("sub-2", groups=["helpdesk"])
    sign_in(client, idp)
    response = client.post(reverse("logout"))
    assert response["Location"] == "/login/"
    assert signed_in_user(client) is None


def test_a_password_session_signs_out_locally(client, idp):
    idp.discovery_overrides = {"end_session_endpoint": f"{idp.issuer}/logout"}
    client.force_login(make_user("local", with_credentials=False))
    response = client.post(reverse("logout"))
    assert response["Location"] == "/login/"
