"""Proxy users are their own accounts, matched by a stored identity, never by username."""

import pytest
from django.contrib.auth import get_user_model

from accounts.access import ROLE_ADMIN, ROLE_SUPPORT, role_of
from accounts.models import SSOIdentity
from accounts.tests.test_proxy_auth import get, proxy_auth, who  # noqa: F401 - fixture
from audit.models import AuditEntry
from config.testing import make_user

pytestmark = pytest.mark.django_db


def test_the_header_never_signs_in_a_local_admin_of_the_same_name(client, proxy_auth):  # noqa: F811
    local_admin = make_user("boss", role=ROLE_ADMIN, with_credentials=False)
    response = get(client, "boss")
    user = response.wsgi_request.user
    assert user.is_authenticated and user.pk != local_admin.pk
    assert user.username.startswith("boss~")
    assert role_of(user) == ROLE_SUPPORT
    identity = SSOIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == ("proxy:x-portal-user", "boss")


def test_the_same_header_value_finds_the_same_account(client, proxy_auth):  # noqa: F811
    get(client, "dana")
    client.logout()
    get(client, "dana")
    assert get_user_model().objects.filter(username__startswith="dana").count() == 1
    assert SSOIdentity.objects.filter(subject="dana").count() == 1


def test_a_renamed_account_keeps_its_proxy_identity(client, proxy_auth):  # noqa: F811
    get(client, "dana")
    client.logout()
    get_user_model().objects.filter(username="dana").update(username="dana.old")
    assert who(get(client, "dana")) == "dana.old"


def test_later_requests_do_not_sign_in_again(client, proxy_auth):  # noqa: F811
    for _request in range(3):
        get(client, "dana")
    assert AuditEntry.objects.filter(action="auth.login").count() == 1


def test_a_password_session_of_the_same_name_is_not_the_proxy_account(client, proxy_auth):  # noqa: F811
    local = make_user("dana", with_credentials=False)
    client.force_login(local)
    response = get(client, "dana")
    assert response.wsgi_request.user.pk != local.pk
