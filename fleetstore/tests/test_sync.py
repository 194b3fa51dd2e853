"""A fleet's sync against the sandbox, in-process (the worker tests run it in a real worker)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from fleetadmin.upstream.clients import client_from
from fleetstore import sync
from fleetstore.models import (
    FleetSync,
    PositionSample,
    StoredCar,
    StoredEvent,
    StoredProduct,
    SyncRun,
)
from fleetstore.pacing import Pacer
from fleetstore.tests.conftest import make_fleet
from flinkey import Query, odata
from flinkey_sandbox import DEMO


def api(fleet):
    return client_from(fleet, base_url=fleet.api_url, metered=False)


def all_events(fleet, car_id, since):
    """Every event of the car since `since`, straight from the API (paged by cursor)."""
    client, found, after = api(fleet), [], None
    while True:
        condition = odata.ge("utc_date_time", since) if after is None else (
            odata.gt("utc_date_time", after[0])
            | (odata.eq("utc_date_time", after[0]) & odata.gt("id", after[1])))
        page = client.list_events(car_id, Query(filter=condition, top=1000,
                                                orderby=(("utc_date_time", "asc"), ("id", "asc"))))
        found += page
        if len(page) < 1000:
            return found
        after = (page[-1].utc_instant, page[-1].id)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_full_sync_keeps_cars_products_positions_and_events(fleet, flinkey_api, settings,
                                                               concurrency):
    settings.FLEETSTORE_CONCURRENCY = concurrency
    run = sync.full_sync(fleet.pk)
    asked = (flinkey_api.request_count(path_prefix="/cars")
             + flinkey_api.request_count(path_prefix="/customers"))

    assert run.outcome == SyncRun.Outcome.SUCCESS, (run.error, run.error_detail)
    assert run.calls == asked
    upstream = api(fleet).list_cars()
    assert run.cars_total == len(upstream) == run.cars_done
    stored = {car.car_id: car for car in StoredCar.objects.filter(fleet=fleet)}
    assert set(stored) == {car.id for car in upstream}
    demo = stored[DEMO.car_id]
    assert demo.name == next(car.name for car in upstream if car.id == DEMO.car_id)
    assert demo.has_iq is True and demo.fix_at is not None and demo.latitude is not None
    assert stored[DEMO.box_only_car_id].has_iq is False
    products = api(fleet).list_products(DEMO.car_id)
    assert {(p.product_id, p.type, p.service_ends_at) for p in demo.products.all()} == {
        (p.id, p.type, p.service_ends_at) for p in products}
    assert PositionSample.objects.filter(car=demo, recorded_at=demo.fix_at).count() == 1
    since = datetime.now(UTC) - timedelta(days=90)
    upstream_events = all_events(fleet, DEMO.car_id, since)
    mine = {e.event_id: e for e in StoredEvent.objects.filter(car=demo)}
    assert set(mine) >= {event.id for event in upstream_events}
    newest = max(upstream_events, key=lambda e: (e.utc_date_time, e.utc_ticks))
    assert (demo.events_through, demo.events_through_ticks) == (newest.utc_date_time,
                                                                newest.utc_ticks)
    assert mine[newest.id].utc_ticks == newest.utc_ticks
    fleet.refresh_from_db()
    assert fleet.synced_at is not None and fleet.last_error == ""


def test_a_second_sync_duplicates_nothing_and_asks_fewer(fleet, flinkey_api):
    first = sync.full_sync(fleet.pk)
    counts = (StoredCar.objects.count(), StoredProduct.objects.count(),
              StoredEvent.objects.count(), PositionSample.objects.count())

    second = sync.full_sync(fleet.pk, force=True)

    assert second.outcome == SyncRun.Outcome.SUCCESS
    assert (StoredCar.objects.count(), StoredProduct.objects.count(),
            StoredEvent.objects.count(), PositionSample.objects.count()) == counts
    # Products are kept a day: the second run asks none of them.
    assert second.calls < first.calls


def test_a_sync_not_due_does_nothing(fleet):
    assert sync.full_sync(fleet.pk) is not None
    assert sync.full_sync(fleet.pk) is None
    assert SyncRun.objects.count() == 1


def test_late_events_within_the_window_are_read_and_older_cursor_never_moves_back(fleet):
    sync.full_sync(fleet.pk)
    car = StoredCar.objects.get(fleet=fleet, car_id=DEMO.car_id)
    through = car.events_through
    late_moment = through - timedelta(hours=3)
    late_id = api(fleet).create_event(car_id=DEMO.car_id, user_id=DEMO.user_id,
                                      type="CarOpened", utc_date_time=late_moment,
                                      user_agent="late-arrival test")

    sync.full_sync(fleet.pk, force=True)

    late = StoredEvent.objects.get(fleet=fleet, event_id=late_id)
    assert late.utc_date_time.replace(microsecond=0) == late_moment.replace(microsecond=0)
    car.refresh_from_db()
    assert car.events_through == through


def test_a_refused_credential_is_the_fleets_status_not_an_exception(db, flinkey_api, fast_sync):
    fleet = make_fleet(flinkey_api.url, password="wrong-password")

    run = sync.full_sync(fleet.pk)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == SyncRun.Error.CREDENTIALS
    fleet.refresh_from_db()
    assert fleet.last_error == SyncRun.Error.CREDENTIALS and fleet.last_error_at is not None
    assert fleet.lease_owner == "" and not StoredCar.objects.exists()


def test_a_customer_the_credential_does_not_reach_is_said(db, flinkey_api, fast_sync):
    fleet = make_fleet(flinkey_api.url, customer_id=DEMO.hidden_customer_id)

    run = sync.full_sync(fleet.pk)

    assert run.error == SyncRun.Error.CUSTOMER
    assert not StoredCar.objects.exists()


def test_flinkey_down_fails_the_run_and_keeps_what_was_stored(fleet, flinkey_api, settings):
    sync.full_sync(fleet.pk)
    stored = StoredEvent.objects.count()
    flinkey_api.faults.failure_rate = 1.0
    # Every retry still made (the pacer's three, each with the client's own two), only the
    # waits between them short: 0.05 + 0.1 + 0.2 s instead of 1 + 2 + 4 s, and the client's
    # 0.01 + 0.02 s instead of 0.2 + 0.4 s.
    settings.FLEETSTORE_BACKOFF_SECONDS = 0.05
    settings.FLINKEY_RETRY_BACKOFF_SECONDS = 0.01

    run = sync.full_sync(fleet.pk, force=True)

    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == SyncRun.Error.UPSTREAM  # HTTP 500: flinkey answered, and failed
    assert StoredEvent.objects.count() == stored


def test_a_held_fleet_is_left_alone_and_a_dead_run_is_marked_interrupted(fleet):
    FleetSync.objects.filter(pk=fleet.pk).update(
        lease_owner="someone", lease_until=datetime.now(UTC) + timedelta(minutes=1))
    assert sync.full_sync(fleet.pk) is None

    dead = SyncRun.objects.create(fleet=fleet, kind=SyncRun.Kind.FULL,
                                  started_at=datetime.now(UTC) - timedelta(hours=2))
    FleetSync.objects.filter(pk=fleet.pk).update(
        lease_until=datetime.now(UTC) - timedelta(seconds=1))
    run = sync.full_sync(fleet.pk)

    assert run.outcome == SyncRun.Outcome.SUCCESS
    dead.refresh_from_db()
    assert (dead.outcome, dead.error) == (SyncRun.Outcome.FAILED, SyncRun.Error.INTERRUPTED)


def test_samples_ask_only_cars_with_an_iq(fleet, flinkey_api):
    sync.full_sync(fleet.pk)
    flinkey_api.clear_requests()

    run = sync.sample_positions(fleet.pk, force=True)

    with_iq = StoredCar.objects.filter(fleet=fleet, has_iq=True).count()
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert flinkey_api.request_count(path_prefix="/cars") == with_iq == run.calls
    assert all(record.path.endswith("/location") for record in flinkey_api.requests
               if record.path.startswith("/cars"))


def test_retention_deletes_old_samples_and_events_only(fleet, settings):
    sync.full_sync(fleet.pk)
    settings.FLEETSTORE_RETENTION_DAYS = 3
    limit = datetime.now(UTC) - timedelta(days=3)
    old_events = StoredEvent.objects.filter(utc_date_time__lt=limit).count()
    assert old_events and StoredEvent.objects.filter(utc_date_time__gte=limit).exists()

    samples, events = sync.prune()

    assert events == old_events
    assert not StoredEvent.objects.filter(utc_date_time__lt=limit).exists()
    assert not PositionSample.objects.filter(recorded_at__lt=limit).exists()
    assert StoredCar.objects.filter(fleet=fleet).exists()


def test_dispatch_enqueues_what_is_due_and_a_period_is_claimed_once(fleet):
    from django_tasks_db.models import DBTaskResult

    from fleetstore.tasks import claim_period, dispatch

    moment = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    assert claim_period("dispatch_due_syncs", moment) is True
    assert claim_period("dispatch_due_syncs", moment) is False
    assert claim_period("dispatch_due_syncs", moment + timedelta(minutes=1)) is True

    assert dispatch() == f"full:{fleet.pk}"
    sync.full_sync(fleet.pk)
    assert dispatch() == "nothing due"
    queued = DBTaskResult.objects.values_list("task_path", flat=True)
    assert list(queued) == ["fleetstore.tasks.sync_fleet"]


def test_each_car_knows_its_newest_stored_event(fleet):
    sync.full_sync(fleet.pk)

    for car in StoredCar.objects.filter(fleet=fleet):
        newest = StoredEvent.objects.filter(car=car).order_by(
            "-utc_date_time", "-utc_ticks", "-event_id").first()
        assert car.last_event == newest, car.car_id


@pytest.mark.parametrize(("concurrency", "most"), [(1, 1), (4, 4)])
def test_cars_are_asked_several_at_once_as_configured(fleet, flinkey_api, settings,
                                                       monkeypatch, concurrency, most):
    """FLEETSTORE_CONCURRENCY cars in flight: one at a time cannot keep 10,000 cars fresh."""
    settings.FLEETSTORE_CONCURRENCY = concurrency
    # Calls take long enough to overlap when they may (one whole sync of calls one at a time
    # at [1-1]: 0.02 s each is enough to overlap at [4-4] and keeps that run short).
    flinkey_api.faults.latency = 0.02
    in_flight, peak, lock = 0, 0, threading.Lock()
    paced = Pacer.call

    def counted(pacer, fn, *args, **kwargs):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return paced(pacer, fn, *args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(Pacer, "call", counted)

    run = sync.full_sync(fleet.pk)

    assert run.outcome == SyncRun.Outcome.SUCCESS, (run.error, run.error_detail)
    assert peak == most


def test_a_car_whose_position_fails_keeps_its_products_and_counts_as_failed(fleet, flinkey_api,
                                                                         settings):
    settings.FLEETSTORE_CONCURRENCY = 4
    # A refusal (not retried): the products asked before it are kept, nothing after it.
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/location", status=400)

    run = sync.full_sync(fleet.pk)

    assert run.outcome == SyncRun.Outcome.SUCCESS, (run.error, run.error_detail)
    assert (run.cars_failed, run.cars_done) == (1, run.cars_total - 1)
    demo = StoredCar.objects.get(fleet=fleet, car_id=DEMO.car_id)
    assert demo.products.exists() and demo.has_iq is True
    assert demo.fix_at is None and not demo.samples.exists()
    assert not StoredEvent.objects.filter(car=demo).exists()  # asked after the position

    again = sync.full_sync(fleet.pk, force=True)  # the next run asks again

    assert again.cars_failed == 0
    demo.refresh_from_db()
    assert demo.fix_at is not None


@pytest.mark.parametrize("concurrency", [1, 4])
def test_the_writes_are_a_few_queries_per_chunk_of_cars_not_per_car(fleet, settings,
                                                                    concurrency):
    """At 10,000 cars some twenty queries a car (one upsert each: car, product, sample, the
    cursor's event) were most of the worker's own time; a chunk's answers are bulk-written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.FLEETSTORE_CONCURRENCY = concurrency
    with CaptureQueriesContext(connection) as full:
        run = sync.full_sync(fleet.pk)
    cars = StoredCar.objects.filter(fleet=fleet).count()
    with CaptureQueriesContext(connection) as samples:
        sampled = sync.sample_positions(fleet.pk, force=True)

    assert run.outcome == sampled.outcome == SyncRun.Outcome.SUCCESS
    chunks = -(-cars // (concurrency * sync._CARS_PER_CHUNK_PER_CALL))
    # Per chunk: the cars learnt since the list, their upsert and read-back, products
    # (upsert, read, delete), samples, events, the cars' changed fields (a few sets), the
    # transaction, the lease's beat.
    assert len(full.captured_queries) <= 12 * chunks + 20, len(full.captured_queries)
    assert len(samples.captured_queries) <= 6 * chunks + 20, len(samples.captured_queries)
