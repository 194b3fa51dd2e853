"""The audit log: what is recorded, that it cannot be changed, and who may read what."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.access import ROLE_SUPPORT
from accounts.models import SSOIdentity
from audit.models import AuditEntry
from audit.recording import field_changes, record, recording
from config.testing import hx, make_user, users_today
from config.testing import logged_in as client_for_user
from flinkey import BadRequestError, UpstreamTimeout
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def every_text(entries) -> str:
    return " ".join(
        f"{e.username} {e.sso_subject} {e.target} {e.action} {e.changes} {e.message}"
        for e in entries
    )


# -- the recording mechanism ------------------------------------------------------------


def test_recording_stores_success_with_who_and_what(flinkey_api):
    user = make_user("writer")
    SSOIdentity.objects.create(user=user, issuer="https://idp.example", subject="sub-42")
    with recording(user=user, action="car.update", customer_id=DEMO.customer_id,
                   car_id=7, changes=field_changes(
                       {"name": "A", "vin": "V"}, {"name": "B", "vin": "V"})) as entry:
        pass
    entry.refresh_from_db()
    assert (entry.username, entry.sso_subject, entry.customer_id, entry.car_id) == (
        "writer", "sub-42", DEMO.customer_id, 7)
    assert entry.changes == {"name": {"before": "A", "after": "B"}}
    assert entry.outcome == AuditEntry.Outcome.SUCCESS
    assert entry.created_at is not None


def test_recording_stores_the_upstream_refusal_and_raises(flinkey_api):
    user = make_user("writer")
    with pytest.raises(BadRequestError), recording(user=user, action="car.create"):
        raise BadRequestError("The VIN is invalid.", status=400)
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.upstream_status, entry.message) == (
        "failure", 400, "The VIN is invalid.")


def test_a_write_without_an_answer_is_recorded_as_unknown(flinkey_api):
    user = make_user("writer")
    with (pytest.raises(UpstreamTimeout),
          recording(user=user, action="car.delete", car_id=3)):
        raise UpstreamTimeout("read timed out", write_outcome_unknown=True)
    assert AuditEntry.objects.get().outcome == AuditEntry.Outcome.UNKNOWN


def test_a_fault_of_ours_mid_write_is_recorded_without_its_text(flinkey_api):
    user = make_user("writer")
    with pytest.raises(RuntimeError), recording(user=user, action="car.update", car_id=3):
        raise RuntimeError("password=hunter2")
    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN
    assert "hunter2" not in entry.message


def test_field_changes_lists_only_what_differs():
    assert field_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {
        "b": {"before": 2, "after": 3}}


# -- append-only ------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted(flinkey_api):
    entry = record(user=make_user("u"), action="auth.login")
    entry.message = "edited"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(message="edited")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_update([entry], ["message"])
    assert AuditEntry.objects.get().message == ""


def test_removing_a_user_keeps_their_entries(flinkey_api):
    user = make_user("leaver")
    record(user=user, action="auth.login")
    user.delete()
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username) == (None, "leaver")


def test_the_audit_page_offers_no_way_to_change_entries(admin, admin_client):
    record(user=admin, action="auth.login")
    client = admin_client
    page = client.get(reverse("audit")).content.decode()
    assert 'method="post"' not in page.split('id="audit-table"')[1]
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(reverse("audit")).status_code == 405
        assert getattr(client, method)(reverse("audit-export")).status_code == 405


# -- what gets recorded -----------------------------------------------------------------


def test_logins_logouts_and_failed_logins_are_recorded(client, flinkey_api):
    make_user("kim")
    assert client.post(reverse("login"), {"username": "kim", "password": "nope"}).status_code == 200
    client.post(reverse("login"), {"username": "kim", "password": "pw-for-tests-1"})
    client.post(reverse("logout"))
    failed, login, logout = AuditEntry.objects.order_by("id")
    assert (failed.action, failed.username, failed.outcome, failed.user) == (
        "auth.login_failed", "kim", "failure", None)
    assert (login.action, login.username, login.changes) == ("auth.login", "kim",
                                                              {"method": "password"})
    assert (logout.action, logout.username) == ("auth.logout", "kim")
    assert "nope" not in every_text(AuditEntry.objects.all())
    assert "pw-for-tests-1" not in every_text(AuditEntry.objects.all())


def test_a_credentials_change_names_the_fields_never_the_values(flinkey_api):
    user = make_user("kim", with_credentials=False)
    client = client_for_user(user)
    client.post(reverse("settings"), {"api_key": "k-123-secret", "username": "mgr@x",
                                      "password": "p-456-secret"})
    client.post(reverse("settings"), {"api_key": "", "username": "mgr@x",
                                      "password": "p-789-secret"})
    first, second = AuditEntry.objects.filter(action="credentials.change").order_by("id")
    assert first.changes == {"changed": ["api_key", "password", "username"]}
    assert second.changes == {"changed": ["password"]}
    text = every_text(AuditEntry.objects.all())
    assert "secret" not in text and "mgr@x" not in text


def test_choosing_a_customer_is_recorded(manager_client, manager):
    manager_client.post(reverse("choose-customer"), {"customer_id": DEMO.other_customer_id})
    entry = AuditEntry.objects.get(action="customer.choose")
    assert entry.customer_id == DEMO.other_customer_id
    assert entry.changes == {"customer": {
        "before": f"{DEMO.customer_name} ({DEMO.customer_id})",
        "after": f"{DEMO.other_customer_name} ({DEMO.other_customer_id})"}}


def test_a_preferences_change_is_recorded(manager_client):
    manager_client.post(reverse("save-preferences"), {"time_zone": "Asia/Tokyo"})
    entry = AuditEntry.objects.get(action="preferences.change")
    assert entry.changes["time_zone"]["after"] == "Asia/Tokyo"


def test_a_car_change_made_in_the_ui_shows_before_and_after(manager_client, flinkey_api):
    # End to end through the cars screens: the edit form, the sandbox, the log.
    form = manager_client.get(reverse("cars:edit", args=[DEMO.car_id])).context["form"]
    shown = {name: form[name].value() or "" for name in form.fields}
    # The form sends what it showed along (hidden "initial-…" inputs), as a browser would.
    data = {**shown, **{form[name].html_initial_name: value for name, value in shown.items()}}
    before = shown["name"]
    data["name"] = before + " (renamed)"
    manager_client.post(reverse("cars:edit", args=[DEMO.car_id]), data)
    entry = AuditEntry.objects.get(action="car.update")
    assert (entry.car_id, entry.customer_id, entry.outcome) == (
        DEMO.car_id, DEMO.customer_id, "success")
    assert entry.changes == {"name": {"before": before, "after": before + " (renamed)"}}
    page = manager_client.get(reverse("audit")).content.decode()
    assert before + " (renamed)" in page


# -- who reads what ---------------------------------------------------------------------


@pytest.fixture
def three_people(admin):
    manager = make_user("max")
    support = make_user("sue", role=ROLE_SUPPORT)
    for person in (admin, manager, support):
        record(user=person, action="auth.login")
    record(user=manager, action="car.update", car_id=11, customer_id=DEMO.customer_id,
           changes={"name": {"before": "A", "after": "B"}})
    return admin, manager, support


def usernames(response) -> set[str]:
    return {entry.username for entry in response.context["page"].object_list}


def test_admins_and_support_see_everyone_a_fleet_manager_only_themselves(three_people):
    admin, manager, support = three_people
    assert usernames(client_for_user(admin).get(reverse("audit"))) == {"ada", "max", "sue"}
    assert usernames(client_for_user(support).get(reverse("audit"))) == {"ada", "max", "sue"}
    own = client_for_user(manager).get(reverse("audit"), {"user": "ada"})
    assert usernames(own) == {"max"}


def test_the_page_shows_before_and_after(three_people):
    page = client_for_user(three_people[2]).get(reverse("audit")).content.decode()
    assert "<del>A</del> → <ins>B</ins>" in page


def test_filters_combine(three_people):
    admin = client_for_user(three_people[0])

    def names(**query):
        return usernames(admin.get(reverse("audit"), query))

    assert names(user="MAX") == {"max"}
    assert names(action="car.update") == {"max"}
    assert names(car=11) == {"max"}
    assert names(car=12) == set()
    today = users_today()
    assert names(since=today.isoformat(), until=today.isoformat()) == {"ada", "max", "sue"}
    assert names(until=(today - timedelta(days=1)).isoformat()) == set()
    assert names(since=(today + timedelta(days=1)).isoformat()) == set()


def test_an_inverted_date_range_is_explained(three_people):
    today = timezone.localdate()
    response = client_for_user(three_people[0]).get(reverse("audit"), {
        "since": today.isoformat(), "until": (today - timedelta(days=2)).isoformat()})
    assert "The end of the range is before its start." in response.content.decode()


def test_the_log_is_paged_and_htmx_gets_the_table_only(three_people):
    admin = three_people[0]
    for number in range(60):
        record(user=admin, action="car.delete", car_id=number)
    client = client_for_user(admin)
    first = client.get(reverse("audit"), {"action": "car.delete"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("audit"), {"action": "car.delete", "page": 2},
                        headers=hx("audit-table"))
    fragment = second.content.decode()
    assert len(second.context["page"].object_list) == 10
    assert 'id="audit-table"' in fragment and "<html" not in fragment
    assert "action=car.delete&amp;page=1" in fragment
    # The export takes the filters along, never the page.
    whole = client.get(reverse("audit"), {"action": "car.delete", "page": 2}).content.decode()
    assert f'href="{reverse("audit-export")}?action=car.delete"' in whole


def export(client, **query) -> list[dict]:
    response = client.get(reverse("audit-export"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_holds_the_filtered_rows(three_people):
    rows = export(client_for_user(three_people[0]), action="car.update")
    assert len(rows) == 1
    assert (rows[0]["user"], rows[0]["car_id"], rows[0]["outcome"]) == ("max", "11", "success")
    assert '"before": "A"' in rows[0]["changes"]


def test_csv_export_respects_who_may_read_what(three_people):
    assert {row["user"] for row in export(client_for_user(three_people[1]))} == {"max"}
    assert {row["user"] for row in export(client_for_user(three_people[2]))} == {
        "ada", "max", "sue"}


def test_csv_export_defuses_spreadsheet_formulas(admin_client):
    record(user=None, action="auth.login_failed", username="=HYPERLINK(\"http://x\")",
           outcome=AuditEntry.Outcome.FAILURE)
    rows = export(admin_client, action="auth.login_failed")
    assert rows[0]["user"] == "'=HYPERLINK(\"http://x\")"


def test_the_audit_log_needs_a_login(client):
    assert client.get(reverse("audit")).status_code == 302
    assert client.get(reverse("audit-export")).status_code == 302
