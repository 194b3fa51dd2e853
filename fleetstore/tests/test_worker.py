"""The store filled by REAL background processes: `manage.py db_worker` and `manage.py crontask`.

The worker is a subprocess on the test database (a file on SQLite, or PostgreSQL), so these
tests commit for real (`transaction=True`). It is killed with SIGKILL in the middle of a
sync; a restarted worker finishes the fleet, and nothing is lost or stored twice.
"""

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from config.testing import wait_until
from fleetstore.models import PeriodClaim, StoredCar, StoredEvent, SyncRun
from fleetstore.tasks import sync_fleet
from fleetstore.tests.conftest import make_fleet
from fleetstore.tests.test_sync import all_events, api

# Slow: real db_worker and crontask processes; the two schedulers wait for a minute boundary.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test runs on, for a subprocess to open it too."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            pytest.skip("the test database is in memory: a worker process cannot open it")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return (f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:"
                f"{db.get('PORT') or 5432}/{db['NAME']}")
    pytest.skip(f"no worker test for {connection.vendor}")


def process_env(sandbox, **extra) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), "FLINKEY_API_URL": sandbox.url,
           "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
           "DJANGO_LOG_FORMAT": "plain", "PYTHONUNBUFFERED": "1"}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *command], cwd=ROOT, env=env,  # noqa: S603
                            stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    return start(["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
                 env, log)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        stop(process, signal.SIGKILL)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_a_worker_killed_mid_sync_loses_and_duplicates_nothing(flinkey_api, processes, tmp_path):
    fleet = make_fleet(flinkey_api.url)
    # Slow enough (~150 calls of 40 ms) to be caught in the middle.
    flinkey_api.faults.latency = 0.04
    env = process_env(flinkey_api, FLEETSTORE_CALLS_PER_MINUTE=100000,
                      FLEETSTORE_LEASE_SECONDS=3)
    log = tmp_path / "worker.log"
    sync_fleet.enqueue(fleet.pk, True)
    worker = start_worker(env, log)
    processes.append(worker)

    run = wait_until(lambda: SyncRun.objects.filter(fleet=fleet, cars_done__gt=5).first(),
                     timeout=60, what="the sync's progress")
    stop(worker, signal.SIGKILL)
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.RUNNING and run.cars_done < run.cars_total, \
        "the worker was not killed mid-sync"
    half = StoredCar.objects.filter(fleet=fleet).count()

    # A new worker; the fleet's lease of the dead one runs out, then the next run takes over
    # (as the scheduler's next due dispatch would enqueue it).
    flinkey_api.faults.latency = 0
    worker = start_worker(env, log)
    processes.append(worker)
    wait_until(lambda: not lease_held(fleet), timeout=30,
               what="the killed worker's lease to run out")
    sync_fleet.enqueue(fleet.pk, True)
    wait_until(lambda: SyncRun.objects.filter(fleet=fleet, outcome=SyncRun.Outcome.SUCCESS)
               .exists(), timeout=90, what="a finished sync; log: " + log.read_text()[-2000:])

    run.refresh_from_db()
    assert (run.outcome, run.error) == (SyncRun.Outcome.FAILED, SyncRun.Error.INTERRUPTED)
    upstream = api(fleet).list_cars()
    stored = list(StoredCar.objects.filter(fleet=fleet).values_list("car_id", flat=True))
    assert sorted(stored) == sorted(car.id for car in upstream) and half <= len(stored)
    since = datetime.now(UTC) - timedelta(days=90)
    expected = set()
    for car in upstream:
        expected |= {event.id for event in all_events(fleet, car.id, since)}
    stored_events = list(StoredEvent.objects.filter(fleet=fleet)
                         .values_list("event_id", flat=True))
    assert len(stored_events) == len(set(stored_events))
    assert expected <= set(stored_events)


def lease_held(fleet) -> bool:
    """Whether a run holds `fleet` now (its lease has not run out)."""
    fleet.refresh_from_db(fields=["lease_until"])
    return fleet.lease_until is not None and fleet.lease_until > timezone.now()


def next_minute_wait() -> float:
    now = datetime.now(UTC)
    return 60 - now.second - now.microsecond / 1e6


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_two_schedulers_run_each_periodic_job_once(flinkey_api, processes, tmp_path):
    from django_tasks_db.models import DBTaskResult

    fleet = make_fleet(flinkey_api.url)
    # No Redis lock (as in the demo): both schedulers enqueue every job; the period claim
    # lets one of each pair work. With Redis one scheduler would not even start.
    env = process_env(flinkey_api, FLEETSTORE_SCHEDULER_LOCK_URL="", CACHE_URL="locmemcache://",
                      FLEETSTORE_CALLS_PER_MINUTE=100000)
    logs = [tmp_path / f"scheduler-{n}.log" for n in (1, 2)]
    processes.extend(start(["crontask", "--no-heartbeat"], env, log) for log in logs)
    processes.append(start_worker(env, tmp_path / "worker.log"))
    wait_until(lambda: all("Starting scheduler" in log.read_text() for log in logs),
               timeout=60, what="both schedulers started")
    # The first minute both schedulers saw begin.
    minute = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    path = "fleetstore.tasks.dispatch_due_syncs"

    def that_minutes_dispatches():
        rows = DBTaskResult.objects.filter(task_path=path, enqueued_at__gte=minute,
                                           enqueued_at__lt=minute + timedelta(minutes=1))
        return list(rows) if rows.filter(status="SUCCESSFUL").count() == 2 else None

    rows = wait_until(that_minutes_dispatches, timeout=next_minute_wait() + 60,
                      what="both schedulers' dispatch; logs: " + "; ".join(
                          log.read_text()[-500:] for log in logs))
    for process in processes[:2]:
        stop(process)

    results = sorted(str(row.return_value) for row in rows)
    assert len(results) == 2 and results.count("period already claimed") == 1, results
    assert PeriodClaim.objects.filter(job="dispatch_due_syncs", period=minute).count() == 1
    wait_until(lambda: SyncRun.objects.filter(fleet=fleet).exclude(
        outcome=SyncRun.Outcome.RUNNING).exists(), timeout=60, what="the dispatched sync")
    # However many minutes passed, the fleet was synced once (then it was not due).
    assert SyncRun.objects.filter(fleet=fleet, kind=SyncRun.Kind.FULL).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_with_the_redis_lock_a_second_scheduler_refuses(flinkey_api, processes, tmp_path):
    cache_url = os.environ.get("CACHE_URL", "")
    if not cache_url.startswith("redis"):
        pytest.skip("needs Redis (CACHE_URL=redis://…): the scheduler's lock lives there")
    env = process_env(flinkey_api, FLEETSTORE_SCHEDULER_LOCK_URL=cache_url)
    logs = [tmp_path / f"scheduler-{n}.log" for n in (1, 2)]
    first = start(["crontask", "--no-heartbeat"], env, logs[0])
    processes.append(first)
    wait_until(lambda: "Starting scheduler" in logs[0].read_text(), timeout=60,
               what="the first scheduler")
    second = start(["crontask", "--no-heartbeat"], env, logs[1])
    processes.append(second)

    # It waits for the lock (LOCK_BLOCKING_TIMEOUT, 15 s), then gives up and says so.
    assert second.wait(60) == 0
    assert "Another scheduler is already running." in logs[1].read_text()
    assert "Starting scheduler" not in logs[1].read_text()
    assert first.poll() is None
    stop(first)  # SIGTERM: it releases the lock
