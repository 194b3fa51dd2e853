"""Raising and sending alerts, in the test process, against a real SMTP server and a real
webhook receiver: one alert per episode, retries with the same key, nothing lost."""

import email
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import evaluation, sending
from alerts.models import Alert, Delivery, Rule, Subscription, Webhook
from alerts.tests.conftest import SECRET, Mailbox
from audit.models import AuditEntry
from fleetadmin.models import UserPreferences


def left_open_rule(store, **fields):
    return Rule.objects.create(fleet=store, name="Overnight", kind="left_open", threshold=12,
                               time_zone="Europe/Berlin", enabled=True, **fields)


def subscribe(user, store, mode=Subscription.Mode.NOW, address="fm@example.com"):
    user.email = address
    user.save()
    Subscription.objects.create(user=user, fleet=store, mode=mode)


def send_all() -> list[str]:
    return [sending.deliver(pk) for pk in sending.due().values_list("pk", flat=True)]


@pytest.fixture
def quick_retries(settings):
    settings.ALERTS_RETRY_SECONDS = 0
    return settings


def test_one_alert_per_episode_however_often_it_is_evaluated(store, manager, receiver,
                                                             mailbox):
    rule = left_open_rule(store)
    subscribe(manager, store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)

    first = evaluation.evaluate()
    second = evaluation.evaluate(timezone.now() + timedelta(minutes=5))

    assert len(first) == 2 and second == []
    alert = Alert.objects.get()
    assert (alert.rule, alert.car_id) == (rule, 9001)
    assert send_all() == ["sent", "sent"] and send_all() == []
    assert len(mailbox.messages) == 1 and len(receiver.calls) == 1
    (key, valid, body, _status), = receiver.calls
    assert valid and body["alert"]["car"]["id"] == 9001 and body["id"] == key
    assert body["alert"]["car"]["url"].endswith("/cars/9001/")
    recipients, raw = mailbox.messages[0]
    assert recipients == ["fm@example.com"]
    message = email.message_from_bytes(raw.encode())
    assert "Open Overnight" in message["Subject"]
    key = Delivery.objects.get(channel="email").key
    assert message["Message-ID"] == f"<{key}@fleetadmin.alerts>"


def test_a_car_opened_again_is_a_new_episode(store, manager, mailbox):
    from alerts.tests.conftest import add_car

    rule = left_open_rule(store)
    subscribe(manager, store)
    evaluation.evaluate()
    car = rule.fleet.cars.get(car_id=9001)
    car.delete()
    add_car(store, 9001, "Open Overnight", opened_hours_ago=13)

    assert len(evaluation.evaluate()) == 1
    assert Alert.objects.filter(car_id=9001).count() == 2


def test_smtp_down_then_up_sends_once_and_loses_nothing(store, manager, smtp_port,
                                                        quick_retries):
    left_open_rule(store)
    subscribe(manager, store)
    (delivery_id,) = evaluation.evaluate()

    outcome = sending.deliver(delivery_id)

    delivery = Delivery.objects.get(pk=delivery_id)
    assert outcome.startswith("attempt 1 failed")
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert "mail server did not take it" in delivery.last_error
    box = Mailbox(smtp_port)
    box.start()
    try:
        assert send_all() == ["sent"]
        assert send_all() == []
    finally:
        box.stop()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert len(box.messages) == 1


def test_a_webhook_answering_500_is_retried_with_the_same_key(store, receiver, quick_retries):
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    receiver.answers = [500]
    (delivery_id,) = evaluation.evaluate()

    first = sending.deliver(delivery_id)
    second = sending.deliver(delivery_id)

    assert "answered 500" in first and second == "sent"
    assert [status for _key, _valid, _body, status in receiver.calls] == [500, 200]
    keys = {key for key, _valid, _body, _status in receiver.calls}
    assert keys == {str(Delivery.objects.get().key)}
    assert all(valid for _key, valid, _body, _status in receiver.calls)
    assert len(receiver.accepted()) == 1


def test_backoff_waits_before_the_next_attempt(store, receiver, settings):
    settings.ALERTS_RETRY_SECONDS = 60
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    receiver.answers = [500, 500]
    (delivery_id,) = evaluation.evaluate()
    sending.deliver(delivery_id)

    assert sending.deliver(delivery_id) == "not due, already sent, or being sent"
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert sending.backoff(3) == timedelta(seconds=240)
    assert sending.backoff(30) == timedelta(hours=6)


def test_a_delivery_gives_up_after_the_last_attempt(store, receiver, quick_retries):
    quick_retries.ALERTS_MAX_ATTEMPTS = 2
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    receiver.answers = [503, 503, 503]
    (delivery_id,) = evaluation.evaluate()
    sending.deliver(delivery_id)
    sending.deliver(delivery_id)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 2)
    assert sending.deliver(delivery_id).startswith("not due")


