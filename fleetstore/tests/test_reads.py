"""Fleet-wide screens read the store when sync is on: no call per car, and the same answer."""

import re

from django.utils import timezone

from config.testing import hx
from fleetstore.models import FleetSync, StoredCar
from fleetstore.tests.conftest import make_fleet
from maps.tests.batches import batch_of, get_batch, status_text


def left_open_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="left-open-(\d+)"', html)


def test_left_open_reads_the_store_and_finds_what_the_live_report_finds(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet):
    live = manager_client.get("/left-open/?hours=1&all=1").content.decode()
    synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    flinkey_api.clear_requests()

    stored = manager_client.get("/left-open/?hours=1", headers=hx("left-open"))

    html = stored.content.decode()
    assert stored.status_code == 200
    assert flinkey_api.request_count(path_prefix="/cars") == 0
    assert left_open_ids(html) and left_open_ids(html) == left_open_ids(live)
    assert "From the fleet store, as of" in html and "/fleet-sync/refresh/" in html
    assert "62 of 62 cars checked" in html


def test_left_open_from_the_store_leaves_out_cars_gone_since_and_does_not_count_them(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet):
    fleet = synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    first = manager_client.get("/left-open/?hours=1", headers=hx("left-open")).content.decode()
    gone = left_open_ids(first)[0]
    StoredCar.objects.filter(fleet=fleet, car_id=gone).update(gone_at=timezone.now())

    html = manager_client.get("/left-open/?hours=1", headers=hx("left-open")).content.decode()

    assert left_open_ids(html) == [car for car in left_open_ids(first) if car != gone]
    assert "61 of 61 cars checked" in html


def test_without_sync_or_before_its_first_sync_left_open_asks_flinkey(
        manager_client, flinkey_api, fast_sync):
    make_fleet(flinkey_api.url)  # on, but never synced

    html = manager_client.get("/left-open/?hours=1&all=1").content.decode()

    assert "From the fleet store" not in html
    assert flinkey_api.request_count(path_prefix="/cars") > 60


def test_a_store_turned_off_is_not_read(manager_client, flinkey_api, fast_sync,
                                        synced_demo_fleet):
    fleet = synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    FleetSync.objects.filter(pk=fleet.pk).update(enabled=False)

    html = manager_client.get("/left-open/?hours=1&all=1").content.decode()

    assert "From the fleet store" not in html


def test_the_fleet_map_now_reads_the_store_in_big_batches_and_says_how_old(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet):
    live = get_batch(manager_client)
    live_golf = get_batch(manager_client, "q=golf")
    assert live_golf["next"] is None
    synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    flinkey_api.clear_requests()

    answer = manager_client.get("/map/cars/", headers=hx("fleet-next"))
    stored = batch_of(answer)

    assert flinkey_api.request_count(path_prefix="/cars") == 0
    assert stored["upstream_calls"] == 0 and stored["next"] is None and stored["total"] == 62
    assert "From the fleet store, as of" in status_text(answer)
    by_id = {car["id"]: car for car in stored["cars"]}
    live_cars = list(live["cars"])
    while live["next"] is not None:
        live = get_batch(manager_client, f"start={live['next']}")
        live_cars += live["cars"]
    assert set(by_id) == {car["id"] for car in live_cars}
    for car in live_cars:
        if car["state"] == "located":
            assert (by_id[car["id"]]["lat"], by_id[car["id"]]["lon"]) == (car["lat"], car["lon"])
    searched = get_batch(manager_client, "q=golf")
    assert searched["cars"]
    assert [car["id"] for car in searched["cars"]] == [car["id"] for car in live_golf["cars"]]


def test_a_past_moment_on_the_fleet_map_is_still_asked_live(manager_client, flinkey_api,
                                                              fast_sync, synced_demo_fleet):
    synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    flinkey_api.clear_requests()

    answer = manager_client.get("/map/cars/?at=2026-12-01T10:00:00Z", headers=hx("fleet-next"))

    assert "From the fleet store" not in status_text(answer)
    assert batch_of(answer)["upstream_calls"] > 0


def test_a_single_car_page_asks_live_and_writes_what_it_learnt_back(
        manager_client, flinkey_api, fast_sync, synced_demo_fleet):
    from datetime import UTC, datetime

    from fleetstore.models import PositionSample, StoredCar
    from flinkey_sandbox import DEMO

    fleet = synced_demo_fleet()  # make_fleet and a full sync: its rows, synced once a module
    old = datetime(2026, 1, 1, tzinfo=UTC)
    StoredCar.objects.filter(fleet=fleet, car_id=DEMO.car_id).update(
        name="stale name", latitude=0.0, longitude=0.0, fix_at=old)
    flinkey_api.clear_requests()

    assert manager_client.get(f"/cars/{DEMO.car_id}/map/").status_code == 200

    car = StoredCar.objects.get(fleet=fleet, car_id=DEMO.car_id)
    live = flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location")
    assert live >= 1  # asked live, as before
    assert car.name != "stale name" and car.fix_at > old and car.latitude != 0.0
    assert PositionSample.objects.filter(car=car, recorded_at=car.fix_at).count() == 1
