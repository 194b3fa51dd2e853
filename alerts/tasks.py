"""The alerts' background jobs (run by `manage.py db_worker`, like the fleet store's).

`run_alerts` is periodic (every minute, django-crontask) and claims its minute first
(fleetstore.tasks.claim_period), so a second scheduler's copy does nothing. It evaluates
the rules on what the syncs stored, makes the daily digests that are due, and enqueues
every delivery that is due — also those a killed worker left and those waiting for their
retry. `send_delivery` sends one; it is safe to run twice (alerts.sending claims the row).
`prune_alerts` is daily and claims its period the same way (alerts.retention).
"""

from datetime import datetime

from crontask import cron
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from alerts import evaluation, retention, sending
from fleetstore.tasks import claim_period


@task
def send_delivery(delivery_id: int) -> str:
    """Send one e-mail or webhook call of an alert."""
    return sending.deliver(delivery_id)


@cron("* * * * *")
@task(takes_context=True)
def run_alerts(context) -> str:
    """Evaluate the rules, make due digests, enqueue due deliveries; once per minute."""
    if not claim_period("run_alerts", _enqueued_minute(context)):
        return "period already claimed"
    return run()


@cron("41 3 * * *")
@task(takes_context=True)
def prune_alerts(context) -> str:
    """Delete alerts and deliveries past ALERTS_RETENTION_DAYS (alerts.retention), daily."""
    if not claim_period("prune_alerts", _enqueued_minute(context)):
        return "period already claimed"
    alerts, deliveries = retention.prune()
    return f"deleted {alerts} alerts and {deliveries} deliveries"


def run(now=None) -> str:
    """One round: raise alerts, make digests, enqueue what is due (after commit)."""
    raised = evaluation.evaluate(now)
    digests = evaluation.make_digests(now)
    due = list(sending.due(now).values_list("pk", flat=True))
    for delivery_id in due:
        transaction.on_commit(lambda pk=delivery_id: send_delivery.enqueue(pk))
    return f"{len(raised)} new deliveries, {len(digests)} digests, {len(due)} enqueued"


def _enqueued_minute(context) -> datetime:
    # As the fleet store's jobs: the minute the scheduler enqueued it, so two schedulers'
    # copies claim the same period however late a worker gets to them.
    moment = context.task_result.enqueued_at or timezone.now()
    return moment.replace(second=0, microsecond=0)