def test_a_sender_killed_mid_send_is_taken_over_with_the_same_key(store, receiver):
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    (delivery_id,) = evaluation.evaluate()
    # A worker claimed it (and died before marking it): nobody else may take it meanwhile.
    claimed = sending.claim(delivery_id)
    assert claimed is not None and sending.claim(delivery_id) is None
    assert sending.deliver(delivery_id).startswith("not due")

    # Its claim runs out: the next sender sends, with the key the dead one used.
    later = timezone.now() + timedelta(hours=1)
    Delivery.objects.filter(pk=delivery_id).update(claimed_until=later - timedelta(hours=2))
    assert sending.deliver(delivery_id) == "sent"

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 2
    assert "sent again with the same key" in delivery.last_error
    assert [key for key, *_rest in receiver.calls] == [str(claimed[0].key)]


def test_a_host_that_turned_private_is_refused_at_send(store, receiver, settings):
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    (delivery_id,) = evaluation.evaluate()
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = []  # as if the name now resolved to 127.0.0.1

    outcome = sending.deliver(delivery_id)

    assert "private, loopback or link-local" in outcome
    assert receiver.calls == []
    assert "127.0.0.1" in Delivery.objects.get().last_error


def test_the_e_mail_speaks_the_recipients_language_and_zone(store, manager, mailbox):
    left_open_rule(store)
    subscribe(manager, store)
    UserPreferences.objects.create(user=manager, language="de", time_zone="Asia/Tokyo")
    evaluation.evaluate()
    send_all()

    (_to, raw), = mailbox.messages
    message = email.message_from_bytes(raw.encode())
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject.startswith("fleetadmin-Alarm: Offen gelassen")
    assert "Zeiten in Asia/Tokyo." in body and "Geöffnet am" in body
    opened = Alert.objects.get().episode_start.astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{opened:%H:%M}" in body
    assert "/cars/9001/" in body


def test_nobody_subscribed_means_no_mail_and_nothing_subscribed_elsewhere(store, manager,
                                                                          support_user):
    left_open_rule(store)
    subscribe(manager, store, mode=Subscription.Mode.NONE)
    subscribe(support_user, store, mode=Subscription.Mode.DIGEST, address="s@example.com")
    assert evaluation.evaluate() == []
    assert Alert.objects.count() == 1


def test_a_daily_digest_is_made_once_at_the_recipients_hour(store, manager, mailbox, settings):
    left_open_rule(store)
    subscribe(manager, store, mode=Subscription.Mode.DIGEST)
    UserPreferences.objects.create(user=manager, time_zone="UTC")
    evaluation.evaluate()
    now = timezone.now()
    settings.ALERTS_DIGEST_HOUR = now.hour

    assert len(evaluation.make_digests(now)) == 1
    assert evaluation.make_digests(now + timedelta(minutes=10)) == []
    assert send_all() == ["sent"]
    (_to, raw), = mailbox.messages
    assert "1 alert in the last day" in raw and "Open Overnight" in raw


def test_the_log_shows_deliveries_and_an_acknowledged_alert_reads_handled_for_everyone(
        store, manager, manager_client, support_client, receiver, quick_retries):
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    receiver.answers = [500]
    evaluation.evaluate()
    send_all()
    log = support_client.get("/alerts/log/").content.decode()
    assert "answered 500" in log and receiver.url in log and "waiting" in log

    alert = Alert.objects.get()
    assert support_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 403
    assert manager_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302

    assert "handled by manager" in support_client.get("/alerts/").content.decode()
    entry = AuditEntry.objects.get(action="alert.acknowledge")
    assert (entry.user, entry.car_id) == (manager, 9001)
    assert manager_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    assert AuditEntry.objects.filter(action="alert.acknowledge").count() == 1


def test_a_subscription_is_the_users_own_choice_and_audited(support_client, support_user,
                                                            store):
    response = support_client.post("/alerts/subscription/", {"mode": "digest"})
    assert response.status_code == 302
    assert Subscription.objects.get(user=support_user).mode == "digest"
    entry = AuditEntry.objects.get(action="alert_subscription.change")
    assert entry.changes == {"mode": {"before": "none", "after": "digest"}}


def test_someone_without_a_role_or_moved_to_another_customer_gets_no_mail(store, manager,
                                                                          support_user):
    from fleetadmin.models import FlinkeyCredentials
    from flinkey_sandbox import DEMO

    left_open_rule(store)
    subscribe(manager, store)
    subscribe(support_user, store, address="s@example.com")
    manager.groups.clear()
    FlinkeyCredentials.objects.filter(user=support_user).update(
        customer_id=DEMO.other_customer_id)

    assert evaluation.evaluate() == []


def test_a_webhook_that_hangs_is_cut_off_at_its_budget_and_retried(store, receiver, settings):
    settings.ALERTS_WEBHOOK_TIMEOUT = 1
    settings.ALERTS_RETRY_SECONDS = 0
    left_open_rule(store)
    Webhook.objects.create(fleet=store, name="ops", url=receiver.url, secret=SECRET)
    receiver.delays = [4]
    (delivery_id,) = evaluation.evaluate()

    outcome = sending.deliver(delivery_id)

    assert "did not answer" in outcome
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert sending.deliver(delivery_id) == "sent"
    assert receiver.arrivals == [str(delivery.key)] * 2
