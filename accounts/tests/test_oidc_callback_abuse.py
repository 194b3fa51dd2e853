"""The SSO callback only acts for a sign-in this browser started.

Anyone can send a browser (or a script) to /oidc/callback/?error=...: such a request must
neither write to the audit log nor log out whoever follows the link.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from config.testing import make_user

pytestmark = pytest.mark.django_db

CALLBACK = "oidc_authentication_callback"


def start(client):
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def test_an_anonymous_error_callback_writes_nothing(client, idp):
    for number in range(20):
        response = client.get(reverse(CALLBACK), {"error": f"spam {number} " + "x" * 5000})
        assert response.status_code == 302
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("query", [
    {"error": "access_denied"},
    {"error": "access_denied", "state": "guessed"},
    {"code": "c", "state": "guessed"},
    {"state": "guessed"},
    {},
])
def test_a_foreign_callback_does_not_log_out_the_signed_in_user(client, idp, query):
    user = make_user("victim", with_credentials=False)
    client.force_login(user)
    before = AuditEntry.objects.count()
    client.get(reverse(CALLBACK), query)
    assert client.get(reverse("settings")).wsgi_request.user == user
    assert AuditEntry.objects.count() == before


def test_a_foreign_state_does_not_log_out_even_with_a_sign_in_in_progress(client, idp):
    user = make_user("victim", with_credentials=False)
    client.force_login(user)
    start(client)
    client.get(reverse(CALLBACK), {"error": "login_required", "state": "not-the-one"})
    assert client.get(reverse("settings")).wsgi_request.user == user


def test_an_error_for_our_own_sign_in_is_logged_as_a_known_code(client, idp, caplog):
    # Logged, not recorded: `error=` comes from the browser (see test_oidc_no_session).
    state = start(client)
    client.get(reverse(CALLBACK), {"error": "access_denied", "state": state,
                                   "error_description": "<script>evil</script>" * 100})
    assert "single sign-on refused: identity provider: access_denied" in caplog.messages
    assert "evil" not in caplog.text
    assert not AuditEntry.objects.exists()


def test_an_unknown_error_code_is_not_logged_verbatim(client, idp, caplog):
    state = start(client)
    client.get(reverse(CALLBACK), {"error": "call +1 555 FRAUD now" * 50, "state": state})
    assert "FRAUD" not in caplog.text
    assert ("single sign-on refused: identity provider: unrecognised error code"
            in caplog.messages)


def test_a_state_is_used_once(client, idp, caplog):
    state = start(client)
    client.get(reverse(CALLBACK), {"error": "access_denied", "state": state})
    client.get(reverse(CALLBACK), {"error": "access_denied", "state": state})
    refusals = [m for m in caplog.messages if m.startswith("single sign-on refused")]
    assert len(refusals) == 1
