"""The Fleet sync page: admins turn sync on/off and rotate it; the others see status only."""

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import formats, timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from config.testing import FLINKEY_FAILURES, hx, logged_in, make_flinkey_fail, make_user
from fleetadmin.models import FlinkeyCredentials
from fleetstore import sync
from fleetstore.models import FleetSync, SyncRun
from fleetstore.tests.conftest import make_fleet
from flinkey_sandbox import DEMO

SECRET_FORM = {"api_key": DEMO.api_key, "username": DEMO.username, "password": DEMO.password}


def test_an_admin_turns_sync_on_with_a_credential_stored_encrypted_and_audited(
        admin_client, admin, flinkey_api, fast_sync, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/fleet-sync/", SECRET_FORM)

    assert response.status_code == 302
    fleet = FleetSync.objects.get()
    assert (fleet.api_url, fleet.customer_id, fleet.enabled) == (flinkey_api.url,
                                                                 DEMO.customer_id, True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key, username, password FROM fleetstore_fleetsync")
        raw = cursor.fetchone()
    assert not any(secret in value for value in raw for secret in SECRET_FORM.values())
    entry = AuditEntry.objects.get(action="fleetsync.enable")
    assert (entry.user, entry.customer_id) == (admin, DEMO.customer_id)
    assert not any(secret in str(entry.changes) for secret in SECRET_FORM.values())
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "fleetstore.tasks.sync_fleet"
    page = admin_client.get("/fleet-sync/").content.decode()
    assert "Waiting for a background worker" in page
    assert not any(secret in page for secret in SECRET_FORM.values())


def test_a_refused_credential_stores_nothing_and_says_why(admin_client, flinkey_api, fast_sync):
    response = admin_client.post("/fleet-sync/", {**SECRET_FORM, "password": "wrong"})

    assert response.status_code == 400
    assert "flinkey refused this login" in response.content.decode()
    assert not FleetSync.objects.exists() and not DBTaskResult.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="fleetsync").exists()


def test_rotating_and_turning_off_are_audited_and_off_forgets_the_credential(
        admin_client, flinkey_api, fast_sync):
    admin_client.post("/fleet-sync/", SECRET_FORM)
    admin_client.post("/fleet-sync/", SECRET_FORM)
    assert AuditEntry.objects.filter(action="fleetsync.rotate").count() == 1

    response = admin_client.post("/fleet-sync/off/")

    assert response.status_code == 302
    fleet = FleetSync.objects.get()
    assert not fleet.enabled and fleet.api_key == fleet.password == ""
    assert AuditEntry.objects.get(action="fleetsync.disable").customer_id == DEMO.customer_id


def test_a_fleet_manager_and_support_see_the_status_but_change_nothing(
        manager_client, support_client, flinkey_api, fast_sync):
    fleet = make_fleet(flinkey_api.url)
    sync.full_sync(fleet.pk)
    FleetSync.objects.filter(pk=fleet.pk).update(last_error=SyncRun.Error.CREDENTIALS,
                                                 last_error_detail="<script>x()</script>")
    for client in (manager_client, support_client):
        page = client.get("/fleet-sync/")
        html = page.content.decode()
        assert page.status_code == 200
        assert "flinkey refused the sync credential" in html
        assert "<script>x()</script>" not in html and "&lt;script&gt;" in html
        assert 'name="password"' not in html
        assert client.post("/fleet-sync/", SECRET_FORM).status_code == 403
        assert client.post("/fleet-sync/off/").status_code == 403
    assert FleetSync.objects.get().enabled


def test_refresh_now_enqueues_a_sync_and_the_status_region_polls_until_it_ran(
        manager_client, flinkey_api, fast_sync, django_capture_on_commit_callbacks):
    fleet = make_fleet(flinkey_api.url)

    with django_capture_on_commit_callbacks(execute=True):
        region = manager_client.post("/fleet-sync/refresh/", headers=hx("sync-status"))

    assert region.status_code == 200
    html = region.content.decode()
    assert 'id="sync-status"' in html and 'hx-trigger="every 2s"' in html
    assert "<h1>" not in html
    assert DBTaskResult.objects.get().task_path == "fleetstore.tasks.sync_fleet"
    assert AuditEntry.objects.filter(action="fleetsync.refresh").exists()
    sync.full_sync(fleet.pk, force=True)
    html = manager_client.get("/fleet-sync/", headers=hx("sync-status")).content.decode()
    assert "every 2s" not in html and "62 of 62 cars" in html


def test_the_status_is_of_the_fleet_the_users_own_credentials_reach(db, flinkey_api, fast_sync):
    make_fleet(flinkey_api.url, customer_id=DEMO.other_customer_id)
    other = make_user("hamburg")
    credentials = other.flinkey_credentials
    credentials.customer_id = DEMO.customer_id
    credentials.save()

    page = logged_in(other).get("/fleet-sync/").content.decode()

    assert "Fleet sync is off for this customer" in page


def test_refresh_pressed_again_while_waiting_or_running_queues_nothing_more(
        manager_client, support_client, flinkey_api, fast_sync,
        django_capture_on_commit_callbacks):
    fleet = make_fleet(flinkey_api.url)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post("/fleet-sync/refresh/")
        again = support_client.post("/fleet-sync/refresh/", follow=True)
    assert "already under way or waiting" in again.content.decode()
    assert DBTaskResult.objects.count() == 1

    sync.full_sync(fleet.pk, force=True)  # the worker took it up and finished
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post("/fleet-sync/refresh/")
    assert DBTaskResult.objects.count() == 2
    assert AuditEntry.objects.filter(action="fleetsync.refresh").count() == 2


def refresh_form_next(html: str) -> str:
    """The `next` of the "Refresh now" form under a page's data (fleetstore/as_of.html)."""
    form = re.search(r'<div class="as-of" id="store-as-of">.*?</form>', html, re.S).group(0)
    return unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))


