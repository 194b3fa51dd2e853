"""Reverse-proxy header login: trusted only from the configured proxy addresses."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.access import ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT, role_of
from accounts.models import SSOIdentity
from accounts.proxy_auth import is_trusted_proxy, meta_key
from audit.models import AuditEntry
from config.testing import make_user

pytestmark = pytest.mark.django_db

PROXY = "10.20.0.7"


@pytest.fixture
def proxy_auth(settings):
    settings.PROXY_AUTH_ENABLED = True
    settings.PROXY_AUTH_HEADER = "X-Portal-User"
    settings.PROXY_AUTH_GROUPS_HEADER = ""
    settings.PROXY_AUTH_TRUSTED_PROXIES = ["10.20.0.0/24", "2001:db8::1"]
    settings.PROXY_AUTH_CREATE_USERS = True
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend", "accounts.proxy_auth.ProxyAuthBackend",
    ]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "accounts.proxy_auth.ProxyAuthMiddleware",
    )
    settings.MIDDLEWARE = middleware
    return settings


def get(client, user=None, *, remote_addr=PROXY, **headers):
    if user is not None:
        headers["X-Portal-User"] = user
    return client.get(reverse("settings"), headers=headers, REMOTE_ADDR=remote_addr)


def who(response):
    user = response.wsgi_request.user
    return user.get_username() if user.is_authenticated else None


def test_the_trusted_proxy_signs_the_user_in_as_support(client, proxy_auth):
    response = get(client, "dana")
    assert response.status_code == 200
    assert who(response) == "dana"
    user = get_user_model().objects.get(username="dana")
    assert role_of(user) == ROLE_SUPPORT
    assert not user.has_usable_password()
    login = AuditEntry.objects.get(action="auth.login")
    assert (login.username, login.changes) == ("dana", {"method": "proxy"})
    # Later requests through the proxy keep the session.
    assert who(get(client, "dana")) == "dana"


@pytest.mark.parametrize("remote_addr", ["127.0.0.1", "10.20.1.7", "192.0.2.10", "2001:db8::2"])
def test_a_forged_header_from_anywhere_else_signs_nobody_in(client, proxy_auth, remote_addr):
    make_user("admin", role=ROLE_ADMIN, with_credentials=False)
    response = get(client, "admin", remote_addr=remote_addr)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert who(response) is None
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_forwarded_for_headers_do_not_make_a_client_a_proxy(client, proxy_auth):
    response = get(client, "dana", remote_addr="192.0.2.10",
                   **{"X-Forwarded-For": PROXY, "X-Real-IP": PROXY, "Forwarded": f"for={PROXY}"})
    assert who(response) is None
    assert not get_user_model().objects.filter(username="dana").exists()


def test_the_header_name_with_underscores_is_the_same_header(client, proxy_auth):
    # WSGI folds '-' and '_' together; the proxy must strip both spellings (see README).
    response = get(client, remote_addr="192.0.2.10", **{"X_Portal_User": "dana"})
    assert who(response) is None


def test_a_proxy_session_ends_when_a_request_comes_around_the_proxy(client, proxy_auth):
    assert who(get(client, "dana")) == "dana"
    response = get(client, remote_addr="192.0.2.10")  # the session cookie, no proxy
    assert who(response) is None
    assert AuditEntry.objects.filter(action="auth.logout", username="dana").exists()


def test_the_header_names_someone_else_the_session_switches(client, proxy_auth):
    assert who(get(client, "dana")) == "dana"
    assert who(get(client, "eli")) == "eli"


def test_off_by_default(client, settings):
    assert settings.PROXY_AUTH_ENABLED is False
    response = client.get(reverse("settings"), headers={"X-Remote-User": "dana"},
                          REMOTE_ADDR="127.0.0.1")
    assert who(response) is None


def test_a_password_session_is_not_touched_by_a_forged_header(client, proxy_auth):
    user = make_user("local", with_credentials=False)
    client.force_login(user)
    response = get(client, "admin", remote_addr="192.0.2.10")
    assert who(response) == "local"


def test_unknown_users_can_be_refused(client, proxy_auth):
    proxy_auth.PROXY_AUTH_CREATE_USERS = False
    assert who(get(client, "stranger")) is None
    assert not get_user_model().objects.filter(username="stranger").exists()
    known = make_user("known", role=ROLE_FLEET_MANAGER, with_credentials=False)
    SSOIdentity.objects.create(user=known, issuer="proxy:x-portal-user", subject="known")
    assert who(get(client, "known")) == "known"


@pytest.mark.parametrize(("groups", "role"), [
    ("fleetadmin-admins", ROLE_ADMIN),
    ("staff, fleetadmin-fleet-managers", ROLE_FLEET_MANAGER),
    ("", ROLE_SUPPORT),
    ("staff", ROLE_SUPPORT),
])
def test_a_groups_header_maps_to_roles(client, proxy_auth, groups, role):
    proxy_auth.PROXY_AUTH_GROUPS_HEADER = "X-Portal-Groups"
    proxy_auth.OIDC_ADMIN_GROUPS = ["fleetadmin-admins"]
    proxy_auth.OIDC_FLEET_MANAGER_GROUPS = ["fleetadmin-fleet-managers"]
    proxy_auth.OIDC_SUPPORT_GROUPS = ["fleetadmin-support"]
    get(client, "dana", **{"X-Portal-Groups": groups})
    assert role_of(get_user_model().objects.get(username="dana")) == role


def test_a_deactivated_user_is_not_signed_in(client, proxy_auth):
    assert who(get(client, "leaver")) == "leaver"
    client.logout()
    get_user_model().objects.filter(username="leaver").update(is_active=False)
    assert who(get(client, "leaver")) is None


@pytest.mark.parametrize(("address", "trusted"), [
    ("10.20.0.1", True), ("10.20.0.255", True), ("10.20.1.0", False),
    ("::ffff:10.20.0.9", True), ("2001:db8::1", True), ("2001:db8::2", False),
    ("", False), ("not-an-ip", False),
])
def test_trusted_proxy_addresses(proxy_auth, address, trusted):
    assert is_trusted_proxy(address) is trusted


def test_meta_key():
    assert meta_key("X-Remote-User") == "HTTP_X_REMOTE_USER"
    assert meta_key(" x-portal-user ") == "HTTP_X_PORTAL_USER"
