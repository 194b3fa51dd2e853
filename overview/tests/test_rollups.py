"""The chart days rolled up per fleet and zone (overview.rollups, overview.tasks) are the
days the store gives when asked directly, in any zone, across clock changes and after
late events; a store run rolls them up, and the page then asks the store nothing about them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.testing import logged_in
from fleetstore.models import FleetSync, PositionSample, StoredEvent
from fleetstore.tests.conftest import make_fleet
from flinkey import Event
from overview import figures
from overview.models import FleetDay
from overview.periods import Calendar
from overview.tests.conftest import fill

# 30 days before this the clocks went back in Europe (25 October) and the US (1 November).
NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "UTC"]


def direct(store, calendar):
    """Every day asked from the store at once, as the page did before the roll-ups."""
    return list(figures.ask(store, calendar, calendar.days).values())


def same(rolled, asked):
    assert [(day.day, day.opened, day.closed) for day in rolled] == [
        (day.day, day.opened, day.closed) for day in asked]
    assert [day.km for day in rolled] == pytest.approx([day.km for day in asked], abs=1e-6)


@pytest.fixture(scope="module")
def filled_at_now_rows(django_db_setup, django_db_blocker, sandbox_server):
    """The store every zone below starts from (a fill at the fixed NOW, so the same rows
    each time), written once for the module and copied into each test's transaction
    (fleetstore.tests.snapshot)."""
    from fleetstore.tests.snapshot import take_rows

    def build() -> int:
        store = make_fleet(sandbox_server.url, synced_at=NOW - timedelta(minutes=5),
                           sampled_at=NOW - timedelta(minutes=5))
        fill(store, now=NOW)
        return store.pk

    with django_db_blocker.unblock():
        return take_rows(build)


@pytest.mark.parametrize("zone", ZONES)
def test_rolled_up_days_equal_the_direct_figures_across_clock_changes_and_late_events(
        db, flinkey_api, filled_at_now_rows, zone):
    from fleetstore.tests.snapshot import put_rows

    rows, store_pk = filled_at_now_rows
    put_rows(rows)  # make_fleet(synced_at=NOW - 5 min, sampled_at=NOW - 5 min), fill(now=NOW)
    store = FleetSync.objects.get(pk=store_pk)
    calendar = Calendar(now=NOW, zone=ZoneInfo(zone))

    same(figures.chart_days(store, calendar), direct(store, calendar))
    assert FleetDay.objects.filter(fleet=store, zone=zone).count() == 30

    # A run brings late events and samples of yesterday and of today, an hour later.
    car = store.cars.first()
    StoredEvent.objects.bulk_create([
        StoredEvent(fleet=store, car=car, event_id=9_000_000 + n, type=kind,
                    utc_date_time=NOW - timedelta(hours=hours), learnt_at=NOW)
        for n, (kind, hours) in enumerate([(Event.OPENED, 30), (Event.CLOSED, 29),
                                           (Event.OPENED, 2)])])
    PositionSample.objects.bulk_create([
        PositionSample(car=car, recorded_at=NOW - timedelta(hours=hours), odometer=odometer,
                       learnt_at=NOW) for hours, odometer in [(31, 500_000.0), (1, 500_250.5)]])
    later = NOW + timedelta(hours=1)
    FleetSync.objects.filter(pk=store.pk).update(sampled_at=later - timedelta(minutes=1))
    store.refresh_from_db()
    calendar = Calendar(now=later, zone=ZoneInfo(zone))

    same(figures.chart_days(store, calendar), direct(store, calendar))
    # Now every row holds: the days come from them alone (1 query).
    with CaptureQueriesContext(connection) as queries:
        kept = figures.chart_days(store, calendar)
    assert len(queries.captured_queries) == 1
    same(kept, direct(store, calendar))


def test_a_store_run_rolls_the_days_up_and_the_page_then_asks_the_store_nothing_about_them(
        db, flinkey_api, settings, manager):
    from django_tasks_db.models import DBTaskResult

    from fleetstore.tasks import sample_fleet
    from overview.tasks import roll_up_fleet

    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    store = make_fleet(flinkey_api.url)
    fill(store)

    sample_fleet.call(store.pk, True)

    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "overview.tasks.roll_up_fleet"]
    assert roll_up_fleet.call(store.pk) == "rolled up 1 zones"
    assert FleetDay.objects.filter(fleet=store, zone="Europe/Berlin").count() >= 30
    client = logged_in(manager)
    client.get("/")  # the reach proven (flinkey calls, then kept)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    asked = " ".join(query["sql"] for query in queries.captured_queries)
    assert "fleetstore_positionsample" not in asked
    assert 'FROM "fleetstore_storedevent"' not in asked  # (the car counts join it, no more)


def test_a_zone_no_roll_up_covers_is_rolled_up_when_a_user_picks_it(manager, flinkey_api):
    from django_tasks_db.models import DBTaskResult

    from preferences import services as preferences

    store = make_fleet(flinkey_api.url, synced_at=NOW)
    FleetDay.objects.create(fleet=store, zone="UTC", day=NOW.date(), opened=0,
                            closed=0, km=0, runs="", runs_at=None)
    preferences.preferences_of(user=manager)  # the default zone's row, made at first use
    DBTaskResult.objects.all().delete()

    assert preferences.save_preferences(user=manager, time_zone="UTC")  # covered
    assert not DBTaskResult.objects.exists()
    preferences.save_preferences(user=manager, time_zone="Asia/Kolkata")

    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == ("overview.tasks.roll_up_fleet",
                                                          [store.pk])
