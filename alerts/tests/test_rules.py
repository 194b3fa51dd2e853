"""The rule pages: per fleet store, which cars match now, fleet managers change, support reads."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from alerts.hours import within
from alerts.matching import matches
from alerts.models import Rule
from alerts.tests.conftest import add_car
from audit.models import AuditEntry
from config.testing import logged_in, make_user

LEFT_OPEN = {"name": "Overnight", "kind": "left_open", "threshold": "12",
             "time_zone": "Europe/Berlin"}


def test_a_manager_tries_a_left_open_rule_and_sees_which_cars_match_now(manager_client, store):
    response = manager_client.post("/alerts/rules/new/", LEFT_OPEN)

    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.fleet, rule.kind, rule.threshold, rule.enabled) == (store, "left_open", 12,
                                                                     False)
    page = manager_client.get(response["Location"]).content.decode()
    assert 'id="match-9001"' in page and "Open Overnight" in page and "B-AL 1" in page
    assert 'id="match-9002"' not in page and 'id="match-9003"' not in page
    assert "switched off" in page
    entry = AuditEntry.objects.get(action="alert_rule.create")
    assert entry.changes["kind"] == "left_open" and entry.customer_id == store.customer_id


def test_switching_a_rule_on_is_audited_with_what_changed(manager_client, store):
    manager_client.post("/alerts/rules/new/", LEFT_OPEN)
    rule = Rule.objects.get()

    manager_client.post(f"/alerts/rules/{rule.pk}/", {**LEFT_OPEN, "enabled": "on",
                                                      "threshold": "24"})

    rule.refresh_from_db()
    assert rule.enabled and rule.threshold == 24
    entry = AuditEntry.objects.get(action="alert_rule.update")
    assert entry.changes["enabled"] == {"before": False, "after": True}
    assert entry.changes["threshold"] == {"before": 12, "after": 24}
    assert "name" not in entry.changes
    page = manager_client.get(f"/alerts/rules/{rule.pk}/").content.decode()
    assert "No car matches now." in page  # 20 h open is under 24 h


def test_support_reads_rules_and_matches_but_changes_nothing(manager_client, support_client,
                                                             store):
    manager_client.post("/alerts/rules/new/", LEFT_OPEN)
    rule = Rule.objects.get()
    audit_before = AuditEntry.objects.count()

    page = support_client.get(f"/alerts/rules/{rule.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="match-9001"' in html
    assert 'id="rule-save"' not in html and 'id="rule-delete"' not in html
    assert "new-rule-left_open" not in support_client.get("/alerts/").content.decode()
    assert support_client.post(f"/alerts/rules/{rule.pk}/", {**LEFT_OPEN, "enabled": "on"}
                               ).status_code == 403
    assert support_client.post("/alerts/rules/new/", LEFT_OPEN).status_code == 403
    assert support_client.post(f"/alerts/rules/{rule.pk}/delete/").status_code == 403
    assert support_client.post("/alerts/webhooks/new/", {}).status_code == 403
    rule.refresh_from_db()
    assert not rule.enabled and Rule.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_another_fleets_rule_is_not_found(manager_client, store, flinkey_api):
    from fleetstore.tests.conftest import make_fleet
    from flinkey_sandbox import DEMO

    other = make_fleet(flinkey_api.url, customer_id=DEMO.other_customer_id,
                       synced_at=timezone.now())
    foreign = Rule.objects.create(fleet=other, name="theirs", kind="left_open",
                                  time_zone="UTC")
    assert manager_client.get(f"/alerts/rules/{foreign.pk}/").status_code == 404
    assert manager_client.post(f"/alerts/rules/{foreign.pk}/delete/").status_code == 404
    assert Rule.objects.filter(pk=foreign.pk).exists()


def test_without_a_fleet_store_the_page_says_sync_is_off(manager_client, flinkey_api):
    page = manager_client.get("/alerts/")
    assert page.status_code == 200
    assert 'id="alerts-no-store"' in page.content.decode()


def test_deleting_a_rule_is_audited(manager_client, store):
    manager_client.post("/alerts/rules/new/", LEFT_OPEN)
    rule = Rule.objects.get()
    assert manager_client.post(f"/alerts/rules/{rule.pk}/delete/").status_code == 302
    assert not Rule.objects.exists()
    assert AuditEntry.objects.get(action="alert_rule.delete").changes["name"] == "Overnight"


def test_deleting_a_rule_is_asked_first_on_a_page_of_its_own(manager_client, support_client,
                                                              store):
    manager_client.post("/alerts/rules/new/", LEFT_OPEN)
    rule = Rule.objects.get()
    page = manager_client.get(f"/alerts/rules/{rule.pk}/").content.decode()
    # The rule's page links to the question; it deletes nothing itself (no form posting).
    assert f'href="/alerts/rules/{rule.pk}/delete/" id="rule-delete"' in page
    assert f'action="/alerts/rules/{rule.pk}/delete/"' not in page
    question = manager_client.get(f"/alerts/rules/{rule.pk}/delete/")
    html = question.content.decode()
    assert question.status_code == 200 and "Delete “Overnight”?" in html
    assert 'id="rule-delete-confirm"' in html and f'href="/alerts/rules/{rule.pk}/"' in html
    assert Rule.objects.exists() and not AuditEntry.objects.filter(
        action="alert_rule.delete").exists()
    assert support_client.get(f"/alerts/rules/{rule.pk}/delete/").status_code == 403


def test_outside_hours_needs_working_hours_and_finds_an_opening_at_night(manager_client,
                                                                         store):
    refused = manager_client.post("/alerts/rules/new/?kind=outside_hours", {
        **LEFT_OPEN, "kind": "outside_hours", "name": "Night"})
    assert refused.status_code == 422
    assert "at least one weekday" in refused.content.decode()

    # Working hours: one minute a day, an hour from now (23 h ago: no opening then).
    start = (timezone.now() + timedelta(hours=1)).astimezone(UTC)
    end = start + timedelta(minutes=1)
    hours = {f"day{day}_{part}": value for day in range(7)
             for part, value in (("start", f"{start:%H:%M}"), ("end", f"{end:%H:%M}"))}
    assert manager_client.post("/alerts/rules/new/?kind=outside_hours", {
        **LEFT_OPEN, "kind": "outside_hours", "name": "Night", "time_zone": "UTC",
        **hours}).status_code == 302
    rule = Rule.objects.get()
    # Every opening of the last 24 h is outside those hours (the closing is no opening).
    found = [match.car_id for match in matches(rule, timezone.now(), preview=True)]
    assert found == [9002, 9001, 9003]


def test_service_silent_and_depot_rules_match_the_right_cars(store):
    add_car(store, 9101, "Service Soon", service_ends_in_days=5)
    add_car(store, 9102, "Service Later", service_ends_in_days=90)
    add_car(store, 9103, "Silent IQ", has_iq=True, fix_hours_ago=30, latitude=52.0,
            longitude=13.0)
    add_car(store, 9104, "At Depot", has_iq=True, fix_hours_ago=1, latitude=52.5301,
            longitude=13.3849)
    now = timezone.now()
    service = Rule(fleet=store, name="s", kind="service", threshold=30, time_zone="UTC")
    silent = Rule(fleet=store, name="q", kind="silent", threshold=24, time_zone="UTC")
    depot = Rule(fleet=store, name="d", kind="not_at_depot", time_zone="UTC",
                 check_time=datetime(2000, 1, 1, 0, 0).time(),
                 depots=[{"name": "North", "latitude": 52.5301, "longitude": 13.3849,
                          "radius": 250}])

    assert [m.car_id for m in matches(service, now)] == [9101]
    assert [m.car_id for m in matches(silent, now)] == [9103]
    assert [m.car_id for m in matches(depot, now, preview=True)] == [9103]


def test_working_hours_run_over_midnight_in_the_rules_zone():
    night = {"4": ["22:00", "06:00"]}  # Friday night shift
    # Friday 23:00 and Saturday 05:00 in Berlin (winter: UTC+1) are inside; 07:00 is not.
    assert within(night, datetime(2026, 12, 4, 22, 0, tzinfo=UTC), "Europe/Berlin")
    assert within(night, datetime(2026, 12, 5, 4, 0, tzinfo=UTC), "Europe/Berlin")
    assert not within(night, datetime(2026, 12, 5, 6, 0, tzinfo=UTC), "Europe/Berlin")
    assert not within(night, datetime(2026, 12, 4, 20, 0, tzinfo=UTC), "Europe/Berlin")


def test_the_rules_page_speaks_german(store):
    from fleetadmin.models import UserPreferences

    user = make_user("deutsch")
    UserPreferences.objects.create(user=user, language="de")
    page = logged_in(user).get("/alerts/").content.decode()
    assert "Regeln" in page and "Ihre Alarm-E-Mails" in page


def test_the_kind_select_speaks_german_to_its_blank_choice(store):
    # Django 6.1's blank label, "- Select an option -", has no German in Django's catalogue.
    from fleetadmin.models import UserPreferences

    user = make_user("deutsch")
    UserPreferences.objects.create(user=user, language="de")
    client = logged_in(user)
    rule = Rule.objects.create(fleet=store, name="Nachts", kind="left_open", threshold=12,
                               time_zone="UTC")
    for url in ("/alerts/rules/new/?kind=service", f"/alerts/rules/{rule.pk}/"):
        html = client.get(url).content.decode()
        assert '<option value="">Art wählen</option>' in html, url
        assert "Select an option" not in html, url


def test_the_kind_is_the_one_the_link_chose_and_stays(manager_client, store):
    manager_client.post("/alerts/rules/new/?kind=service", {**LEFT_OPEN, "kind": "silent",
                                                            "threshold": "30"})
    rule = Rule.objects.get()
    assert rule.kind == "service"
    manager_client.post(f"/alerts/rules/{rule.pk}/", {**LEFT_OPEN, "kind": "silent"})
    rule.refresh_from_db()
    assert rule.kind == "service"
