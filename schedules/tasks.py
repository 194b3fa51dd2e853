"""The scheduled reports' background jobs (run by `manage.py db_worker`).

`dispatch_schedules` is periodic (every minute, django-crontask) and claims its minute
first (fleetstore.tasks.claim_period): a second scheduler's copy does nothing. It writes a
run for every schedule whose moment has come (unique per schedule and moment) and enqueues
every mailing that is due — also the retries and those a killed worker left.
`send_mailing` sends one; it is safe to run twice (schedules.sending claims the row).
"""

from datetime import datetime

from crontask import cron
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from fleetstore.tasks import claim_period
from schedules import sending


@task
def send_mailing(mailing_id: int) -> str:
    """Send one recipient's e-mail of a run."""
    return sending.deliver(mailing_id)


@cron("* * * * *")
@task(takes_context=True)
def dispatch_schedules(context) -> str:
    """Write the runs that are due and enqueue the mailings that are due; once a minute."""
    if not claim_period("dispatch_schedules", _enqueued_minute(context)):
        return "period already claimed"
    return dispatch()


def dispatch(now: datetime | None = None) -> str:
    """One round: a run per due schedule, then enqueue every due mailing (after commit)."""
    now = now or timezone.now()
    runs = [run for schedule, moment in list(sending.due_schedules(now))
            if (run := sending.make_run(schedule, moment)) is not None]
    enqueue_due(now)
    return f"{len(runs)} runs"


def enqueue_due(now: datetime | None = None) -> int:
    due = list(sending.due_mailings(now).values_list("pk", flat=True))
    for mailing_id in due:
        transaction.on_commit(lambda pk=mailing_id: send_mailing.enqueue(pk))
    return len(due)


def _enqueued_minute(context) -> datetime:
    # As the fleet store's jobs: the minute the scheduler enqueued it, so two schedulers'
    # copies claim the same period however late a worker gets to them.
    moment = context.task_result.enqueued_at or timezone.now()
    return moment.replace(second=0, microsecond=0)
