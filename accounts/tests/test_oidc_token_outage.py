"""A hanging token endpoint is remembered briefly: callbacks meanwhile answer at once.

Before, each callback held a worker thread for OIDC_TIMEOUT while the provider's token
endpoint hung, with no back-off. Now the first timeout is remembered (shared cache,
OIDC_PROVIDER_FAILURE_SECONDS) as discovery failures are, and callbacks and new sign-ins
meanwhile go straight to the login page saying the provider cannot be reached.
"""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import oidc
from accounts.tests.test_oidc import back_to_app, provider_redirect, signed_in_user, start
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

UNREACHABLE = "/login/?sso=unavailable"


def test_a_hanging_token_endpoint_is_remembered(idp, settings):
    settings.OIDC_TIMEOUT = 0.5
    idp.sign_in_as("waiting", groups=["fleet-admins"], preferred_username="waiting")
    # Six people are at the provider's login when its token endpoint starts hanging.
    browsers = [Client() for _ in range(6)]
    callbacks = [provider_redirect(start(browser)) for browser in browsers]
    idp.token_delay = 3.0

    started = time.monotonic()
    first = back_to_app(browsers[0], callbacks[0])
    assert 0.4 < time.monotonic() - started < 2.5
    assert signed_in_user(browsers[0]) is None
    page = browsers[0].get(first["Location"]).content.decode()
    assert "sign-in provider cannot be reached" in page

    for browser, callback in zip(browsers[1:], callbacks[1:], strict=True):
        started = time.monotonic()
        response = back_to_app(browser, callback)
        assert time.monotonic() - started < 0.3
        assert response["Location"] == UNREACHABLE
        assert signed_in_user(browser) is None
    assert idp.requests.count(("POST", "/token")) == 1
    # The failure is on record once, not per callback.
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 1

    # A new sign-in is told at once too, without a trip to the provider.
    assert Client().get(reverse("oidc_authentication_init"))["Location"] == UNREACHABLE


def test_after_the_pause_the_provider_is_asked_again(idp, settings):
    settings.OIDC_TIMEOUT = 0.5
    idp.sign_in_as("patient", groups=["helpdesk"], preferred_username="patient")
    client = Client()
    callback = provider_redirect(start(client))
    idp.token_delay = 3.0
    back_to_app(client, callback)
    assert cache.get(oidc.provider_failure_key()) is not None

    idp.token_delay = 0.0
    cache.delete(oidc.provider_failure_key())  # OIDC_PROVIDER_FAILURE_SECONDS passed
    assert back_to_app(client, provider_redirect(start(client)))["Location"] == "/"
    assert signed_in_user(client).username == "patient"


def test_a_refused_code_is_no_outage(idp):
    # invalid_grant is about this callback (a forged or used code), not the provider:
    # it must not make everyone wait (else anyone could switch SSO off with one request).
    client = Client()
    state = start(client).split("state=")[1].split("&")[0]
    response = client.get(reverse("oidc_authentication_callback"),
                          {"code": "forged", "state": state})
    assert response["Location"] == "/login/?sso=failed"
    assert cache.get(oidc.provider_failure_key()) is None
    assert Client().get(reverse("oidc_authentication_init"))["Location"].startswith(
        idp.issuer + "/authorize?")
