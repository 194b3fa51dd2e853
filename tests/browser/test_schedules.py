"""A fleet manager schedules a weekly mileage report in Chromium, from the Reports page,
presses "Send now"; a real SMTP server receives one XLSX that opens, and the run history
says sent."""

import email
import email.policy
import io

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.testing import make_user
from tests.browser.conftest import settled, signed_in_as, unexpected
from tests.browser.test_alerts import mailbox  # noqa: F401 - the real SMTP server


def test_a_weekly_report_scheduled_and_sent_now(page, dashboard, mailbox,  # noqa: F811
                                                console_problems):
    from django.conf import settings

    from alerts.tests.conftest import add_car
    from fleetstore.tests.conftest import make_fleet
    from schedules import sending

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    add_car(fleet, 8101, "Demo Car", plate="B-FL 1")
    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    signed_in_as(page, dashboard, "fm")

    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("link", name="Scheduled reports: e-mailed daily, weekly or monthly").click()
    page.get_by_role("link", name="New scheduled report").click()
    page.get_by_label("Name").fill("Monday mileage")
    page.get_by_label("Report").select_option(label="Mileage per car")
    page.get_by_label("How often").select_option(label="Weekly")
    page.get_by_label("Weekday (weekly)").select_option(label="Monday")
    page.get_by_label("At (time of day)").fill("07:30")
    page.get_by_label("File").select_option("xlsx")
    page.locator("#schedule-save").click()
    expect(page.get_by_text("The scheduled report was saved.")).to_be_visible()
    expect(page.locator("#schedule-owner")).to_contain_text("Owner: fm.")

    page.locator("#schedule-send-now").click()
    settled(page)
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    expect(page.locator("#runs")).to_contain_text("sent now by fm")

    # What a worker does (schedules/tests/test_worker.py runs real ones), twice over.
    for _round in range(2):
        for mailing_id in sending.due_mailings().values_list("pk", flat=True):
            sending.deliver(mailing_id)
    page.reload()
    expect(page.locator("#runs tbody tr").filter(has_text="sent ·")).to_have_count(1)

    print(f"mail: {[to for to, _raw in mailbox.messages]}")
    (recipients, raw), = mailbox.messages
    assert recipients == ["fm@example.com"]
    message = email.message_from_bytes(raw.encode(), policy=email.policy.default)
    part, = [part for part in message.walk() if part.get_filename()]
    sheet = openpyxl.load_workbook(io.BytesIO(part.get_payload(decode=True))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["Demo Car"]
    assert unexpected(console_problems) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_schedule_pages_have_no_serious_accessibility_findings(dashboard, new_browser_context,
                                                                   language):
    from django.conf import settings

    from alerts.tests.conftest import fill_store
    from fleetstore.tests.conftest import make_fleet
    from schedules import sending
    from schedules.tests.conftest import make_schedule
    from tests.browser.test_accessibility import axe_page, findings, sign_in

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    fill_store(fleet)
    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    schedule = make_schedule(fleet, fm, cadence="weekly", weekday=0)
    sending.make_run(schedule, timezone.now())
    page = axe_page(new_browser_context, width="desktop", language=language)
    page.goto(f"{dashboard}/login/")
    sign_in(page, "fm")
    problems = {}
    for screen in ("/schedules/", "/schedules/new/", f"/schedules/{schedule.pk}/",
                   f"/schedules/{schedule.pk}/runs/", f"/schedules/{schedule.pk}/delete/"):
        page.goto(f"{dashboard}{screen}")
        settled(page)
        problems[screen] = findings(page)
    found = {screen: found for screen, found in problems.items() if found}
    assert not found, found


def test_deleting_a_schedule_is_asked_first_and_works_by_keyboard(page, dashboard,
                                                                   console_problems):
    # One click deleted a schedule and its run history; now a page asks first, as people's
    # "Remove" does (a link and a form: keyboard and no script alike).
    from django.conf import settings

    from fleetstore.tests.conftest import make_fleet
    from schedules.models import Schedule
    from schedules.tests.conftest import make_schedule

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    schedule = make_schedule(fleet, make_user("fm"))
    signed_in_as(page, dashboard, "fm", home=False)
    page.goto(f"{dashboard}/schedules/{schedule.pk}/")
    settled(page)

    page.locator("#schedule-delete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Delete a scheduled report")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Delete “Morning”?")
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    page.get_by_role("link", name="Cancel").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard}/schedules/{schedule.pk}/")

    page.locator("#schedule-delete").focus()
    page.keyboard.press("Enter")
    page.locator("#schedule-delete-confirm").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The scheduled report was deleted.")).to_be_visible()
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert unexpected(console_problems) == []