@pytest.mark.parametrize("page", ["/cars/?q=Pool&sort=name",
                                  "/reports/service-ends/?from=2026-01-01&to=2026-01-07"])
def test_refresh_now_under_a_pages_data_asks_for_a_sync_and_goes_back_to_that_page(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet,
        django_capture_on_commit_callbacks, page):
    synced_demo_fleet()
    back = refresh_form_next(manager_client.get(page).content.decode())
    assert back == page  # its search, filters and period with it

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post("/fleet-sync/refresh/", {"next": back})

    assert (response.status_code, response.url) == (302, page)
    assert DBTaskResult.objects.get().task_path == "fleetstore.tasks.sync_fleet"
    assert "A sync has been asked for." in manager_client.get(page).content.decode()


def test_refresh_now_from_left_open_goes_back_to_it(manager_client, flinkey_api, fast_sync,
                                                    synced_demo_fleet):
    synced_demo_fleet()
    region = manager_client.get("/left-open/?hours=1", headers=hx("left-open")).content.decode()

    response = manager_client.post("/fleet-sync/refresh/", {"next": refresh_form_next(region)})

    assert response.status_code == 302 and response.url.startswith("/left-open/?hours=1")
    assert "Cars left open" in manager_client.get(response.url).content.decode()


def test_refresh_now_on_the_fleet_map_goes_back_to_the_map_not_to_its_batch(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet):
    synced_demo_fleet()
    # The "as of" form comes in a batch answer: `next` is the page that asked for it.
    batch = manager_client.get("/map/cars/?q=golf", headers=hx(
        "fleet-next", current_url="http://testserver/map/?q=golf")).content.decode()
    form = re.search(r'<form class="as-of" id="fleet-as-of".*?</form>', batch, re.S).group(0)
    back = unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))

    response = manager_client.post("/fleet-sync/refresh/", {"next": back})

    assert (response.status_code, response.url) == (302, "/map/?q=golf")


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example",
                                     "http://testserver.evil.example/cars/",
                                     # Not paths: a view's name to redirect(), a 500 (fuzz).
                                     "-1", "cars:list", "/" + "x" * 20_000])
def test_refresh_now_never_sends_the_user_off_the_site(manager_client, fleet, hostile):
    response = manager_client.post("/fleet-sync/refresh/", {"next": hostile})

    assert (response.status_code, response.url) == (302, "/fleet-sync/")


def test_a_failing_sync_reaches_the_admins_on_every_page_and_no_one_else(
        admin_client, manager_client, flinkey_api, fast_sync):
    fleet = make_fleet(flinkey_api.url, password="revoked")
    sync.full_sync(fleet.pk)

    assert 'id="sync-problem"' in admin_client.get("/settings/").content.decode()
    assert 'id="sync-problem"' not in manager_client.get("/settings/").content.decode()
    # Only another credential mends this one: the page says so (not "tries again").
    html = admin_client.get("/fleet-sync/").content.decode()
    assert "Enter a working sync credential below." in html
    assert "tries again by itself" not in html

    FleetSync.objects.filter(pk=fleet.pk).update(last_error="")
    assert 'id="sync-problem"' not in admin_client.get("/settings/").content.decode()


