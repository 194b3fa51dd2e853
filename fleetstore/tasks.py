"""The fleet store's background jobs, on Django's tasks API (run by `manage.py db_worker`).

The periodic ones are enqueued by django-crontask's scheduler (`manage.py crontask`). The
tasks API has no retries and a worker may die anywhere: every job here is safe to run
twice. A periodic job first claims its period (PeriodClaim, unique): a second scheduler's
copy of it does nothing.
"""

import logging
from datetime import datetime

from crontask import cron
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from fleetstore import sync
from fleetstore.models import FleetSync, PeriodClaim, SyncRun
from fleetstore.signals import run_finished

log = logging.getLogger(__name__)


@task
def sync_fleet(fleet_id: int, force: bool = False) -> str:
    """Full sync of one fleet (cars, products, positions, events)."""
    return _outcome(_announced(fleet_id, sync.full_sync(fleet_id, force=force)))


@task
def sample_fleet(fleet_id: int, force: bool = False) -> str:
    """Position samples of one fleet's cars with an IQ."""
    return _outcome(_announced(fleet_id, sync.sample_positions(fleet_id, force=force)))


@cron("* * * * *")
@task(takes_context=True)
def dispatch_due_syncs(context) -> str:
    """Enqueue the syncs and samples that are due, once per minute across all schedulers."""
    if not claim_period("dispatch_due_syncs", _enqueued_minute(context)):
        return "period already claimed"
    return dispatch()


@cron("17 3 * * *")
@task(takes_context=True)
def prune_store(context) -> str:
    """Delete samples and events past FLEETSTORE_RETENTION_DAYS, once a day."""
    if not claim_period("prune_store", _enqueued_minute(context)):
        return "period already claimed"
    samples, events = sync.prune()
    return f"deleted {samples} samples and {events} events"


def dispatch(now: datetime | None = None) -> str:
    """Enqueue a sync for every enabled fleet that is due and not being synced."""
    now = now or timezone.now()
    enqueued = []
    for fleet in FleetSync.objects.filter(enabled=True):
        if fleet.lease_until is not None and fleet.lease_until > now:
            continue  # a run is on it; what is due then comes next minute
        if sync.is_due(fleet, SyncRun.Kind.FULL, now):
            sync_fleet.enqueue(fleet.pk)
            enqueued.append(f"full:{fleet.pk}")
        elif sync.is_due(fleet, SyncRun.Kind.SAMPLES, now):
            sample_fleet.enqueue(fleet.pk)
            enqueued.append(f"samples:{fleet.pk}")
    return ", ".join(enqueued) or "nothing due"


def claim_period(job: str, period: datetime) -> bool:
    """True for the first claim of (job, period), False for every later one."""
    try:
        with transaction.atomic():
            PeriodClaim.objects.create(job=job, period=period)
    except IntegrityError:
        return False
    return True


def _enqueued_minute(context) -> datetime:
    # The period is when the scheduler enqueued the job, not when a worker got to it: two
    # schedulers' copies of one minute claim the same period even if run minutes apart.
    moment = context.task_result.enqueued_at or timezone.now()
    return moment.replace(second=0, microsecond=0)


def _announced(fleet_id: int, run):
    """Tell the listeners (fleetstore.signals.run_finished) that a run ended; return it."""
    if run is not None:
        run_finished.send(sender=SyncRun, fleet_id=fleet_id, run=run)
    return run


def _outcome(run) -> str:
    if run is None:
        return "not due, or another run holds the fleet"
    return f"{run.outcome} {run.error} after {run.calls} calls".strip()
