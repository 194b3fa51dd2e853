"""Admin-only user management: roles, and other users' flinkey credentials (write-only)."""

import re

import pytest
from django.urls import reverse

from accounts.access import ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT, can_write, role_of
from accounts.models import SSOIdentity
from audit.models import AuditEntry
from config.testing import logged_in, make_user
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(flinkey_api):
    """A support-desk account without credentials yet."""
    return make_user("desk", role=ROLE_SUPPORT, with_credentials=False)


def user_urls(user):
    return [
        ("GET", reverse("users")),
        ("GET", reverse("user", args=[user.pk])),
        ("POST", reverse("user-role", args=[user.pk])),
        ("POST", reverse("user-credentials", args=[user.pk])),
    ]


@pytest.mark.parametrize("role", [ROLE_FLEET_MANAGER, ROLE_SUPPORT, None])
def test_only_admins_manage_users(client, desk, role):
    client.force_login(make_user("someone", role=role))
    for method, url in user_urls(desk):
        data = {"role": ROLE_ADMIN, "api_key": "k", "username": "u", "password": "p"}
        response = client.generic(method, url, data="&".join(f"{k}={v}" for k, v in data.items()),
                                  content_type="application/x-www-form-urlencoded")
        assert response.status_code == 403, (method, url)
        # Without a role: the "no access yet" page, before any user management.
        expected = "No access yet" if role is None else "Only administrators manage users."
        assert expected in response.content.decode()
    assert role_of(desk) == ROLE_SUPPORT
    assert not FlinkeyCredentials.objects.filter(user=desk).exists()
    assert not AuditEntry.objects.filter(action__in=["role.change", "credentials.change"]).exists()


def test_the_list_shows_roles_and_no_secrets(admin_client, desk):
    page = admin_client.get(reverse("users")).content.decode()
    assert "desk" in page and "ada" in page
    assert DEMO.api_key not in page and DEMO.password not in page


def test_an_admin_sets_a_role_and_it_is_recorded(admin_client, admin, desk):
    response = admin_client.post(reverse("user-role", args=[desk.pk]), {"role": ROLE_FLEET_MANAGER})
    assert response.status_code == 302
    desk.refresh_from_db()
    assert role_of(desk) == ROLE_FLEET_MANAGER
    assert can_write(type(desk).objects.get(pk=desk.pk))
    entry = AuditEntry.objects.get(action="role.change")
    assert (entry.user, entry.username, entry.target) == (admin, "ada", "desk")
    assert entry.changes == {"role": {"before": ROLE_SUPPORT, "after": ROLE_FLEET_MANAGER}}


def test_an_unknown_role_is_refused(admin_client, desk):
    response = admin_client.post(reverse("user-role", args=[desk.pk]), {"role": "superuser"})
    assert response.status_code == 400
    assert role_of(desk) == ROLE_SUPPORT


def test_the_last_admin_cannot_step_down(admin_client, admin):
    response = admin_client.post(reverse("user-role", args=[admin.pk]), {"role": ROLE_SUPPORT})
    assert response.status_code == 409
    assert role_of(admin) == ROLE_ADMIN
    make_user("second-admin", role=ROLE_ADMIN)
    admin_client.post(reverse("user-role", args=[admin.pk]), {"role": ROLE_SUPPORT})
    assert role_of(admin) == ROLE_SUPPORT


def test_a_role_from_the_identity_provider_is_not_set_here(admin_client, desk, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_SYNC_ROLES = True
    SSOIdentity.objects.create(user=desk, issuer="https://idp.example", subject="s-1")
    response = admin_client.post(reverse("user-role", args=[desk.pk]), {"role": ROLE_ADMIN})
    assert response.status_code == 409
    assert role_of(desk) == ROLE_SUPPORT
    page = admin_client.get(reverse("user", args=[desk.pk])).content.decode()
    assert "identity provider" in page
    assert reverse("user-role", args=[desk.pk]) not in page


def test_an_admin_sets_up_credentials_without_seeing_them(admin_client, admin, desk):
    url = reverse("user-credentials", args=[desk.pk])
    response = admin_client.post(url, {"api_key": DEMO.api_key, "username": DEMO.username,
                                       "password": DEMO.password})
    assert response.status_code == 302
    stored = FlinkeyCredentials.objects.get(user=desk)
    assert (stored.api_key, stored.username, stored.password) == (
        DEMO.api_key, DEMO.username, DEMO.password)

    page = admin_client.get(reverse("user", args=[desk.pk])).content.decode()
    assert DEMO.api_key not in page and DEMO.password not in page
    assert "A value is stored" in page

    entry = AuditEntry.objects.get(action="credentials.change")
    assert (entry.username, entry.target) == ("ada", "desk")
    assert entry.changes == {"changed": ["api_key", "password", "username"]}
    assert DEMO.api_key not in str(entry.changes) + entry.message

    # The desk user now works with them (the secrets stay write-only for them too).
    desk_client = logged_in(desk)
    own = desk_client.get(reverse("settings")).content.decode()
    assert DEMO.api_key not in own and DEMO.password not in own
    assert desk_client.post(reverse("test-connection")).status_code == 200


def test_blank_secrets_keep_the_stored_ones(admin_client, flinkey_api):
    target = make_user("has-creds", role=ROLE_SUPPORT)
    admin_client.post(reverse("user-credentials", args=[target.pk]),
                      {"api_key": "", "username": DEMO.username, "password": ""})
    stored = FlinkeyCredentials.objects.get(user=target)
    assert (stored.api_key, stored.password) == (DEMO.api_key, DEMO.password)
    assert not AuditEntry.objects.filter(action="credentials.change").exists()


def test_a_first_setup_needs_every_field(admin_client, desk):
    response = admin_client.post(reverse("user-credentials", args=[desk.pk]),
                                 {"api_key": "", "username": "someone", "password": ""})
    assert response.status_code == 400
    assert not FlinkeyCredentials.objects.filter(user=desk).exists()


def required_marks(html: str) -> dict[str, tuple[bool, bool]]:
    """Each credential field: (its label has the required marker, its input is required)."""
    marks = {}
    for name in ("api_key", "username", "password"):
        group = re.search(rf'<label for="id_{name}">.*?</div>', html, re.S).group(0)
        marker = re.match(rf'<label for="id_{name}">[^<]*</label> <span class="required"', group)
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', group).group(0)
        marks[name] = (bool(marker), " required" in field)
    return marks


def test_the_required_marker_and_the_inputs_required_agree(admin_client, desk, flinkey_api):
    # Nothing stored yet: every field must be filled, and each says so.
    first = admin_client.get(reverse("user", args=[desk.pk])).content.decode()
    assert required_marks(first) == {"api_key": (True, True), "username": (True, True),
                                     "password": (True, True)}
    # Stored secrets are kept when left empty: neither marker nor `required` for them.
    target = make_user("has-creds", role=ROLE_SUPPORT)
    again = admin_client.get(reverse("user", args=[target.pk])).content.decode()
    assert required_marks(again) == {"api_key": (False, False), "username": (True, True),
                                     "password": (False, False)}


def test_an_unknown_user_is_404(admin_client):
    assert admin_client.get(reverse("user", args=[999999])).status_code == 404
