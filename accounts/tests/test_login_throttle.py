"""Failed password sign-ins are throttled (django-axes, by username and address)."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.access import ROLE_ADMIN
from audit.models import AuditEntry
from config.testing import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def throttle(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def log_in(client, username, password, remote_addr="10.1.2.3"):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=remote_addr)


def signed_in(client) -> bool:
    return client.get(reverse("settings")).wsgi_request.user.is_authenticated


def test_many_wrong_passwords_lock_the_account_from_that_address(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for _attempt in range(30):
        log_in(client, "pat", "wrong")
    response = log_in(client, "pat", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert 'name="password"' in page  # the login page, with the message


def test_another_address_is_not_locked_out(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for _attempt in range(6):
        log_in(client, "pat", "wrong", remote_addr="10.9.9.9")
    assert log_in(Client(), "pat", PASSWORD, remote_addr="10.1.2.3").status_code == 302


def test_a_few_mistakes_do_not_lock(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for _attempt in range(4):
        log_in(client, "pat", "wrong")
    assert log_in(client, "pat", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, flinkey_api, throttle, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    make_user("pat", with_credentials=False)
    for _attempt in range(6):
        log_in(client, "pat", "wrong")
    assert log_in(client, "pat", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert log_in(client, "pat", PASSWORD).status_code == 302


def test_a_management_command_unlocks(client, flinkey_api, throttle):
    make_user("pat", with_credentials=False)
    for _attempt in range(6):
        log_in(client, "pat", "wrong")
    call_command("axes_reset_username", "pat")
    assert log_in(client, "pat", PASSWORD).status_code == 302


def test_an_admin_unlocks_on_the_users_page(client, flinkey_api, throttle):
    pat = make_user("pat", with_credentials=False)
    for _attempt in range(6):
        log_in(client, "pat", "wrong")
    admin = Client()
    admin.force_login(make_user("ada", role=ROLE_ADMIN, with_credentials=False))
    page = admin.get(reverse("user", args=[pat.pk])).content.decode()
    assert "locked out" in page
    response = admin.post(reverse("user-unlock", args=[pat.pk]))
    assert response.status_code == 302
    assert log_in(client, "pat", PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="auth.unlock", target="pat").exists()


def test_only_admins_unlock(client, flinkey_api):
    pat = make_user("pat", with_credentials=False)
    client.force_login(make_user("max", with_credentials=False))
    assert client.post(reverse("user-unlock", args=[pat.pk])).status_code == 403


def test_sso_and_proxy_sign_ins_are_not_counted(rf, flinkey_api, throttle):
    # Only passwords are guessed here; the identity provider and the proxy check theirs.
    from django.contrib.auth import authenticate

    request = rf.get("/oidc/callback/", REMOTE_ADDR="10.1.2.3")
    for _attempt in range(10):
        authenticate(request, nonce="n", code_verifier="v")
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()


# -- what a failed sign-in leaves in the audit log ---------------------------------------


def test_a_failed_sign_in_of_an_unknown_name_does_not_store_the_text(client, flinkey_api):
    log_in(client, "Summer2026!secret", "whatever")
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.username == "unknown user"
    assert "Summer2026" not in f"{entry.username} {entry.message} {entry.changes}"


def test_the_unknown_name_is_not_kept_by_the_throttle_either(client, flinkey_api, throttle):
    from axes.models import AccessAttempt

    log_in(client, "Summer2026!secret", "whatever")
    stored = " ".join(f"{a.username} {a.get_data} {a.post_data}"
                      for a in AccessAttempt.objects.all())
    assert "Summer2026" not in stored


def test_a_failed_sign_in_of_a_real_user_names_them(client, flinkey_api):
    make_user("pat", with_credentials=False)
    log_in(client, "pat", "wrong")
    assert AuditEntry.objects.get(action="auth.login_failed").username == "pat"


# --- behind a load balancer: the client's address from its header, from it alone -----------

BALANCER = "10.0.0.5"


@pytest.fixture
def behind_balancer(throttle):
    throttle.LOGIN_CLIENT_IP_HEADER = "X-Forwarded-For"
    throttle.LOGIN_CLIENT_IP_TRUSTED_PROXIES = [BALANCER, "fd00::/8"]
    return throttle


def through_balancer(client, username, password, client_address, peer=BALANCER):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=peer, headers={"x-forwarded-for": client_address})


def test_behind_the_balancer_one_client_locked_out_does_not_lock_out_another(
        client, flinkey_api, behind_balancer):
    make_user("pat", with_credentials=False)
    for _attempt in range(6):
        through_balancer(client, "pat", "wrong", "198.51.100.7")
    assert through_balancer(client, "pat", PASSWORD, "198.51.100.7").status_code == 429
    # Every request comes from the balancer's address; the other client is not locked out.
    assert through_balancer(Client(), "pat", PASSWORD, "203.0.113.20").status_code == 302


def test_the_header_is_believed_only_from_the_balancer(client, flinkey_api, behind_balancer):
    make_user("pat", with_credentials=False)
    # Straight to the instance, a new made-up address for every try: counted by the peer.
    for attempt in range(6):
        through_balancer(client, "pat", "wrong", f"192.0.2.{attempt}", peer="10.7.7.7")
    assert through_balancer(client, "pat", PASSWORD, "192.0.2.99",
                            peer="10.7.7.7").status_code == 429
    # An address the client put in front of the balancer's own entry changes nothing.
    for _attempt in range(6):
        through_balancer(client, "pat", "wrong", "198.51.100.7")
    assert through_balancer(Client(), "pat", PASSWORD,
                            "203.0.113.20, 198.51.100.7").status_code == 429
    # The balancer over IPv6 (a network of them) is believed too.
    assert through_balancer(Client(), "pat", PASSWORD, "203.0.113.21",
                            peer="fd00::17").status_code == 302
