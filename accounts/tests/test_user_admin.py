"""Administrators create, deactivate and reactivate accounts, and send password links."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.access import ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT, role_of
from audit.models import AuditEntry
from config.testing import logged_in, make_user
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

User = get_user_model()


def _create(admin_client, **fields):
    data = {"username": "nora", "email": "nora@example.com", "role": ROLE_FLEET_MANAGER,
            "send_password_link": "on", **fields}
    return admin_client.post(reverse("user-create"), data)


def _link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


@pytest.fixture
def kept_mail(settings):
    """E-mail goes to the Outbox page, as in the demo (tests otherwise use Django's locmem)."""
    settings.MAILERS = {"default": {"BACKEND": "outbox.backends.OutboxEmailBackend"}}


def test_an_admin_creates_a_user_who_sets_a_password_from_the_link(admin_client, admin):
    response = _create(admin_client)
    nora = User.objects.get(username="nora")
    assert response.status_code == 302 and response["Location"] == reverse("user", args=[nora.pk])
    assert role_of(nora) == ROLE_FLEET_MANAGER
    assert not nora.has_usable_password()
    (sent,) = mail.outbox
    assert sent.to == ["nora@example.com"] and "nora" in sent.body
    entries = AuditEntry.objects.exclude(action__startswith="auth.").order_by("id")
    assert [e.action for e in entries] == ["user.create", "role.change", "user.password_reset"]
    assert all(e.user == admin and e.target == "nora" for e in entries)
    # The link is never in the audit log.
    link = _link_in(sent)
    assert not AuditEntry.objects.filter(changes__icontains=link.rsplit("/", 2)[-2]).exists()

    anonymous = Client()
    form_page = anonymous.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    done = anonymous.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a-long-new-passphrase-42", "new_password2": "a-long-new-passphrase-42"})
    assert done.status_code == 302 and done["Location"] == reverse("password-reset-complete")
    nora.refresh_from_db()
    assert nora.check_password("a-long-new-passphrase-42")
    assert AuditEntry.objects.filter(action="user.password_set", username="nora").exists()
    # The link works once.
    again = anonymous.get(link, follow=True)
    assert "does not work any more" in again.content.decode()


def test_a_rejected_new_user_form_keeps_what_was_typed(admin_client):
    make_user("Nora", role=ROLE_SUPPORT, with_credentials=False)
    response = _create(admin_client, username="nora", email="typed@example.com")
    page = response.content.decode()
    assert response.status_code == 400
    assert "exists already" in page
    assert 'value="typed@example.com"' in page
    assert User.objects.filter(username__iexact="nora").count() == 1


def test_sending_a_link_needs_an_address(admin_client):
    response = _create(admin_client, email="")
    assert response.status_code == 400
    assert not User.objects.filter(username="nora").exists()
    assert _create(admin_client, email="", send_password_link="").status_code == 302


def test_a_user_without_a_role_sees_no_access_yet_and_whom_to_ask(admin, client):
    admin.email = "ada@example.com"
    admin.save()
    newcomer = make_user("newcomer", role=None)
    client.force_login(newcomer)
    for url in (reverse("cars:list"), reverse("maps:fleet"), reverse("audit"),
                reverse("settings"), reverse("events:left-open")):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 403, url
        assert "No access yet" in page and "ada@example.com" in page
        assert 'class="topnav"' not in page  # no menu
    # Signing out and switching language still work.
    assert client.post(reverse("set_language"), {"language": "de", "next": "/"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_taking_the_role_away_ends_access(admin_client, client):
    fm = make_user("fm")
    client.force_login(fm)
    assert client.get(reverse("cars:list")).status_code == 200
    admin_client.post(reverse("user-role", args=[fm.pk]), {"role": ""})
    assert role_of(fm) is None
    assert client.get(reverse("cars:list")).status_code == 403
    entry = AuditEntry.objects.get(action="role.change")
    assert entry.changes == {"role": {"before": ROLE_FLEET_MANAGER, "after": None}}


def test_deactivating_ends_every_session_at_once(admin_client, admin):
    fm = make_user("fm")
    browsers = [logged_in(fm), logged_in(fm)]
    other = logged_in(make_user("other"))
    for browser in browsers:
        assert browser.get(reverse("cars:list")).status_code == 200
    refused = admin_client.post(reverse("user-active", args=[fm.pk]), {"active": "0"})
    assert refused.status_code == 400  # not confirmed: nothing changes
    fm.refresh_from_db()
    assert fm.is_active
    response = admin_client.post(reverse("user-active", args=[fm.pk]),
                                 {"active": "0", "confirm": "yes"})
    assert response.status_code == 302
    for browser in browsers:
        answer = browser.get(reverse("cars:list"))
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert other.get(reverse("cars:list")).status_code == 200
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert (entry.user, entry.target, entry.changes) == (admin, "fm", {"sessions_ended": 2})
    # A deactivated account cannot sign in with its password.
    sign_in = {"username": "fm", "password": "pw-for-tests-1"}
    assert Client().post(reverse("login"), sign_in).status_code == 200  # the form again

    admin_client.post(reverse("user-active", args=[fm.pk]), {"active": "1"})
    assert Client().post(reverse("login"), sign_in).status_code == 302
    assert AuditEntry.objects.filter(action="user.reactivate", target="fm").exists()


def test_a_deactivated_sso_session_ends_too(admin_client, client, settings):
    # mozilla-django-oidc's backend loads the session's user without looking at is_active.
    settings.AUTHENTICATION_BACKENDS = ["accounts.oidc.OIDCBackend"]
    fm = make_user("fm")
    client.force_login(fm, backend="accounts.oidc.OIDCBackend")
    assert client.get(reverse("cars:list")).status_code == 200
    User.objects.filter(pk=fm.pk).update(is_active=False)  # e.g. by another instance
    Session.objects.all().delete()
    assert client.get(reverse("cars:list")).status_code == 302


def test_an_inactive_user_keeping_a_session_is_signed_out(client):
    fm = make_user("fm")
    client.force_login(fm)
    User.objects.filter(pk=fm.pk).update(is_active=False)  # the session row stays
    response = client.get(reverse("cars:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_last_active_admin_cannot_be_deactivated(admin_client, admin):
    other = make_user("bea", role=ROLE_ADMIN)
    other_client = logged_in(other)
    response = other_client.post(reverse("user-active", args=[admin.pk]),
                                 {"active": "0", "confirm": "yes"})
    assert response.status_code == 302  # two admins: one may go
    admin.refresh_from_db()
    assert not admin.is_active
    # Now bea is the only active admin; nobody may deactivate her, not even herself.
    third = make_user("cleo", role=ROLE_ADMIN)
    User.objects.filter(pk=third.pk).update(is_active=False)
    response = other_client.post(reverse("user-active", args=[other.pk]),
                                 {"active": "0", "confirm": "yes"})
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.is_active


def test_the_only_active_admin_is_guarded_against_another_admins_deactivation(admin):
    bea = make_user("bea", role=ROLE_ADMIN)
    User.objects.filter(pk=admin.pk).update(is_active=False)
    # A deactivated admin's session is over; a fresh admin tries to deactivate bea.
    superuser = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    response = logged_in(superuser).post(reverse("user-active", args=[bea.pk]),
                                         {"active": "0", "confirm": "yes"})
    assert response.status_code == 409
    assert "only active administrator" in response.content.decode()
    bea.refresh_from_db()
    assert bea.is_active


def test_an_admin_sends_a_password_link_and_the_outbox_shows_it(admin_client, kept_mail):
    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    response = admin_client.post(reverse("user-password-link", args=[fm.pk]), follow=True)
    assert "Outbox" in response.content.decode()
    (kept,) = OutboxMessage.objects.all()
    outbox = admin_client.get(reverse("outbox")).content.decode()
    assert kept.subject in outbox and "fm@example.com" in outbox
    assert "Nobody received these messages" in outbox
    # Support cannot read the outbox (it holds password links).
    support = logged_in(make_user("desk", role=ROLE_SUPPORT))
    assert support.get(reverse("outbox")).status_code == 403


def test_the_password_link_goes_out_in_the_users_language(admin_client):
    from fleetadmin.models import UserPreferences

    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    UserPreferences.objects.create(user=fm, language="de")
    admin_client.post(reverse("user-password-link", args=[fm.pk]))
    (sent,) = mail.outbox
    assert "Passwort" in sent.subject


def test_a_mail_server_that_is_down_is_told_and_recorded(admin_client, settings):
    from config.testing import free_port

    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2}}}
    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    response = admin_client.post(reverse("user-password-link", args=[fm.pk]))
    assert response.status_code == 502
    assert "could not be sent" in response.content.decode()
    entry = AuditEntry.objects.get(action="user.password_reset")
    assert entry.outcome == AuditEntry.Outcome.FAILURE


def test_an_admin_chooses_a_users_customer(admin_client, admin):
    desk = make_user("desk", role=ROLE_SUPPORT, customer=False)
    page = admin_client.get(reverse("user-customer", args=[desk.pk]))
    assert page.status_code == 200
    assert DEMO.customer_name in page.content.decode()
    response = admin_client.post(reverse("user-customer", args=[desk.pk]),
                                 {"customer": DEMO.other_customer_id})
    assert response.status_code == 302
    credentials = FlinkeyCredentials.objects.get(user=desk)
    assert credentials.customer_id == DEMO.other_customer_id
    entry = AuditEntry.objects.get(action="customer.choose")
    assert (entry.user, entry.target) == (admin, "desk")
    # A customer the credentials do not reach is refused and nothing changes.
    refused = admin_client.post(reverse("user-customer", args=[desk.pk]),
                                {"customer": DEMO.hidden_customer_id})
    assert refused.status_code == 400
    credentials.refresh_from_db()
    assert credentials.customer_id == DEMO.other_customer_id


def test_choosing_a_customer_needs_credentials_first(admin_client):
    desk = make_user("desk", role=ROLE_SUPPORT, with_credentials=False)
    response = admin_client.get(reverse("user-customer", args=[desk.pk]), follow=True)
    assert "credentials first" in response.content.decode()


@pytest.mark.parametrize("role", [ROLE_FLEET_MANAGER, ROLE_SUPPORT])
def test_only_admins_administer_accounts(client, role):
    fm = make_user("fm")
    client.force_login(make_user("someone", role=role))
    for url, data in [(reverse("user-create"), {"username": "x", "role": ROLE_ADMIN}),
                      (reverse("user-active", args=[fm.pk]), {"active": "0", "confirm": "yes"}),
                      (reverse("user-password-link", args=[fm.pk]), {}),
                      (reverse("user-customer", args=[fm.pk]), {"customer": DEMO.customer_id})]:
        assert client.post(url, data).status_code == 403, url
    assert not User.objects.filter(username="x").exists()
    fm.refresh_from_db()
    assert fm.is_active
    assert not AuditEntry.objects.exclude(action__startswith="auth.").exists()
