"""Starting single sign-on writes nothing: no session, no audit entry, until the provider answers.

The sign-in's state, nonce and PKCE verifier travel in an encrypted cookie
(accounts.oidc_state); the session starts when the callback signs someone in.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import oidc_state
from accounts.tests.oidc_provider import s256
from accounts.tests.test_oidc import back_to_app, provider_redirect, signed_in_user, start
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CALLBACK = "oidc_authentication_callback"


def state_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def test_anonymous_starts_create_no_session_and_no_audit_entry(idp):
    for _visitor in range(25):
        client = Client()
        authorize = start(client)
        assert authorize.startswith(idp.issuer + "/authorize?")
        assert oidc_state.COOKIE_NAME in client.cookies
    assert Session.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_the_cookie_carries_state_nonce_and_verifier_unreadably(client, idp):
    response = client.get(reverse("oidc_authentication_init"))
    params = parse_qs(urlsplit(response["Location"]).query)
    cookie = response.cookies[oidc_state.COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"  # sent along with the provider's redirect back
    assert cookie["path"] == "/oidc/"
    assert int(cookie["max-age"]) == 600
    pending = oidc_state.pending_sign_ins(response.wsgi_request.__class__(
        {**response.wsgi_request.environ,
         "HTTP_COOKIE": f"{oidc_state.COOKIE_NAME}={cookie.value}"}))
    entry = pending[params["state"][0]]
    assert params["nonce"] == [entry.nonce]
    assert params["code_challenge"] == [s256(entry.code_verifier)]
    for secret in (entry.state, entry.nonce, entry.code_verifier):
        assert secret not in cookie.value


def test_for_a_portal_on_another_site_the_cookie_is_cross_site(client, idp, settings):
    settings.SESSION_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = True
    response = client.get(reverse("oidc_authentication_init"))
    header = response.cookies[oidc_state.COOKIE_NAME].OutputString()
    assert "SameSite=None" in header
    assert "Secure" in header
    assert "Partitioned" in header


def test_a_whole_sign_in_starts_one_session_and_clears_the_cookie(client, idp):
    idp.sign_in_as("ann-sub", groups=["fleet-admins"], preferred_username="ann")
    callback = provider_redirect(start(client, "/settings/"))
    assert Session.objects.count() == 0  # still nothing while at the provider
    response = back_to_app(client, callback)
    assert response["Location"] == "/settings/"
    assert signed_in_user(client).username == "ann"
    assert Session.objects.count() == 1
    assert response.cookies[oidc_state.COOKIE_NAME]["max-age"] == 0  # removed


def test_two_tabs_each_finish_their_sign_in(client, idp):
    idp.sign_in_as("tabs", groups=["helpdesk"], preferred_username="tabs")
    first = start(client)
    second = start(client)
    assert state_of(first) != state_of(second)
    assert back_to_app(client, provider_redirect(first))["Location"] == "/"
    client.post(reverse("logout"))
    assert back_to_app(client, provider_redirect(second))["Location"] == "/"
    assert signed_in_user(client).username == "tabs"


def test_a_forged_cookie_is_ignored(client, idp):
    idp.sign_in_as("mallory", groups=["fleet-admins"])
    callback = provider_redirect(start(client))
    value = client.cookies[oidc_state.COOKIE_NAME].value
    client.cookies[oidc_state.COOKIE_NAME] = value[:-6] + ("AAAAAA" if value[-6:] != "AAAAAA"
                                                           else "BBBBBB")
    response = back_to_app(client, callback)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    assert ("POST", "/token") not in idp.requests
    assert not AuditEntry.objects.exists()


def test_a_copy_of_the_old_cookie_cannot_replay_a_callback(client, idp):
    idp.sign_in_as("replay", groups=["fleet-admins"])
    callback = provider_redirect(start(client))
    copied = client.cookies[oidc_state.COOKIE_NAME].value
    assert back_to_app(client, callback)["Location"] == "/"
    client.post(reverse("logout"))
    tokens_asked = idp.requests.count(("POST", "/token"))

    attacker = Client()
    attacker.cookies[oidc_state.COOKIE_NAME] = copied
    response = back_to_app(attacker, callback)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(attacker) is None
    assert idp.requests.count(("POST", "/token")) == tokens_asked


def test_a_sign_in_left_too_long_at_the_provider_is_refused(client, idp, monkeypatch):
    idp.sign_in_as("slowpoke", groups=["fleet-admins"])
    callback = provider_redirect(start(client))
    later = oidc_state._now() + 601
    monkeypatch.setattr(oidc_state, "_now", lambda: later)
    response = back_to_app(client, callback)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    assert ("POST", "/token") not in idp.requests


def test_a_callback_of_another_browser_is_refused(client, idp):
    idp.sign_in_as("victim", groups=["fleet-admins"])
    callback = provider_redirect(start(client))
    other = Client()
    start(other)  # a sign-in of its own in progress
    response = back_to_app(other, callback)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(other) is None
    assert not AuditEntry.objects.exists()


def test_an_error_callback_a_client_sends_itself_writes_nothing(idp):
    # `error=` comes from the browser, not from the provider (anyone can send it after a
    # start of their own): it is logged, never a session or an audit entry.
    for _visitor in range(20):
        client = Client()
        state = state_of(start(client))
        response = client.get(reverse(CALLBACK), {"state": state, "error": "access_denied"})
        assert response["Location"] == "/login/?sso=failed"
    assert Session.objects.count() == 0
    assert AuditEntry.objects.count() == 0
