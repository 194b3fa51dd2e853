"""How the audit log shows entries: names beside ids, times with their zone, page or fragment."""

import csv
import io
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.access import ROLE_ADMIN, ROLE_SUPPORT
from audit.models import AuditEntry
from audit.recording import record
from config.testing import hx, make_user, stamped_between
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def test_an_entry_records_the_car_and_customer_names(admin):
    entry = record(user=admin, action="car.delete", car_id=2085, customer_id=DEMO.customer_id,
                   changes={"name": {"before": "Golf M-AB 12", "after": None}})
    entry.refresh_from_db()
    assert (entry.car_name, entry.customer_name) == ("Golf M-AB 12", DEMO.customer_name)


def test_the_page_shows_names_with_the_ids_as_secondary(admin, admin_client):
    record(user=admin, action="car.delete", car_id=2085, customer_id=DEMO.customer_id,
           changes={"name": {"before": "Golf M-AB 12", "after": None}})
    page = admin_client.get(reverse("audit"), {"action": "car.delete"}).content.decode()
    assert "Golf M-AB 12" in page and "2085" in page
    assert DEMO.customer_name in page and str(DEMO.customer_id) in page


def test_old_entries_without_names_show_their_ids(admin, admin_client):
    record(user=admin, action="car.update", car_id=77, customer_id=4242, changes={})
    assert AuditEntry.objects.get(action="car.update").car_name is None
    page = admin_client.get(reverse("audit"), {"action": "car.update"}).content.decode()
    assert "car 77" in page and "4242" in page


def test_a_car_edit_in_the_ui_records_the_name_even_when_the_name_is_unchanged(
        manager_client, manager):
    url = reverse("cars:edit", args=[DEMO.car_id])
    form = manager_client.get(url).context["form"]
    shown = {name: form[name].value() or "" for name in form.fields}
    data = {**shown, **{form[name].html_initial_name: value for name, value in shown.items()}}
    data["description"] = "changed for the audit test"
    manager_client.post(url, data)
    entry = AuditEntry.objects.get(action="car.update")
    assert entry.car_name and entry.car_name == form["name"].value()
    assert entry.customer_name == DEMO.customer_name


def test_a_car_created_in_the_ui_is_named_once_its_id_is_known(manager_client, flinkey_api):
    # The entry is written before flinkey is asked (the id comes with its answer).
    manager_client.post(reverse("cars:create"), {"name": "Golf für das Protokoll"})
    entry = AuditEntry.objects.get(action="car.create")
    assert entry.outcome == "success" and entry.car_id is not None
    assert entry.car_name == "Golf für das Protokoll"
    page = manager_client.get(reverse("audit")).content.decode()
    assert "Golf für das Protokoll" in page


def test_rules_schedules_and_events_read_as_their_forms_do(admin, admin_client):
    # Their apps describe their fields to the log (describe_fields): no code names, no raw
    # values (found by QA: "kind left_open · enabled False", "weekday 0", "type CarOpened").
    record(user=admin, action="alert_rule.create",
           changes={"rule": 1, "kind": "left_open", "enabled": False, "only_outside_hours": True})
    record(user=admin, action="schedule.create",
           changes={"schedule": 2, "weekday": 0, "period": "yesterday", "format": "xlsx"})
    record(user=admin, action="event.create", car_id=2001,
           changes={"type": {"before": None, "after": "CarOpened"},
                    "utc_date_time": {"before": None, "after": "2026-12-07T18:45:00+00:00"}})
    page = admin_client.get(reverse("audit")).content.decode()
    for words in ("alert rule", "Left open", "switched on", "only outside working hours",
                  "scheduled report", "weekday", "Monday", "Yesterday", "XLSX",
                  "opened or closed", "time of the event"):
        assert words in page, words
    for code in ("left_open", "only_outside_hours", "CarOpened", "utc_date_time"):
        assert code not in page, code
    german = Client()
    german.force_login(admin)
    german.post(reverse("save-preferences"), {"language": "de", "time_zone": "Europe/Berlin"})
    page = german.get(reverse("audit")).content.decode()
    for words in ("Alarmregel", "Montag", "Gestern", "geöffnet", "Zeitpunkt"):
        assert words in page, words


