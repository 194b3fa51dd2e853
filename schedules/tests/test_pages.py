"""The Scheduled reports pages: fleet managers create, change, delete and send now (audited);
support reads everything and changes nothing; the run history shows a "send now"."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from config.testing import logged_in
from fleetstore.tests.conftest import make_fleet
from schedules.models import Mailing, Run, Schedule
from schedules.tests.conftest import make_schedule, speaks

FORM = {"name": "Monday mileage", "report": "mileage", "period": "last-week",
        "format": "xlsx", "cadence": "weekly", "weekday": "0", "day_of_month": "",
        "at_time": "07:30", "left_open_hours": "12", "enabled": "on"}


def test_a_fleet_manager_creates_a_schedule_in_their_zone_audited(store, owner,
                                                                  manager_client):
    speaks(owner, "en", zone="America/New_York")
    answer = manager_client.post(reverse("schedules:create"), FORM)

    schedule = Schedule.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "schedules:detail", args=[schedule.pk])
    assert (schedule.owner, schedule.fleet, schedule.time_zone, schedule.weekday) == (
        owner, store, "America/New_York", 0)
    entry = AuditEntry.objects.get(action="schedule.create")
    assert entry.changes["report"] == "mileage" and entry.changes["at_time"] == "07:30"
    page = manager_client.get(reverse("schedules:index")).content.decode()
    assert "Monday mileage" in page and "weekly on Monday at 07:30 (America/New_York)" in page


def test_a_weekly_schedule_needs_its_weekday(store, owner, manager_client):
    answer = manager_client.post(reverse("schedules:create"), {**FORM, "weekday": ""})
    assert answer.status_code == 422 and not Schedule.objects.exists()
    assert "Choose the weekday of a weekly report." in answer.content.decode()


def test_changes_and_deletion_are_audited(store, owner, manager_client):
    schedule = make_schedule(store, owner)
    answer = manager_client.post(reverse("schedules:detail", args=[schedule.pk]),
                                 {**FORM, "cadence": "monthly", "day_of_month": "31"})
    assert answer.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.cadence, schedule.day_of_month, schedule.weekday) == ("monthly", 31, None)
    change = AuditEntry.objects.get(action="schedule.update").changes
    assert change["cadence"] == {"before": "daily", "after": "monthly"}
    manager_client.post(reverse("schedules:delete", args=[schedule.pk]))
    assert not Schedule.objects.exists()
    assert AuditEntry.objects.filter(action="schedule.delete").count() == 1


def test_deleting_is_asked_first_on_a_page_of_its_own(store, owner, manager_client,
                                                     support_client):
    schedule = make_schedule(store, owner)
    url = reverse("schedules:delete", args=[schedule.pk])
    page = manager_client.get(reverse("schedules:detail", args=[schedule.pk])).content.decode()
    # The schedule's page links to the question; it deletes nothing itself (no form posting).
    assert f'href="{url}" id="schedule-delete"' in page and f'action="{url}"' not in page
    question = manager_client.get(url)
    html = question.content.decode()
    assert question.status_code == 200 and "Delete “Morning”?" in html
    assert "its run history (0 runs) goes with it" in html
    assert 'id="schedule-delete-confirm"' in html
    assert Schedule.objects.exists() and not AuditEntry.objects.filter(
        action="schedule.delete").exists()
    assert support_client.get(url).status_code == 403


def test_send_now_makes_a_run_the_history_shows(store, owner, manager_client, mailbox):
    schedule = make_schedule(store, owner)
    answer = manager_client.post(reverse("schedules:send", args=[schedule.pk]))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("schedules:runs", args=[schedule.pk])
    run = Run.objects.get()
    assert run.trigger == Run.Trigger.MANUAL and run.requested_by == "manager"
    assert AuditEntry.objects.filter(action="schedule.send_now").count() == 1
    page = manager_client.get(answer["Location"]).content.decode()
    mailing = Mailing.objects.get()
    assert f'id="mailing-{mailing.pk}"' in page and "sent now by manager" in page
    assert "manager@example.com" in page and "waiting" in page


def test_support_reads_and_changes_nothing(store, owner, support_user, support_client):
    schedule = make_schedule(store, owner)
    for name, args in (("schedules:index", []), ("schedules:detail", [schedule.pk]),
                       ("schedules:runs", [schedule.pk])):
        page = support_client.get(reverse(name, args=args))
        assert page.status_code == 200, name
        assert 'id="schedule-send-now"' not in page.content.decode()
    form = support_client.get(reverse("schedules:detail", args=[schedule.pk])).content.decode()
    assert 'name="name"' in form and "disabled" in form and 'id="schedule-save"' not in form
    for name, args in (("schedules:create", []), ("schedules:detail", [schedule.pk]),
                       ("schedules:send", [schedule.pk]), ("schedules:delete", [schedule.pk])):
        assert support_client.post(reverse(name, args=args), FORM).status_code == 403, name
    assert support_client.get(reverse("schedules:create")).status_code == 403
    schedule.refresh_from_db()
    assert schedule.name == "Morning" and not Run.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="schedule.").exists()


def test_another_fleets_schedule_is_a_404(store, owner, manager_client, flinkey_api):
    other = make_fleet(flinkey_api.url, customer_id=424242)
    schedule = make_schedule(other, owner)
    for name in ("schedules:detail", "schedules:runs"):
        assert manager_client.get(reverse(name, args=[schedule.pk])).status_code == 404
    assert manager_client.post(reverse("schedules:send", args=[schedule.pk])).status_code == 404


@pytest.mark.parametrize(("name", "heading"), [
    ("schedules:index", "Geplante Berichte"), ("schedules:create", "Neuer geplanter Bericht")])
def test_the_pages_speak_german(store, owner, manager_client, name, heading):
    speaks(owner, "de")
    client = logged_in(owner)
    page = client.get(reverse(name)).content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert "Scheduled report" not in page


def test_an_id_beyond_any_row_is_not_found(store, owner, manager_client):
    huge = 2**70
    for url in (f"/schedules/{huge}/", f"/schedules/{huge}/runs/"):
        assert manager_client.get(url).status_code == 404, url
    for url in (f"/schedules/{huge}/send/", f"/schedules/{huge}/delete/"):
        assert manager_client.post(url).status_code == 404, url


def test_hostile_values_are_refused_or_escaped_never_a_fault(store, owner, manager_client):
    for field, value in (("report", "<x>"), ("weekday", "9"), ("day_of_month", "99"),
                         ("at_time", "25:99"), ("period", "forever"), ("format", "pdf"),
                         ("left_open_hours", "-1"), ("recipients", "2147483648")):
        answer = manager_client.post(reverse("schedules:create"), {**FORM, field: value})
        assert answer.status_code == 422, field
    assert not Schedule.objects.exists()
    hostile = '<script>alert("x")</script>'
    schedule = make_schedule(store, owner, name=hostile)
    for name, args in (("schedules:index", []), ("schedules:detail", [schedule.pk]),
                       ("schedules:runs", [schedule.pk])):
        page = manager_client.get(reverse(name, args=args))
        html = page.content.decode()
        assert page.status_code == 200 and hostile not in html, name
        assert "&lt;script&gt;" in html and "<script>" not in html.replace(
            "<script src=", ""), name
