"""Hardening of the core: credentials that cannot be sent, secrets on error pages, the
request's upstream time budget, and pages kept out of the browser's cache."""

import time

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from config.testing import make_user
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

ZWSP = "\u200b"


def save(client, url, **fields):
    return client.post(url, {"api_key": "", "username": "", "password": "", **fields})


@pytest.mark.parametrize("field", ["api_key", "username", "password"])
def test_a_pasted_invisible_character_is_refused_when_saved(client, flinkey_api, field):
    client.force_login(make_user("paster", with_credentials=False))
    values = {"api_key": DEMO.api_key, "username": DEMO.username, "password": DEMO.password}
    values[field] = values[field][:5] + ZWSP + values[field][5:]
    response = save(client, reverse("settings"), **values)
    assert response.status_code == 400
    assert "cannot be sent to flinkey" in response.content.decode()
    assert not FlinkeyCredentials.objects.filter(user__username="paster").exists()


@pytest.mark.parametrize("field", ["api_key", "username", "password"])
def test_the_fleet_syncs_credential_refuses_a_pasted_invisible_character_the_same_way(field):
    from fleetadmin.web.problems import refuse_unsendable_credentials
    from fleetstore.forms import SyncCredentialForm

    values = {"api_key": DEMO.api_key, "username": DEMO.username, "password": DEMO.password}
    values[field] = values[field][:5] + ZWSP + values[field][5:]
    form = SyncCredentialForm(values)
    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert "cannot be sent to flinkey" in form.errors[field][0]
    # The check itself, as both forms use it (the screen kit's, no copy in either form).
    bare = forms.Form()
    bare.fields = {name: forms.CharField() for name in values}
    bare.cleaned_data = dict(values)
    refuse_unsendable_credentials(bare, values)
    assert list(bare.errors) == [field]


def test_an_admin_setting_them_for_someone_else_is_checked_too(client, flinkey_api):
    client.force_login(make_user("boss", role="admin"))
    other = make_user("staff", with_credentials=False)
    response = save(client, reverse("user-credentials", args=[other.pk]),
                    api_key=DEMO.api_key + ZWSP, username=DEMO.username, password="pw")
    assert response.status_code == 400
    assert not FlinkeyCredentials.objects.filter(user=other).exists()


def test_surrounding_blanks_of_key_and_username_are_dropped(client, flinkey_api):
    client.force_login(make_user("blanks", with_credentials=False))
    response = save(client, reverse("settings"), api_key=f"  {DEMO.api_key}\n",
                    username=f" {DEMO.username} ", password=DEMO.password)
    assert response.status_code == 302
    stored = FlinkeyCredentials.objects.get(user__username="blanks")
    assert (stored.api_key, stored.username) == (DEMO.api_key, DEMO.username)


def test_credentials_stored_before_the_check_explain_themselves(manager_client, manager):
    credentials = manager.flinkey_credentials
    credentials.api_key = DEMO.api_key + ZWSP
    credentials.save()
    response = manager_client.get(reverse("cars:list"))
    html = response.content.decode()
    assert response.status_code == 409  # a page that says what to do, not a 500
    assert "Enter them again on the Settings page." in html


def test_a_debug_error_page_never_shows_the_secrets(flinkey_api, settings, monkeypatch):
    from preferences import services

    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(make_user("debugger", with_credentials=False))

    def broken_record(**kwargs):
        raise RuntimeError("fault while saving")

    # Fails inside save_credentials, whose frame holds the values on the debug page.
    monkeypatch.setattr(services, "record", broken_record)
    response = save(client, reverse("settings"), api_key="key-" + "k" * 20,
                    username="manager-name", password="pass-" + "p" * 20)
    html = response.content.decode()
    assert response.status_code == 500 and "fault while saving" in html  # the debug page
    assert "k" * 20 not in html and "p" * 20 not in html


def test_every_call_of_a_request_shares_one_time_budget(manager_client, flinkey_api, settings):
    settings.FLINKEY_REQUEST_BUDGET = 0.6
    settings.FLINKEY_READ_TIMEOUT = 10
    manager_client.get(reverse("cars:list"))  # the token first
    flinkey_api.faults.hang_next("/cars", seconds=10, count=5)
    started = time.monotonic()
    response = manager_client.get(reverse("cars:list"))
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert elapsed < 6  # the 0.6 s budget, not the 10 s read timeout, nor three tries of it


def test_a_request_whose_budget_is_spent_says_so_and_sends_nothing(
    manager_client, flinkey_api, monkeypatch
):
    # A client built after the request's budget ran out (time_left() == 0) was a ValueError,
    # so a 500: it is the timeout page, and nothing goes upstream.
    from fleetadmin.upstream import clients as fleetadmin_flinkey

    monkeypatch.setattr(fleetadmin_flinkey.budget, "time_left", lambda: 0.0)
    response = manager_client.get(reverse("cars:list"))
    assert response.status_code == 504
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_pages_of_a_signed_in_person_are_not_stored(manager_client):
    response = manager_client.get(reverse("cars:list"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    detail = manager_client.get(reverse("cars:detail", args=[DEMO.car_id]))
    assert "no-store" in detail["Cache-Control"]


@pytest.mark.parametrize(("url", "status"), [
    ("/map/?at=0001-01-01T00:30", 200),  # no such moment: the map of now
    (f"/cars/{DEMO.car_id}/map/?at=9999-12-31T23:59", 200),
    (f"/cars/{DEMO.car_id}/events/?since=0001-01-01", 400),
    (f"/cars/{DEMO.car_id}/events/export.csv?until=9999-12-31", 400),
    ("/audit/?until=9999-12-31", 400),
])
def test_moments_no_time_zone_can_convert_are_refused_not_a_500(manager_client, url, status):
    assert manager_client.get(url).status_code == status
