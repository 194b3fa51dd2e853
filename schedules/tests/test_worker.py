"""A scheduled report run by REAL worker processes (`manage.py db_worker`) to a real SMTP
server in the test process: two schedulers' copies of one minute, two workers — one run,
one e-mail; then a "send now" from the page, sent by a worker too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts.tests.conftest import Mailbox, fill_store
from config.testing import free_port, make_user, wait_until
from fleetstore.models import PeriodClaim
from fleetstore.tests.conftest import make_fleet
from fleetstore.tests.test_worker import process_env, start_worker, stop
from schedules.models import Mailing, Run
from schedules.tasks import dispatch_schedules
from schedules.tests.conftest import make_schedule

PATH = "schedules.tasks.dispatch_schedules"


def enqueue_dispatch(minute) -> None:
    """Enqueue the periodic job as a scheduler would have in `minute`."""
    result = dispatch_schedules.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=minute)


def finished(path=PATH) -> list[str]:
    return [str(row.return_value) for row in DBTaskResult.objects.filter(
        task_path=path, status="SUCCESSFUL").order_by("finished_at")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_two_schedulers_two_workers_one_run_one_mail(flinkey_api, tmp_path):
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now())
    fill_store(fleet)
    owner = make_user("manager")
    owner.email = "fm@example.com"
    owner.save()
    make_schedule(fleet, owner, report="left-open", format="csv")
    mailbox = Mailbox(free_port())
    mailbox.start()
    env = process_env(flinkey_api, EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}")
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    workers = []
    try:
        enqueue_dispatch(minute)
        enqueue_dispatch(minute)  # a second scheduler's copy of the same minute
        workers = [start_worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
        logs = lambda: "; ".join(  # noqa: E731
            (tmp_path / f"worker-{n}.log").read_text()[-1500:] for n in (1, 2))
        wait_until(lambda: len(finished()) == 2, timeout=90,
                   what="both copies of the job; logs: " + logs())
        wait_until(lambda: Mailing.objects.filter(status="sent").exists(), timeout=60,
                   what="the e-mail; logs: " + logs())
        # The next minute's job finds the moment run already: nothing new.
        enqueue_dispatch(minute + timedelta(minutes=1))
        wait_until(lambda: len(finished()) == 3, timeout=60, what="the next minute's job")
        runs = finished()
    finally:
        for worker in workers:
            stop(worker)
        mailbox.stop()
    assert sorted(runs[:2]) == ["1 runs", "period already claimed"]
    assert runs[2] == "0 runs"
    assert PeriodClaim.objects.filter(job="dispatch_schedules").count() == 2
    assert Run.objects.count() == 1 and Mailing.objects.get().attempts == 1
    (recipients, raw), = mailbox.messages
    assert recipients == ["fm@example.com"] and "Open Overnight" in raw
