"""The language: the browser's until the user picks one; the pick kept per user and cookie."""

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AuditEntry
from config.testing import make_user
from preferences import services

pytestmark = pytest.mark.django_db

GERMAN_BROWSER = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"accept-language": "en-GB,en;q=0.9"}
COOKIE = settings.LANGUAGE_COOKIE_NAME


def html(response) -> str:
    return response.content.decode()


def test_the_browser_decides_until_someone_picks(client):
    german = client.get(reverse("login"), headers=GERMAN_BROWSER)
    assert '<html lang="de">' in html(german)
    assert "Bei fleetadmin anmelden" in html(german)
    assert german["Content-Language"] == "de"
    english = client.get(reverse("login"), headers=ENGLISH_BROWSER)
    assert '<html lang="en">' in html(english) and "Log in to fleetadmin" in html(english)
    # A language we do not have: English, the default.
    assert "Log in to fleetadmin" in html(client.get(reverse("login"),
                                                     headers={"accept-language": "fr"}))


def test_the_header_switcher_is_a_plain_form_on_every_page(client, flinkey_api):
    page = html(client.get(reverse("login"), headers=GERMAN_BROWSER))
    switcher = page[page.index('<form class="language-switch"'):]
    switcher = switcher[:switcher.index("</form>")]
    assert f'action="{reverse("set_language")}"' in switcher and 'method="post"' in switcher
    assert 'value="de"' in switcher and 'value="en"' in switcher
    assert "csrfmiddlewaretoken" in switcher and 'name="next" value="/login/"' in switcher
    # The current language is marked; no script, no inline handler.
    # The accessible name contains the visible "DE" (axe: label-content-name-mismatch).
    assert ('value="de" lang="de" title="Deutsch" aria-label="DE – Deutsch" aria-current="true"'
            in switcher)
    assert "<script" not in switcher and "onclick" not in switcher
    client.force_login(make_user("kim"))
    assert 'class="language-switch"' in html(client.get(reverse("cars:list")))


def test_a_signed_in_pick_is_kept_for_the_user_and_follows_them(client, flinkey_api):
    user = make_user("kim")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/cars/"},
                           headers=ENGLISH_BROWSER)
    assert response.status_code == 302 and response["Location"] == "/cars/"
    assert response.cookies[COOKIE].value == "de"
    assert services.preferences_of(user=user).language == "de"
    assert AuditEntry.objects.get(action="preferences.change").changes == {
        "language": {"before": "", "after": "de"}}

    # Another browser, English, no cookie: the user's choice still wins, and the answer
    # puts it into this browser's cookie too.
    other = type(client)()
    other.force_login(user)
    page = other.get(reverse("settings"), headers=ENGLISH_BROWSER)
    assert '<html lang="de">' in html(page) and "Persönliche Einstellungen" in html(page)
    assert page.cookies[COOKIE].value == "de"
    # Once the cookie is right it is not sent again.
    assert COOKIE not in other.get(reverse("settings"), headers=ENGLISH_BROWSER).cookies


def test_signing_in_brings_the_users_language_to_the_login_page_after_signing_out(client):
    user = make_user("kim")
    services.save_preferences(user=user, language="de")
    response = client.post(reverse("login"), {"username": "kim", "password": "pw-for-tests-1"},
                           headers=ENGLISH_BROWSER)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "de"
    client.post(reverse("logout"))
    assert "Bei fleetadmin anmelden" in html(client.get(reverse("login"),
                                                         headers=ENGLISH_BROWSER))


def test_an_anonymous_pick_only_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/login/"})
    assert response.cookies[COOKIE].value == "de"
    assert "Bei fleetadmin anmelden" in html(client.get(reverse("login"),
                                                         headers=ENGLISH_BROWSER))
    assert not AuditEntry.objects.exists()


def test_an_unknown_language_changes_nothing(client):
    user = make_user("kim")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/cars/"})
    assert services.preferences_of(user=user).language == ""


def test_settings_pick_the_language_or_give_it_back_to_the_browser(client, flinkey_api):
    user = make_user("kim")
    client.force_login(user)
    zone = services.preferences_of(user=user).time_zone
    page = html(client.get(reverse("settings")))
    assert 'name="language"' in page and ">Deutsch</option>" in page
    response = client.post(reverse("save-preferences"), {"time_zone": zone, "language": "de"},
                           follow=True, headers=ENGLISH_BROWSER)
    assert services.preferences_of(user=user).language == "de"
    # The confirmation is already in the new language.
    assert "Ihre persönlichen Einstellungen wurden gespeichert." in html(response)

    response = client.post(reverse("save-preferences"), {"time_zone": zone, "language": ""},
                           headers=ENGLISH_BROWSER)
    assert services.preferences_of(user=user).language == ""
    # The cookie is removed, so the browser's language decides again.
    assert response.cookies[COOKIE].value == "" and response.cookies[COOKIE]["max-age"] == 0
    client.cookies.pop(COOKIE, None)
    assert '<html lang="en">' in html(client.get(reverse("settings"), headers=ENGLISH_BROWSER))
    assert '<html lang="de">' in html(client.get(reverse("settings"), headers=GERMAN_BROWSER))


def test_settings_refuse_a_language_we_do_not_have(client, flinkey_api):
    user = make_user("kim")
    client.force_login(user)
    zone = services.preferences_of(user=user).time_zone
    response = client.post(reverse("save-preferences"), {"time_zone": zone, "language": "fr"})
    assert response.status_code == 400
    assert services.preferences_of(user=user).language == ""


def test_the_language_cookie_follows_the_session_cookie_into_a_portal(settings, client):
    # A portal on another site: the language cookie must be SameSite=None, Secure and
    # Partitioned like the session's, or the login page inside the portal forgets it.
    settings.LANGUAGE_COOKIE_SAMESITE = "None"
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.post(reverse("set_language"), {"language": "de", "next": "/login/"})
    cookie = response.cookies[COOKIE].output()
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie
