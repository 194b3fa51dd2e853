"""The people directory: admins name flinkey user ids per fleet, the screens show the names."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from config.testing import logged_in, make_user
from events.tests.conftest import CAR, add_event, events_calls, recorded
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO
from people.models import Person

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TIMELINE = f"/cars/{CAR}/events/"


def name(client, user_id=DEMO.user_id, person="Anna Weber", **extra):
    response = client.post("/people/new/", {"flinkey_user_id": user_id, "name": person,
                                            "email": extra.get("email", ""),
                                            "department": extra.get("department", "")})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def other_fleet_admin():
    """An admin of the same API manager working on the other customer (Hamburg)."""
    user = make_user("otto", role="admin")
    FlinkeyCredentials.objects.filter(user=user).update(
        customer_id=DEMO.other_customer_id, customer_name=DEMO.other_customer_name)
    return user


def test_an_admin_names_a_user_id_and_it_is_audited(admin, admin_client, flinkey_api):
    name(admin_client, department="Fahrdienst", email="anna@example.com")
    person = Person.objects.get()
    assert (person.flinkey_user_id, person.name, person.customer_id, person.api_url) == (
        DEMO.user_id, "Anna Weber", DEMO.customer_id, flinkey_api.url)
    html = admin_client.get("/people/").content.decode()
    assert "Anna Weber" in html and "Fahrdienst" in html
    entry = AuditEntry.objects.get(action="person.create")
    assert entry.username == admin.username and entry.customer_id == DEMO.customer_id
    assert entry.changes["name"] == "Anna Weber" and entry.target == f"flinkey user {DEMO.user_id}"

    response = admin_client.post(f"/people/{DEMO.user_id}/edit/", {
        "name": "Anna Weber-Schmidt", "email": "", "department": "Fahrdienst"})
    assert response.status_code == 302
    change = AuditEntry.objects.get(action="person.update")
    assert change.changes == {"name": {"before": "Anna Weber", "after": "Anna Weber-Schmidt"},
                              "email": {"before": "anna@example.com", "after": ""}}
    assert admin_client.post(f"/people/{DEMO.user_id}/delete/").status_code == 302
    assert not Person.objects.exists()
    assert AuditEntry.objects.get(action="person.delete").changes["name"] == "Anna Weber-Schmidt"


def test_bad_input_is_a_form_error_and_keeps_nothing(admin_client):
    for values in ({"flinkey_user_id": 0, "name": "X"},
                   {"flinkey_user_id": 2**31, "name": "X"},
                   {"flinkey_user_id": 7, "name": ""},
                   {"flinkey_user_id": 7, "name": "X", "email": "not an address"}):
        response = admin_client.post("/people/new/", values)
        assert response.status_code == 422, values
        assert 'class="error"' in response.content.decode()
    name(admin_client)
    twice = admin_client.post("/people/new/", {"flinkey_user_id": DEMO.user_id, "name": "Bob"})
    assert twice.status_code == 422 and "Anna Weber already has this flinkey user id" in (
        twice.content.decode())
    assert Person.objects.count() == 1 and AuditEntry.objects.filter(
        action="person.create").count() == 1


def test_only_admins_change_the_directory(manager_client, support_client, admin_client):
    name(admin_client)
    for client in (manager_client, support_client):
        assert client.get("/people/").status_code == 200  # reading is for everyone
        assert client.get("/people/new/").status_code == 403
        assert client.post("/people/new/", {"flinkey_user_id": 5, "name": "X"}).status_code == 403
        assert client.post(f"/people/{DEMO.user_id}/delete/").status_code == 403
        assert client.get("/people/import/").status_code == 403
    assert Person.objects.count() == 1


def test_one_fleets_people_never_show_in_another(admin_client, flinkey_api, clean_car):
    name(admin_client)
    add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    other = logged_in(other_fleet_admin())
    # The other fleet's list, edit and delete do not know the entry ...
    assert "Anna Weber" not in other.get("/people/").content.decode()
    assert other.get(f"/people/{DEMO.user_id}/edit/").status_code == 404
    assert other.post(f"/people/{DEMO.user_id}/delete/").status_code == 404
    # ... and the same id gets its own name there.
    name(other, person="Hamburg Hans")
    assert Person.objects.count() == 2
    assert "Hamburg Hans" not in admin_client.get("/people/").content.decode()
    assert "Anna Weber" in admin_client.get(TIMELINE).content.decode()


def test_the_timeline_shows_names_with_one_lookup(admin_client, manager_client, flinkey_api,
                                                  clean_car):
    add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    add_event(flinkey_api, at=T0 + timedelta(minutes=1), user_id=DEMO.portal_user_id)
    add_event(flinkey_api, at=T0 + timedelta(minutes=2), user_id=DEMO.portal_user_id)
    name(admin_client)
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(TIMELINE).content.decode()
    assert len([q for q in queries if "people_person" in q["sql"]]) == 1
    assert '<span class="person-name">Anna Weber</span>' in html
    # An unknown id: its number, and for admins a link to name it (id prefilled, back here).
    add_link = f'href="/people/new/?flinkey_user_id={DEMO.portal_user_id}&amp;next='
    assert html.count(add_link) == 2
    form = admin_client.get(f"/people/new/?flinkey_user_id={DEMO.portal_user_id}")
    assert f'value="{DEMO.portal_user_id}"' in form.content.decode()
    manager_html = manager_client.get(TIMELINE).content.decode()
    assert "Anna Weber" in manager_html and "add a name" not in manager_html


def test_names_are_inert(admin_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    name(admin_client, person='<script>alert(1)</script>')
    html = admin_client.get(TIMELINE).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_event_detail_shows_the_name(admin_client, flinkey_api, clean_car):
    event_id = add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    assert "add a name" in admin_client.get(f"/events/{event_id}/").content.decode()
    name(admin_client)
    html = admin_client.get(f"/events/{event_id}/").content.decode()
    assert re.search(r'id="event-user"><span class="person-name">Anna Weber</span>', html)


def test_the_timeline_filters_by_name_or_id(admin_client, flinkey_api, clean_car):
    mine = add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    add_event(flinkey_api, at=T0 + timedelta(minutes=1), user_id=DEMO.portal_user_id)
    name(admin_client)
    for value in ("Anna Weber", "anna weber", str(DEMO.user_id)):
        flinkey_api.clear_requests()
        html = admin_client.get(TIMELINE, {"user": value}).content.decode()
        assert re.findall(r'<tr id="event-(\d+)"', html) == [str(mine)], value
        [call] = events_calls(flinkey_api)
        assert f"userId eq {DEMO.user_id}" in call.query["$filter"]
    # The filter's picker offers the fleet's people.
    assert '<datalist id="filter_user-people"><option value="Anna Weber">' in html
    unknown = admin_client.get(TIMELINE, {"user": "Nobody Here"})
    assert unknown.status_code == 400
    assert "Nobody in your fleet" in unknown.content.decode()


def test_recording_an_event_picks_the_person_by_name(admin_client, flinkey_api, clean_car):
    name(admin_client)
    form = admin_client.get(f"/cars/{CAR}/events/new/").content.decode()
    assert '<option value="Anna Weber">' in form
    moment = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    response = admin_client.post(f"/cars/{CAR}/events/new/", {
        "type": "opened", "moment": moment, "user_id": "Anna Weber"})
    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = recorded(flinkey_api)
    assert event.user_id == DEMO.user_id
    # A raw id still works.
    response = admin_client.post(f"/cars/{CAR}/events/new/", {
        "type": "closed", "moment": moment, "user_id": str(DEMO.user_id)})
    assert response.status_code == 302
    assert len(recorded(flinkey_api)) == 2


def test_the_export_has_a_name_column(admin_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0, user_id=DEMO.user_id)
    add_event(flinkey_api, at=T0 + timedelta(minutes=1), user_id=DEMO.portal_user_id)
    name(admin_client, person="=Anna")  # a name a spreadsheet would run stays text
    response = admin_client.get(f"/cars/{CAR}/events/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][5:7] == ["flinkey user id", "person"]
    assert rows[1][5:7] == [str(DEMO.portal_user_id), ""]
    assert rows[2][5:7] == [str(DEMO.user_id), "'=Anna"]


def test_two_admins_naming_the_same_id_at_once(admin_client, monkeypatch):
    # The second form was checked before the first was saved: the database refuses it.
    monkeypatch.setattr("people.forms.PersonForm.clean_flinkey_user_id",
                        lambda form: form.cleaned_data["flinkey_user_id"])
    name(admin_client)
    response = admin_client.post("/people/new/", {"flinkey_user_id": DEMO.user_id,
                                                  "name": "Bob"})
    assert response.status_code == 422
    assert "Someone else has just named this flinkey user id" in response.content.decode()
    assert Person.objects.get().name == "Anna Weber"
    assert AuditEntry.objects.filter(action="person.create").count() == 1