@pytest.mark.parametrize(("fault", "error"), [
    ("server error", "flinkey answered with an error"),
    ("slow", "flinkey could not be reached"),
])
def test_after_flinkeys_own_failure_the_page_says_the_sync_tries_again_by_itself(
        admin_client, flinkey_api, fast_sync, settings, fault, error):
    fleet = make_fleet(flinkey_api.url)
    # Every retry of the sync's pacer and the client still made, without the waits between.
    settings.FLEETSTORE_BACKOFF_SECONDS = 0.01
    make_flinkey_fail(fault, flinkey_api, settings)
    run = sync.full_sync(fleet.pk)
    flinkey_api.faults.clear()  # flinkey is back when the admin looks
    # The next run is the next position sample's, its interval after the failed run's start.
    with timezone.override(ZoneInfo(settings.FLEETADMIN_DEFAULT_TIME_ZONE)):
        next_run = formats.date_format(timezone.localtime(
            run.started_at + timedelta(minutes=settings.FLEETSTORE_SAMPLE_MINUTES)),
            "SHORT_DATETIME_FORMAT")

    html = admin_client.get("/fleet-sync/").content.decode()

    assert f"{error}." in html
    assert "This was a problem at flinkey, not of the sync credential." in html
    assert f"The sync tries again by itself at its next run ({next_run})" in html
    assert "Enter a working sync credential below." not in html
    if fault == "server error":
        assert "flinkey said: <q>Internal server error.</q>" in html
    else:  # no answer at all: the detail is the client's description, not flinkey's words
        assert "Details: <q>" in html and "flinkey said" not in html


def a_synced_fleet_whose_last_run_failed(url, settings):
    """Sync on, data of 20 minutes ago, and the run just tried while flinkey fails."""
    settings.FLEETSTORE_BACKOFF_SECONDS = 0.01
    ago = timezone.now() - timedelta(minutes=20)
    fleet = make_fleet(url, synced_at=ago, sampled_at=ago)
    assert sync.full_sync(fleet.pk, force=True).outcome == SyncRun.Outcome.FAILED
    return fleet


@pytest.mark.parametrize("how", FLINKEY_FAILURES)
def test_while_flinkey_is_down_the_page_shows_the_stored_status_and_changes_nothing(
        admin_client, flinkey_api, fast_sync, settings, django_capture_on_commit_callbacks,
        how):
    status, headline = FLINKEY_FAILURES[how]
    fleet = a_synced_fleet_whose_last_run_failed(
        make_flinkey_fail(how, flinkey_api, settings), settings)

    page = admin_client.get("/fleet-sync/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f"{headline} fleetadmin cannot confirm with flinkey now" in html
    assert "Data as of" in html and "20\xa0minutes ago" in html
    assert "full sync: failed" in html and "The last sync failed (" in html
    assert "Replace the sync credential" in html and "Turn sync off" in html
    assert "Refresh now" in html
    if how == "server error":
        assert "flinkey said: <q>Internal server error.</q>" in html
    region = admin_client.get("/fleet-sync/", headers=hx("sync-status")).content.decode()
    assert region.lstrip().startswith('<div id="sync-status"') and "sync-unconfirmed" in region

    # Changing the sync still needs the proof: nothing is changed, and the page says why.
    off = admin_client.post("/fleet-sync/off/")
    assert off.status_code == status
    assert "Nothing was changed: flinkey has to confirm your access first." in (
        off.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        refresh = admin_client.post("/fleet-sync/refresh/", headers=hx("sync-status"))
    assert refresh.status_code == status and "sync-unconfirmed" in refresh.content.decode()
    assert FleetSync.objects.get(pk=fleet.pk).enabled and not DBTaskResult.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="fleetsync").exists()


def test_unconfirmed_the_page_shows_only_the_customer_of_the_users_own_settings(
        db, flinkey_api, fast_sync, settings):
    # Another customer's sync, failing with a sentence of its own; the user's own customer
    # has sync off.
    other = make_fleet(flinkey_api.url, customer_id=DEMO.other_customer_id)
    FleetSync.objects.filter(pk=other.pk).update(
        synced_at=timezone.now(), last_error=SyncRun.Error.UPSTREAM,
        last_error_detail="Other customer's trouble.", last_error_at=timezone.now())
    client = logged_in(make_user("hamburg", role="admin"))
    make_flinkey_fail("server error", flinkey_api, settings)

    html = client.get("/fleet-sync/").content.decode()

    assert "sync-unconfirmed" in html
    assert "Fleet sync is off for this customer" in html
    assert "Other customer's trouble." not in html

    # flinkey refusing the user's credentials is a verdict: then no status at all.
    flinkey_api.faults.clear()
    make_fleet(flinkey_api.url, synced_at=timezone.now())
    credentials = FlinkeyCredentials.objects.get(user__username="hamburg")
    credentials.password = "revoked"
    credentials.save()
    refused = client.get("/fleet-sync/")
    assert refused.status_code == 409
    assert "sync-status" not in refused.content.decode()
