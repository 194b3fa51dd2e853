"""Roles enforced on the server: support can look at everything and change nothing.

The write endpoints are found in the URLconf (every view wrapped by
`write_access_required`), so an endpoint added later is covered without editing this
file. Every URL at all is also attacked with crafted write requests: none may reach the
flinkey API as a write.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.access import (
    ROLE_ADMIN,
    ROLE_FLEET_MANAGER,
    ROLE_SUPPORT,
    can_manage_users,
    can_view_all_audit,
    can_write,
    role_of,
)
from accounts.roles import assign_role, role_for_groups
from config.testing import hx, make_user
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

# What a crafted request carries: a complete, valid car and event.
PAYLOAD = {
    "name": "Hijacked", "license_plate": "M-XX 666", "brand": "Evil", "model": "One",
    "vin": "WVWZZZ1JZXW000001", "description": "changed by support",
    "car_id": str(DEMO.car_id), "customer_id": str(DEMO.other_customer_id),
    "user_id": str(DEMO.user_id), "type": "lock", "confirm": "yes",
    "version": "", "utc_date_time": "2026-01-01T10:00", "user_agent": "x",
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Endpoints every signed-in user may write to: their own session and settings (stored in
# fleetadmin's database, never upstream), and admin-only pages tested in test_users.py.
OWN_ACCOUNT = {
    "login", "logout", "settings", "save-preferences", "test-connection", "choose-customer",
    "set_language", "oidc_logout",
}


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _url(name, pattern) -> str:
    values = {"int": DEMO.car_id, "str": "x", "slug": "x", "path": "x", "uuid": None}
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        kwargs[key] = values.get(kind, DEMO.car_id)
    return reverse(name, kwargs=kwargs)


ALL = sorted(_patterns(), key=lambda item: item[0])
WRITE_ENDPOINTS = [(name, p) for name, p in ALL if getattr(p.callback, "requires_write_access",
                                                            False)]


def _upstream_writes(sandbox) -> list:
    return [r for r in sandbox.requests
            if r.method in WRITE_METHODS and not r.path.startswith("/oauth2")]


def test_the_car_writes_are_guarded():
    names = {name for name, _pattern in WRITE_ENDPOINTS}
    assert {"cars:create", "cars:edit", "cars:delete"} <= names


UNGUARDED_FLEET_VIEWS = [
    (name, p) for name, p in ALL
    if name.split(":")[0] in ("cars", "events") and (name, p) not in WRITE_ENDPOINTS
]


@pytest.mark.parametrize(("name", "pattern"), UNGUARDED_FLEET_VIEWS,
                         ids=[n for n, _ in UNGUARDED_FLEET_VIEWS])
def test_every_unguarded_fleet_view_refuses_write_methods(manager_client, name, pattern):
    # Asked by someone who may write, so a missing decorator cannot hide behind a 403:
    # a view that accepts a write method must be wrapped by write_access_required.
    url = _url(name, pattern)
    for method in WRITE_METHODS:
        response = manager_client.generic(method, url, data=_encoded(PAYLOAD),
                                          content_type="application/x-www-form-urlencoded")
        assert response.status_code == 405, (method, response.status_code)


@pytest.mark.parametrize(("name", "pattern"), WRITE_ENDPOINTS, ids=[n for n, _ in WRITE_ENDPOINTS])
def test_support_gets_403_from_every_write_endpoint(support_client, sandbox, name, pattern):
    url = _url(name, pattern)
    sandbox.clear_requests()
    for method in ("GET", *WRITE_METHODS):
        response = support_client.generic(method, url, data=_encoded(PAYLOAD),
                                          content_type="application/x-www-form-urlencoded")
        # The role check runs before anything else, the method check included: every
        # method, GET as well, gets the explained 403 page.
        assert response.status_code == 403, (method, response.status_code)
        page = response.content.decode()
        assert "Your role allows looking, not changing." in page
        assert "<html" in page
    htmx = support_client.post(url, PAYLOAD, headers=hx())
    assert htmx.status_code == 403
    fragment = htmx.content.decode()
    assert 'id="forbidden"' in fragment and "<html" not in fragment
    # Refused before anything was asked upstream, let alone changed.
    assert sandbox.requests == []


@pytest.mark.parametrize(("name", "pattern"), ALL, ids=[n for n, _ in ALL])
def test_no_crafted_request_from_support_writes_upstream(support_client, sandbox, name, pattern):
    url = _url(name, pattern)
    sandbox.clear_requests()
    for method in WRITE_METHODS:
        for headers in ({}, hx()):
            support_client.generic(method, url, data=_encoded(PAYLOAD), headers=headers,
                                   content_type="application/x-www-form-urlencoded")
    assert _upstream_writes(sandbox) == []


@pytest.mark.parametrize(("name", "pattern"), WRITE_ENDPOINTS, ids=[n for n, _ in WRITE_ENDPOINTS])
def test_a_user_without_any_role_cannot_write(client, flinkey_api, name, pattern):
    client.force_login(make_user("nobody", role=None))
    response = client.post(_url(name, pattern), PAYLOAD)
    assert response.status_code == 403
    assert _upstream_writes(flinkey_api) == []


@pytest.mark.parametrize(("name", "pattern"), WRITE_ENDPOINTS, ids=[n for n, _ in WRITE_ENDPOINTS])
def test_signed_out_write_requests_go_to_the_login(client, flinkey_api, name, pattern):
    url = _url(name, pattern)
    response = client.post(url, PAYLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # htmx: the browser is sent to log in, instead of a login page swapped into a panel.
    response = client.post(url, PAYLOAD,
                           headers=hx(current_url="http://testserver/cars/?page=2"))
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=%2Fcars%2F%3Fpage%3D2"
    assert _upstream_writes(flinkey_api) == []


@pytest.mark.parametrize(("name", "pattern"), WRITE_ENDPOINTS, ids=[n for n, _ in WRITE_ENDPOINTS])
def test_a_fleet_manager_passes_the_role_check(manager_client, name, pattern):
    response = manager_client.get(_url(name, pattern))
    assert response.status_code != 403


def test_support_can_read_the_main_screens(support_client):
    for url in (reverse("cars:list"), reverse("cars:detail", args=[DEMO.car_id]),
                reverse("settings"), reverse("audit")):
        assert support_client.get(url).status_code == 200, url


def test_controls_support_may_not_use_are_hidden(support_client, manager_client):
    assert reverse("cars:create") not in support_client.get(reverse("cars:list")).content.decode()
    assert reverse("cars:create") in manager_client.get(reverse("cars:list")).content.decode()
    edit = reverse("cars:edit", args=[DEMO.car_id])
    detail = reverse("cars:detail", args=[DEMO.car_id])
    assert edit not in support_client.get(detail).content.decode()
    assert edit in manager_client.get(detail).content.decode()


def test_the_users_link_is_only_for_admins(support_client, admin_client):
    assert reverse("users") not in support_client.get(reverse("settings")).content.decode()
    assert reverse("users") in admin_client.get(reverse("settings")).content.decode()


# -- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "write", "manage", "audit_all"), [
    (ROLE_ADMIN, True, True, True),
    (ROLE_FLEET_MANAGER, True, False, False),
    (ROLE_SUPPORT, False, False, True),
    (None, False, False, False),
])
def test_what_each_role_may_do(role, write, manage, audit_all):
    user = make_user(f"user-{role}", role=role, with_credentials=False)
    assert role_of(user) == role
    assert (can_write(user), can_manage_users(user), can_view_all_audit(user)) == (
        write, manage, audit_all)


def test_assigning_a_role_replaces_the_previous_one_at_once():
    user = make_user("changer", role=ROLE_ADMIN, with_credentials=False)
    assert can_write(user)
    assign_role(user, ROLE_SUPPORT)
    assert [group.name for group in user.groups.all()] == [ROLE_SUPPORT]
    assert not can_write(user)  # no stale permission cache on the instance


def test_role_for_groups_never_gives_more_than_support_without_a_mapping():
    mapping = {"admin_groups": ["a"], "fleet_manager_groups": ["m"], "support_groups": ["s"]}
    assert role_for_groups([], **mapping) == ROLE_SUPPORT
    assert role_for_groups(None, **mapping) == ROLE_SUPPORT
    assert role_for_groups(["x", "admin", "fleet manager"], **mapping) == ROLE_SUPPORT
    assert role_for_groups(["s", "m"], **mapping) == ROLE_FLEET_MANAGER
    assert role_for_groups(["m", "a"], **mapping) == ROLE_ADMIN


def _encoded(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)
