"""Alerts raised and sent by REAL worker processes (`manage.py db_worker`), to a real SMTP
server and a real webhook receiver in the test process: two workers, two evaluations, one
alert, one e-mail, one accepted webhook call (after a 500, retried with the same key)."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts.models import Alert, Delivery, Rule, Subscription, Webhook
from alerts.tasks import run_alerts
from alerts.tests.conftest import SECRET, Mailbox, Receiver, fill_store
from config.testing import free_port, make_user, wait_until
from fleetstore.tests.conftest import make_fleet
from fleetstore.tests.test_worker import process_env, start_worker, stop

PATH = "alerts.tasks.run_alerts"


def enqueue_run(minutes_ago: int) -> None:
    """Enqueue the periodic job as a scheduler would have `minutes_ago` (its own period)."""
    result = run_alerts.enqueue()
    moment = (timezone.now() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=moment)


def finished_runs() -> list[str]:
    return [str(row.return_value) for row in DBTaskResult.objects.filter(
        task_path=PATH, status="SUCCESSFUL").order_by("finished_at")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_two_workers_two_evaluations_one_alert_one_mail_one_accepted_call(flinkey_api,
                                                                         tmp_path):
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now())
    fill_store(fleet)
    Rule.objects.create(fleet=fleet, name="Overnight", kind="left_open", threshold=12,
                        time_zone="Europe/Berlin", enabled=True)
    manager = make_user("manager", role="fleet manager")
    manager.email = "fm@example.com"
    manager.save()
    Subscription.objects.create(user=manager, fleet=fleet, mode=Subscription.Mode.NOW)
    receiver = Receiver()
    receiver.answers = [500]
    receiver.thread.start()
    Webhook.objects.create(fleet=fleet, name="ops", url=receiver.url, secret=SECRET)
    mailbox = Mailbox(free_port())
    mailbox.start()
    env = process_env(flinkey_api, EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
                      ALERTS_WEBHOOK_ALLOW_HTTP="true",
                      ALERTS_WEBHOOK_PRIVATE_HOSTS="127.0.0.1", ALERTS_RETRY_SECONDS=0)
    workers = []
    try:
        # Two evaluations (two periods, as two minutes of the scheduler), two workers.
        enqueue_run(2)
        enqueue_run(1)
        workers = [start_worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
        logs = lambda: "; ".join(  # noqa: E731
            (tmp_path / f"worker-{n}.log").read_text()[-1500:] for n in (1, 2))
        wait_until(lambda: len(finished_runs()) == 2, timeout=90,
                   what="both evaluations; logs: " + logs())
        wait_until(lambda: Delivery.objects.filter(channel="email", status="sent").exists()
                   and receiver.calls, timeout=60, what="the e-mail and the first call")
        # The webhook said 500. Whichever run comes next finds it due (the retry wait is 0
        # here) and a worker retries it: the second evaluation may have done so already, or
        # the next minute's run does.
        enqueue_run(0)
        wait_until(lambda: Delivery.objects.filter(status="sent").count() == 2
                   and len(finished_runs()) == 3, timeout=60,
                   what="the retried webhook call; logs: " + logs())
        runs = finished_runs()
    finally:
        for worker in workers:
            stop(worker)
        mailbox.stop()
        receiver.server.shutdown()
        receiver.server.server_close()

    print(f"runs: {runs}; mail received: {len(mailbox.messages)}; webhook calls: "
          f"{[(key[:8], status) for key, _valid, _body, status in receiver.calls]}")
    assert sorted(run.split(",")[0] for run in runs) == [
        "0 new deliveries", "0 new deliveries", "2 new deliveries"]
    assert Alert.objects.count() == 1
    assert len(mailbox.messages) == 1 and mailbox.messages[0][0] == ["fm@example.com"]
    assert [status for *_rest, status in receiver.calls] == [500, 200]
    assert all(valid for _key, valid, _body, _status in receiver.calls)
    hook = Delivery.objects.get(channel="webhook")
    assert {key for key, *_rest in receiver.calls} == {str(hook.key)}
    assert hook.attempts == 2 and "answered 500" in hook.last_error


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_a_worker_killed_mid_send_is_taken_over_and_the_call_repeats_its_key(flinkey_api,
                                                                            tmp_path):
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now())
    fill_store(fleet)
    Rule.objects.create(fleet=fleet, name="Overnight", kind="left_open", threshold=12,
                        time_zone="Europe/Berlin", enabled=True)
    receiver = Receiver()
    receiver.delays = [60]  # the first call hangs: the worker is killed while it waits
    receiver.thread.start()
    Webhook.objects.create(fleet=fleet, name="ops", url=receiver.url, secret=SECRET)
    env = process_env(flinkey_api, ALERTS_WEBHOOK_ALLOW_HTTP="true",
                      ALERTS_WEBHOOK_PRIVATE_HOSTS="127.0.0.1", ALERTS_SEND_LEASE_SECONDS=3,
                      ALERTS_WEBHOOK_TIMEOUT=90)
    workers = []
    try:
        enqueue_run(1)
        workers.append(start_worker(env, tmp_path / "worker-1.log"))
        wait_until(lambda: receiver.arrivals, timeout=60,
                   what="the first call; log: " + (tmp_path / "worker-1.log").read_text())
        stop(workers[0], signal.SIGKILL)
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == (Delivery.Status.SENDING, 1)

        # A new worker; once the dead one's claim has run out, the next minute's run finds
        # the delivery due again.
        workers.append(start_worker(env, tmp_path / "worker-2.log"))
        wait_until(lambda: Delivery.objects.get().claimed_until < timezone.now(), timeout=30,
                   what="the dead worker's claim (ALERTS_SEND_LEASE_SECONDS=3) to run out")
        enqueue_run(0)
        wait_until(lambda: Delivery.objects.filter(status="sent").exists(), timeout=60,
                   what="the delivery taken over; log: "
                   + (tmp_path / "worker-2.log").read_text()[-2000:])
    finally:
        for worker in workers:
            stop(worker)
        receiver.server.shutdown()
        receiver.server.server_close()

    delivery.refresh_from_db()
    print(f"arrivals: {[key[:8] for key in receiver.arrivals]}; "
          f"attempts: {delivery.attempts}; log: {delivery.last_error}")
    assert receiver.arrivals == [str(delivery.key)] * 2
    assert delivery.attempts == 2 and "stopped while sending" in delivery.last_error
    assert Alert.objects.count() == 1
    assert len(receiver.accepted()) == 1