def test_times_name_their_zone(admin, admin_client):
    record(user=admin, action="car.delete", car_id=1)
    page = admin_client.get(reverse("audit")).content.decode()
    assert "When (Europe/Berlin)" in page


def test_the_csv_has_a_utc_and_a_local_column_naming_the_zone(admin, admin_client):
    entry = record(user=admin, action="car.delete", car_id=1, car_name="Golf")
    response = admin_client.get(reverse("audit-export"), {"action": "car.delete"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = rows[0]
    assert datetime.fromisoformat(row["when_utc"]) == entry.created_at
    local = datetime.fromisoformat(row["when_local (Europe/Berlin)"])
    assert local.utcoffset() == timezone.localtime(
        entry.created_at, timezone.get_fixed_timezone(local.utcoffset())).utcoffset()
    assert local == entry.created_at
    assert row["car_name"] == "Golf"


def test_the_csv_is_named_by_the_users_clock(admin, admin_client):
    UserPreferences.objects.update_or_create(user=admin,
                                             defaults={"time_zone": "America/New_York"})
    since = timezone.now()
    response = admin_client.get(reverse("audit-export"))
    assert response["Content-Disposition"].startswith('attachment; filename="fleetadmin-audit-')
    assert stamped_between(response, "America/New_York", since)


def test_the_screen_varies_on_htmx_and_back_gets_a_whole_page(admin, admin_client):
    page = admin_client.get(reverse("audit"))
    assert "HX-Request" in page["Vary"] and "HX-Target" in page["Vary"]
    fragment = admin_client.get(reverse("audit"), headers=hx("audit-table"))
    assert "<html" not in fragment.content.decode()
    restore = admin_client.get(reverse("audit"),
                               headers=hx(**{"HX-History-Restore-Request": "true"}))
    assert "<html" in restore.content.decode()


@pytest.mark.parametrize(("role", "label"), [
    (ROLE_ADMIN, "admin"), (ROLE_SUPPORT, "support"), ("fleet manager", "fleet manager")])
def test_the_header_shows_the_role(flinkey_api, role, label):
    client = Client()
    client.force_login(make_user("someone", role=role))
    page = client.get(reverse("settings")).content.decode()
    assert f'<span class="role">{label}</span>' in page


def test_the_header_shows_the_signed_in_users_role_on_another_users_page(admin_client):
    desk = make_user("desk", role=ROLE_SUPPORT, with_credentials=False)
    page = admin_client.get(reverse("user", args=[desk.pk])).content.decode()
    assert '<span class="role">admin</span>' in page


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+00:00", "9999-12-31T23:59:59+00:00",
                                    "0001-01-01T00:30:00"])
def test_a_moment_no_zone_can_hold_is_shown_as_recorded(admin_client, admin, moment):
    # An event asked for at year 1 is refused, but its write-ahead entry records what was
    # asked; the log still opens (it answered 500 when the reader's zone was applied).
    record(user=admin, action="event.create", changes={"utc_date_time": moment})
    response = admin_client.get(reverse("audit"))
    assert response.status_code == 200
    assert moment in response.content.decode()


def test_a_recorded_coordinate_is_written_with_a_decimal_point_in_german(admin, admin_client):
    # README, Languages: coordinates one way in every language, not the German "48,137".
    UserPreferences.objects.update_or_create(user=admin, defaults={"language": "de"})
    record(user=admin, action="event.create", changes={
        "latitude": {"before": None, "after": 48.137}, "longitude": {"before": None, "after": -11}})
    page = admin_client.get(reverse("audit")).content.decode()
    assert "<ins>48.13700</ins>" in page and "<ins>-11.00000</ins>" in page
    assert "48,137" not in page
