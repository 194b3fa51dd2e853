"""A fleet manager sets up a left-open rule in Chromium, tries it, switches it on, adds a
webhook and subscribes; the evaluation then sends exactly one e-mail (to a real SMTP server)
and one signed webhook call (to a real receiver), and the delivery log says so."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.testing import free_port, make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, signed_in_as, unexpected


@pytest.fixture
def receiver(settings):
    from alerts.tests.conftest import Receiver

    settings.ALERTS_WEBHOOK_ALLOW_HTTP = True
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["127.0.0.1"]
    found = Receiver(secret="browser-test-signing-secret")
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def mailbox(settings):
    from alerts.tests.conftest import Mailbox

    box = Mailbox(free_port())
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": box.port, "timeout": 5}}}
    box.start()
    yield box
    box.stop()


def test_a_left_open_rule_sends_one_mail_and_one_signed_webhook(page, dashboard, receiver,
                                                                mailbox, console_problems):
    from django.conf import settings

    from alerts import sending, tasks
    from alerts.tests.conftest import add_car
    from fleetstore.tests.conftest import make_fleet

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    # The demo car, opened 20 hours ago and not closed since (as the store learnt it).
    add_car(fleet, DEMO.car_id, "Demo Car", opened_hours_ago=20, plate="B-FL 1")
    add_car(fleet, DEMO.car_id + 1, "Closed Car", opened_hours_ago=22, closed_hours_ago=21)
    fm = make_user("fm")
    fm.email = "fm@example.com"
    fm.save()
    signed_in_as(page, dashboard, "fm")

    page.get_by_role("link", name="Alerts").click()
    page.get_by_role("link", name="New rule: Left open").click()
    page.get_by_label("Name").fill("Overnight")
    page.get_by_label("Open for longer than (hours)").fill("12")
    page.get_by_role("button", name="Save").click()
    settled(page)
    matches = page.locator("#rule-matches")
    expect(matches.get_by_text("Demo Car")).to_be_visible()
    expect(matches.get_by_text("1 car matches.")).to_be_visible()
    expect(matches.get_by_text("Closed Car")).to_have_count(0)
    page.get_by_label("Switched on (raises alerts)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The rule “Overnight” was saved.")).to_be_visible()

    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("link", name="Add a webhook").click()
    page.get_by_label("Name").fill("Operations desk")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Signing secret").fill("browser-test-signing-secret")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The webhook “Operations desk” was saved.")).to_be_visible()

    page.get_by_role("link", name="Rules and alerts").click()
    page.get_by_label("E-mail each alert at once").check()
    page.locator("#subscription-save").click()
    expect(page.get_by_text("Your choice of alert e-mails was saved.")).to_be_visible()

    # What the scheduler and a worker do (the worker tests run real ones), twice over.
    for _round in range(2):
        tasks.run()
        for delivery_id in sending.due().values_list("pk", flat=True):
            sending.deliver(delivery_id)

    page.get_by_role("link", name="Delivery log").first.click()
    rows = page.locator("#deliveries tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="sent")).to_have_count(2)
    page.get_by_role("link", name="Rules and alerts").click()
    page.get_by_role("button", name="Mark as handled").click()
    expect(page.get_by_text("handled by fm")).to_be_visible()

    print(f"mail: {[to for to, _raw in mailbox.messages]}; webhook calls: "
          f"{[(status, valid) for _key, valid, _body, status in receiver.calls]}")
    assert [to for to, _raw in mailbox.messages] == [["fm@example.com"]]
    assert "Demo Car" in mailbox.messages[0][1]
    assert [(status, valid) for _key, valid, _body, status in receiver.calls] == [(200, True)]
    (_key, _valid, body, _status), = receiver.calls
    assert body["alert"]["car"]["id"] == DEMO.car_id
    assert unexpected(console_problems) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_alerts_pages_have_no_serious_accessibility_findings(dashboard, new_browser_context,
                                                                language):
    from django.conf import settings

    from alerts.models import Alert, Delivery, Rule
    from alerts.tests.conftest import fill_store
    from fleetstore.tests.conftest import make_fleet
    from tests.browser.test_accessibility import axe_page, findings, sign_in

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    fill_store(fleet)
    rule = Rule.objects.create(fleet=fleet, name="Overnight", kind="left_open", threshold=12,
                               time_zone="UTC")
    alert = Alert.objects.create(rule=rule, car_id=9001, car_name="Open Overnight",
                                 episode_start=timezone.now())
    Delivery.objects.create(alert=alert, fleet=fleet, channel="email", recipient="a@b.example")
    make_user("fm")
    page = axe_page(new_browser_context, width="desktop", language=language)
    page.goto(f"{dashboard}/login/")
    sign_in(page, "fm")
    problems = {}
    for screen in ("/alerts/", f"/alerts/rules/{rule.pk}/", "/alerts/rules/new/?kind=outside_hours",
                   "/alerts/rules/new/?kind=not_at_depot", "/alerts/webhooks/",
                   "/alerts/webhooks/new/", "/alerts/log/", f"/alerts/rules/{rule.pk}/delete/"):
        page.goto(f"{dashboard}{screen}")
        settled(page)
        problems[screen] = findings(page)
    found = {screen: found for screen, found in problems.items() if found}
    assert not found, found


def test_deleting_a_rule_is_asked_first_by_keyboard_without_script(dashboard,
                                                                   new_browser_context):
    # One click deleted a rule and its alerts; now a page asks first, as people's "Remove"
    # does: a link and a plain form, so it works by keyboard and with script off.
    from django.conf import settings

    from alerts.models import Rule
    from fleetstore.tests.conftest import make_fleet

    fleet = make_fleet(settings.FLINKEY_API_URL, synced_at=timezone.now())
    rule = Rule.objects.create(fleet=fleet, name="Overnight", kind="left_open", threshold=12,
                               time_zone="UTC")
    make_user("fm")
    page = new_browser_context(java_script_enabled=False).new_page()
    signed_in_as(page, dashboard, "fm", home=False)
    page.goto(f"{dashboard}/alerts/rules/{rule.pk}/")

    page.locator("#rule-delete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Delete an alert rule")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Delete “Overnight”?")
    assert Rule.objects.filter(pk=rule.pk).exists()
    page.locator("#rule-delete-confirm").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The rule “Overnight” was deleted.")).to_be_visible()
    assert not Rule.objects.filter(pk=rule.pk).exists()
