"""Single sign-on end to end against our own OpenID Connect provider (a real HTTP server).

The Django test client plays the browser: it starts the sign-in, the test follows the
redirect to the provider with a real HTTP request, and feeds the provider's redirect back
to the callback. mozilla-django-oidc talks to the provider over HTTP for the token, the
keys and the user info; nothing of it is mocked.
"""

import http.client
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import oidc_state
from accounts.access import (
    ROLE_ADMIN,
    ROLE_FLEET_MANAGER,
    ROLE_SUPPORT,
    can_manage_users,
    can_write,
    role_of,
)
from accounts.models import SSOIdentity
from accounts.tests.oidc_provider import s256
from audit.models import AuditEntry
from config.testing import hx, make_user

pytestmark = pytest.mark.django_db

BACKENDS = ["django.contrib.auth.backends.ModelBackend", "accounts.oidc.OIDCBackend"]


def provider_redirect(url: str) -> str:
    """GET `url` at the provider over real HTTP; return where it redirects to."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        return answer.getheader("Location")
    finally:
        connection.close()


def start(client, next_url=None):
    """Start signing in; return the provider's authorization URL."""
    url = reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def back_to_app(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == reverse("oidc_authentication_callback")
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, idp, next_url=None):
    """The whole browser round trip; return the callback's response."""
    return back_to_app(client, provider_redirect(start(client, next_url)))


def signed_in_user(client):
    response = client.get(reverse("settings"))
    if response.status_code != 200:
        return None
    return response.wsgi_request.user


def assert_refused(client, response):
    assert response.status_code == 302
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    assert AuditEntry.objects.filter(action="auth.login_failed").exists()


