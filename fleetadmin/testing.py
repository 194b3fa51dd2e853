"""pytest fixtures for Django-side tests (loaded by the root conftest).

Django is imported inside the fixtures so that the client and sandbox suites can also run
without Django configured.
"""

import pytest


@pytest.fixture
def flinkey_api(settings, sandbox):
    """Point the dashboard at the test's sandbox (never the embedded one) with a clean cache."""
    from django.core.cache import cache

    settings.FLINKEY_API_URL = sandbox.url
    cache.clear()
    return sandbox


def make_user(username, *, role="fleet manager", with_credentials=True, customer=True,
              password="pw-for-tests-1"):
    """Return a user with `role`, by default with sandbox credentials and the demo customer."""
    from django.contrib.auth import get_user_model

    from accounts.roles import assign_role
    from fleetadmin.models import FlinkeyCredentials
    from flinkey_sandbox import DEMO

    user = get_user_model().objects.create_user(username=username, password=password)
    if role:
        assign_role(user, role)
    if with_credentials:
        FlinkeyCredentials.objects.create(
            user=user, api_key=DEMO.api_key, username=DEMO.username, password=DEMO.password,
            customer_id=DEMO.customer_id if customer else None,
            customer_name=DEMO.customer_name if customer else "",
        )
    return user


@pytest.fixture
def manager(db, flinkey_api):
    """A fleet manager whose credentials reach the sandbox's demo customer."""
    return make_user("manager")


@pytest.fixture
def support_user(db, flinkey_api):
    """A support user: reads everything, writes nothing."""
    return make_user("support", role="support")


@pytest.fixture
def support_client(client, support_user):
    """A Django test client logged in as `support_user`."""
    client.force_login(support_user)
    return client


@pytest.fixture
def manager_client(client, manager):
    """A Django test client logged in as `manager`."""
    client.force_login(manager)
    return client


@pytest.fixture(scope="session")
def idp_server():
    """Our own OpenID Connect provider, a real HTTP server, for the whole run."""
    from accounts.tests.oidc_provider import TestIdentityProvider

    with TestIdentityProvider() as provider:
        yield provider


@pytest.fixture
def idp(idp_server, settings):
    """The provider, reset, with fleetadmin's SSO settings pointing at it."""
    from django.core.cache import cache

    idp_server.reset()
    cache.clear()  # the discovery document is cached
    for name, value in idp_server.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "accounts.oidc.OIDCBackend",
    ]
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ADMIN_GROUPS = ["fleet-admins"]
    settings.OIDC_FLEET_MANAGER_GROUPS = ["fleet-managers", "dispatch"]
    settings.OIDC_SUPPORT_GROUPS = ["helpdesk"]
    settings.OIDC_TIMEOUT = 5
    yield idp_server
    idp_server.reset()