# -- the flow ---------------------------------------------------------------------------


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, idp):
    params = parse_qs(urlsplit(start(client)).query)
    assert params["response_type"] == ["code"]
    assert params["client_id"] == [idp.client_id]
    assert "openid" in params["scope"][0].split()
    assert params["code_challenge_method"] == ["S256"]
    state = params["state"][0]
    stored = oidc_state.pending_sign_ins(client.get("/").wsgi_request)[state]
    assert params["nonce"] == [stored.nonce]
    assert params["code_challenge"] == [s256(stored.code_verifier)]
    assert params["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_first_sign_in_creates_the_user_with_its_sso_subject(client, idp):
    idp.sign_in_as("0f3a-alice", groups=["dispatch"], email="alice@corp.example",
                   preferred_username="alice", given_name="Alice", family_name="Smith")
    response = sign_in(client, idp, next_url="/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/"

    user = signed_in_user(client)
    assert user.username == "alice"
    assert (user.email, user.first_name, user.last_name) == ("alice@corp.example", "Alice", "Smith")
    assert not user.has_usable_password()
    identity = SSOIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (idp.issuer, "0f3a-alice")
    login = AuditEntry.objects.get(action="auth.login")
    assert (login.username, login.sso_subject, login.changes) == (
        "alice", "0f3a-alice", {"method": "sso"})
    # The provider was really asked: discovery, token, keys, user info.
    assert ("GET", "/.well-known/openid-configuration") in idp.requests
    assert ("POST", "/token") in idp.requests
    assert ("GET", "/jwks") in idp.requests
    assert ("GET", "/userinfo") in idp.requests


@pytest.mark.parametrize(("groups", "role"), [
    (["fleet-admins"], ROLE_ADMIN),
    (["fleet-managers"], ROLE_FLEET_MANAGER),
    (["helpdesk"], ROLE_SUPPORT),
    ([], ROLE_SUPPORT),
    (["marketing", "everyone"], ROLE_SUPPORT),
    (["helpdesk", "fleet-admins", "dispatch"], ROLE_ADMIN),
])
def test_the_groups_claim_decides_the_role(client, idp, groups, role):
    idp.sign_in_as("subject-1", groups=groups, preferred_username="pat")
    sign_in(client, idp)
    user = signed_in_user(client)
    assert role_of(user) == role
    assert can_write(user) == (role != ROLE_SUPPORT)
    assert can_manage_users(user) == (role == ROLE_ADMIN)
    change = AuditEntry.objects.get(action="role.change")
    assert change.target == "pat"
    assert change.changes == {"role": {"before": None, "after": role}}


def test_the_groups_claim_name_is_configurable(client, idp, settings):
    settings.OIDC_GROUPS_CLAIM = "roles"
    idp.sign_in_as("subject-2", groups=["fleet-admins"])
    idp.id_token_overrides = {"roles": ["fleet-managers"]}
    sign_in(client, idp)
    assert role_of(signed_in_user(client)) == ROLE_FLEET_MANAGER


def test_the_role_follows_the_groups_at_every_sign_in(client, idp):
    idp.sign_in_as("subject-3", groups=["fleet-admins"], preferred_username="sam")
    sign_in(client, idp)
    client.post(reverse("logout"))

    idp.sign_in_as("subject-3", groups=[], preferred_username="sam")
    sign_in(client, idp)
    user = signed_in_user(client)
    assert user.username == "sam"
    assert role_of(user) == ROLE_SUPPORT
    assert get_user_model().objects.filter(username__startswith="sam").count() == 1
    downgrade = AuditEntry.objects.filter(action="role.change").first()
    assert downgrade.changes == {"role": {"before": ROLE_ADMIN, "after": ROLE_SUPPORT}}


def test_a_local_account_with_the_same_name_or_email_is_never_taken_over(client, idp):
    local_admin = make_user("boss", role=ROLE_ADMIN, with_credentials=False)
    local_admin.email = "boss@corp.example"
    local_admin.save()
    idp.sign_in_as("someone-else", groups=[], preferred_username="boss",
                   email="boss@corp.example")
    sign_in(client, idp)
    user = signed_in_user(client)
    assert user.pk != local_admin.pk
    assert user.username.startswith("boss~")
    assert role_of(user) == ROLE_SUPPORT


def test_sign_in_without_a_provider_session_fails_cleanly(client, idp, caplog):
    # The provider answers error=login_required: back to the login page, nobody signed in.
    # Logged, not recorded: an error in the callback's URL may come from anyone.
    response = sign_in(client, idp)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    assert "single sign-on refused: identity provider: login_required" in caplog.messages


def test_the_login_page_offers_single_sign_on(client, idp):
    page = client.get(reverse("login")).content.decode()
    assert reverse("oidc_authentication_init") in page
    assert 'name="password"' in page


def test_explicit_endpoints_need_no_discovery(client, idp, settings):
    for name, value in idp.settings(discover=False).items():
        setattr(settings, name, value)
    idp.sign_in_as("explicit", groups=["fleet-managers"])
    sign_in(client, idp)
    assert role_of(signed_in_user(client)) == ROLE_FLEET_MANAGER
    assert ("GET", "/.well-known/openid-configuration") not in idp.requests


def test_discovery_naming_another_issuer_is_refused(client, idp):
    idp.discovery_overrides = {"issuer": "http://evil.example"}
    idp.sign_in_as("x", groups=["fleet-admins"])
    response = client.get(reverse("oidc_authentication_init"))
    assert response["Location"] == "/login/?sso=failed"
    assert "another issuer" in AuditEntry.objects.get(action="auth.login_failed").message


def test_an_unreachable_provider_leaves_password_login_working(client, idp, settings):
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    make_user("local", with_credentials=False)
    assert client.get(reverse("oidc_authentication_init"))["Location"] == "/login/?sso=failed"
    response = client.post(reverse("login"), {"username": "local", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert signed_in_user(client).username == "local"


# -- refused ID tokens ------------------------------------------------------------------


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda idp: setattr(idp, "sign_with_foreign_key", True), id="forged-signature"),
    pytest.param(lambda idp: idp.id_token_overrides.update(
        exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), id="expired"),
    pytest.param(lambda idp: idp.id_token_overrides.update(aud="another-app"),
                 id="wrong-audience"),
    pytest.param(lambda idp: idp.id_token_overrides.update(
        aud=["another-app", idp.client_id]), id="shared-audience-without-azp"),
    pytest.param(lambda idp: idp.id_token_overrides.update(iss="http://evil.example"),
                 id="wrong-issuer"),
    pytest.param(lambda idp: idp.id_token_overrides.update(nonce="replayed-nonce"),
                 id="wrong-nonce"),
    pytest.param(lambda idp: idp.id_token_overrides.update(exp=None), id="no-expiry"),
])
def test_a_bad_id_token_is_refused(client, idp, spoil):
    idp.sign_in_as("mallory", groups=["fleet-admins"], preferred_username="mallory")
    spoil(idp)
    assert_refused(client, sign_in(client, idp))
    assert not get_user_model().objects.filter(username__startswith="mallory").exists()
    assert "refused" in AuditEntry.objects.get(action="auth.login_failed").message


def test_a_stolen_code_is_useless_without_the_pkce_verifier(client, idp, django_user_model):
    from django.test import Client

    idp.sign_in_as("victim", groups=["fleet-admins"], preferred_username="victim")
    victim_callback = provider_redirect(start(client))
    victim_code = parse_qs(urlsplit(victim_callback).query)["code"][0]

    # The attacker starts their own sign-in (their own state and verifier) and swaps in
    # the victim's code: the provider checks the verifier against the victim's challenge.
    attacker = Client()
    attacker_state = parse_qs(urlsplit(start(attacker)).query)["state"][0]
    response = attacker.get(reverse("oidc_authentication_callback"),
                            {"code": victim_code, "state": attacker_state})
    assert_refused(attacker, response)
    assert "invalid_grant" in AuditEntry.objects.get(action="auth.login_failed").message
    assert not django_user_model.objects.filter(username="victim").exists()


def test_the_provider_refuses_a_wrong_verifier(idp):
    # The provider itself: the PKCE check the test above relies on.
    idp.sign_in_as("x")
    status, answer = idp.authorize({
        "client_id": idp.client_id, "redirect_uri": "http://testserver/cb", "state": "s",
        "response_type": "code", "scope": "openid", "code_challenge": s256("right" * 10),
        "code_challenge_method": "S256",
    })
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    status, answer = idp.token({
        "client_id": idp.client_id, "client_secret": idp.client_secret, "code": code,
        "grant_type": "authorization_code", "redirect_uri": "http://testserver/cb",
        "code_verifier": "wrong" * 10,
    }, None)
    assert (status, answer["error"]) == (400, "invalid_grant")


def test_a_replayed_callback_is_refused(client, idp):
    idp.sign_in_as("replay", groups=["fleet-admins"])
    callback = provider_redirect(start(client))
    assert back_to_app(client, callback)["Location"] == "/"
    client.post(reverse("logout"))
    entries = AuditEntry.objects.count()
    response = back_to_app(client, callback)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    # Not a sign-in this session started: nothing recorded (anyone could send it).
    assert AuditEntry.objects.count() == entries


def test_a_forged_callback_is_refused_without_an_error_page(client, idp):
    start(client)  # a sign-in in progress, but another state
    response = client.get(reverse("oidc_authentication_callback"),
                          {"code": "guessed", "state": "forged"})
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None
    assert not AuditEntry.objects.exists()


def test_a_code_in_a_password_login_never_reaches_the_provider(client, idp):
    make_user("local", with_credentials=False)
    idp.sign_in_as("x")
    response = client.post(reverse("login") + "?code=abc&state=def",
                           {"username": "local", "password": "wrong"})
    assert response.status_code == 200
    assert ("POST", "/token") not in idp.requests


def test_a_slow_provider_times_out(client, idp, settings):
    settings.OIDC_TIMEOUT = 0.3
    idp.token_delay = 4
    idp.sign_in_as("slow", groups=["fleet-admins"])
    started = time.monotonic()
    assert_refused(client, sign_in(client, idp))
    assert time.monotonic() - started < 3  # our 0.3 s timeout, not the provider's 4 s
    assert "timed out" in AuditEntry.objects.get(action="auth.login_failed").message.lower()


def test_the_client_secret_can_go_as_basic_auth(client, idp, settings):
    settings.OIDC_TOKEN_USE_BASIC_AUTH = True
    idp.sign_in_as("basic", groups=["helpdesk"])
    sign_in(client, idp)
    assert role_of(signed_in_user(client)) == ROLE_SUPPORT


def test_a_deactivated_user_cannot_sign_in(client, idp):
    idp.sign_in_as("leaver", groups=["fleet-admins"], preferred_username="leaver")
    sign_in(client, idp)
    client.post(reverse("logout"))
    get_user_model().objects.filter(username="leaver").update(is_active=False)
    response = sign_in(client, idp)
    assert response["Location"] == "/login/?sso=failed"
    assert signed_in_user(client) is None


# -- turned off -------------------------------------------------------------------------


def test_without_oidc_the_sso_urls_do_not_exist(client, settings):
    settings.OIDC_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    assert reverse("oidc_authentication_init") not in client.get(reverse("login")).content.decode()


def test_local_login_can_be_turned_off(client, idp, settings):
    make_user("local", with_credentials=False)
    settings.LOCAL_LOGIN_ENABLED = False
    settings.AUTHENTICATION_BACKENDS = [
        "accounts.auth_views.PermissionsOnlyBackend", "accounts.oidc.OIDCBackend",
    ]
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' not in page
    assert reverse("oidc_authentication_init") in page
    response = client.post(reverse("login"), {"username": "local", "password": "pw-for-tests-1"})
    assert response.status_code == 403
    assert signed_in_user(client) is None
    # Even a direct authenticate() finds no password backend.
    assert not client.login(username="local", password="pw-for-tests-1")

    # Roles still work for users signed in through SSO.
    idp.sign_in_as("manager-sub", groups=["fleet-managers"])
    sign_in(client, idp)
    assert can_write(signed_in_user(client))


# -- renewing the sign-on during htmx use ------------------------------------------------


@pytest.fixture
def session_refresh(settings):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django_htmx.middleware.HtmxMiddleware") + 1,
                      "accounts.oidc.SessionRefresh")
    settings.MIDDLEWARE = middleware


def expire_sign_on(client):
    session = client.session
    session["oidc_id_token_expiration"] = time.time() - 1
    session.save()


def test_an_expired_sign_on_during_htmx_use_navigates_the_browser(client, idp, session_refresh):
    idp.sign_in_as("htmx-user", groups=["fleet-managers"], preferred_username="hx")
    sign_in(client, idp)
    expire_sign_on(client)

    response = client.get(reverse("audit") + "?page=2",
                          headers=hx(current_url="http://testserver/settings/"))
    assert response.status_code == 200
    authorize = response["HX-Redirect"]
    assert authorize.startswith(idp.issuer + "/authorize?")
    assert parse_qs(urlsplit(authorize).query)["prompt"] == ["none"]

    # The browser goes to the provider and comes back to the page, not the fragment.
    back = back_to_app(client, provider_redirect(authorize))
    assert back["Location"] == "/settings/"
    assert signed_in_user(client).username == "hx"


def test_an_expired_sign_on_on_a_page_redirects(client, idp, session_refresh):
    idp.sign_in_as("page-user", groups=["helpdesk"])
    sign_in(client, idp)
    expire_sign_on(client)
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(idp.issuer + "/authorize?")
