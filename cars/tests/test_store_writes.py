"""The user's own create, change and delete show at once where the fleet store answers:
the car list (also after a reload or a search) and the home page's count, not only after the
next full sync. And a full sync running meanwhile does not undo them."""

import logging

import pytest

from cars import services
from cars.tests.test_edit import form_data
from config.testing import hx
from fleetstore import sync
from fleetstore.models import FleetSync, StoredCar
from flinkey_sandbox import DEMO
from overview.tests.conftest import tiles

pytestmark = pytest.mark.django_db

LIST = "/cars/"
NEW = {"name": "Pool ID.4 Nord 99", "license_plate": "M-XY 1234", "brand": "Volkswagen",
       "model": "ID.4", "vin": "WVGZZZE2ZMP012345", "description": "Neu im Pool"}


@pytest.fixture
def store(synced_demo_fleet, manager_client, flinkey_api, settings):
    """The demo fleet synced into the store; the manager's reach proven."""
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    fleet = synced_demo_fleet()
    manager_client.get(LIST)  # the token and the proof of reach are fetched once, then kept
    flinkey_api.clear_requests()
    return fleet


def listed(client, query="") -> dict[int, str]:
    """The list's cars (id → name) as a reload shows them, asked of the store alone."""
    response = client.get(f"{LIST}?size=100&{query}")
    assert response.status_code == 200
    listing = response.context["listing"]
    assert listing.store is not None  # the store answered, not flinkey
    return {car.id: car.name for car in listing.page.items}


def cars_tile(client) -> int:
    return tiles(client.get("/").content.decode())["cars"]


def new_car_id(sandbox, name=NEW["name"]) -> int:
    (car_id,) = [car_id for car_id, car in sandbox.store.cars[DEMO.customer_id].items()
                 if car["name"] == name]
    return car_id


def test_a_car_created_in_the_dialog_is_listed_after_a_reload_and_found(manager_client, store,
                                                                        flinkey_api):
    count = cars_tile(manager_client)
    response = manager_client.post("/cars/new/", NEW, headers=hx("dialog"))
    assert response.status_code == 200
    car_id = new_car_id(flinkey_api)

    assert listed(manager_client)[car_id] == NEW["name"]
    assert car_id in listed(manager_client, "q=m-xy 1234")
    assert cars_tile(manager_client) == count + 1
    row = StoredCar.objects.get(fleet=store, car_id=car_id)
    # What was sent; what flinkey has not said yet stays unknown, as for a new car.
    assert (row.license_plate, row.vin, row.gone_at) == (NEW["license_plate"], NEW["vin"], None)
    assert (row.has_iq, row.products_learnt_at, row.fix_at, row.last_event) == (
        None, None, None, None)


def test_a_changed_name_stays_after_a_reload(manager_client, store, demo_car):
    old = demo_car.name
    response = manager_client.post(f"/cars/{demo_car.id}/edit/",
                                   form_data(demo_car, name="Renamed by a manager"))
    assert response.status_code == 302

    names = listed(manager_client)
    assert names[demo_car.id] == "Renamed by a manager"
    assert demo_car.id in listed(manager_client, "q=renamed")
    assert demo_car.id not in listed(manager_client, f"q={old}")


def test_a_deleted_car_is_gone_from_the_list_and_the_count(manager_client, store, demo_car):
    count = cars_tile(manager_client)
    assert demo_car.id in listed(manager_client)
    response = manager_client.post(f"/cars/{demo_car.id}/delete/",
                                   {"confirm_name": demo_car.name})
    assert response.status_code == 302

    assert demo_car.id not in listed(manager_client)
    assert cars_tile(manager_client) == count - 1
    # Marked as the sync marks a car its list no longer has: its history stays.
    assert StoredCar.objects.get(fleet=store, car_id=demo_car.id).gone_at is not None


def test_cars_deleted_in_bulk_are_gone_from_the_list(manager_client, store, flinkey_api):
    ids = sorted(set(flinkey_api.store.cars[DEMO.customer_id]) - {DEMO.car_id})[:2]
    assert set(ids) <= set(listed(manager_client))
    response = manager_client.post("/cars/delete/", {"car": ids, "confirm_count": "2"})
    assert response.status_code == 302

    assert not set(ids) & set(listed(manager_client))


def test_only_while_sync_is_on(manager, store, flinkey_api):
    kept = services.create_car(user=manager, values=NEW)
    FleetSync.objects.filter(pk=store.pk).update(enabled=False)
    left = services.create_car(user=manager, values={**NEW, "name": "After sync was off"})

    assert StoredCar.objects.filter(fleet=store, car_id=kept.id).exists()
    assert not StoredCar.objects.filter(car_id=left.id).exists()


def test_only_the_store_of_the_customer_written_to_is_changed(manager, store, flinkey_api):
    from fleetstore.tests.conftest import make_fleet

    other = make_fleet(flinkey_api.url, customer_id=DEMO.customer_id + 1)
    StoredCar.objects.create(fleet=other, car_id=DEMO.car_id, name="another customer's",
                             learnt_at=store.synced_at)
    car = services.get_car(user=manager, car_id=DEMO.car_id)
    services.delete_car(user=manager, car=car)

    assert StoredCar.objects.get(fleet=other, car_id=DEMO.car_id).gone_at is None
    assert StoredCar.objects.get(fleet=store, car_id=DEMO.car_id).gone_at is not None


def test_a_store_that_cannot_be_written_does_not_fail_the_create(manager_client, store,
                                                                  flinkey_api, monkeypatch,
                                                                  caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(StoredCar.objects, "bulk_create", broken)
    with caplog.at_level(logging.WARNING, logger="fleetstore.services"):
        response = manager_client.post("/cars/new/", NEW)
    car_id = new_car_id(flinkey_api)
    assert response.status_code == 302 and response.url == f"/cars/{car_id}/"
    assert "fleet store: could not keep a car written" in caplog.text


# --- a full sync running meanwhile ---------------------------------------------------------


def sync_writing_after(monkeypatch, store, meanwhile):
    """Run a full sync of `store` that has read flinkey's car list when `meanwhile()` runs
    (as a person's write lands while a big fleet's sync is still writing its chunks)."""
    read_list = sync._all_cars

    def list_then_write(run):
        cars = read_list(run)
        meanwhile()
        return cars

    monkeypatch.setattr(sync, "_all_cars", list_then_write)
    run = sync.full_sync(store.pk, force=True)
    assert run.outcome == "success"


def test_a_car_created_while_a_sync_runs_is_not_marked_gone_by_it(manager, store, flinkey_api,
                                                                 monkeypatch):
    created = []
    sync_writing_after(monkeypatch, store,
                       lambda: created.append(services.create_car(user=manager, values=NEW)))

    assert StoredCar.objects.get(fleet=store, car_id=created[0].id).gone_at is None


def test_a_car_deleted_while_a_sync_runs_stays_gone(manager, store, demo_car, monkeypatch):
    sync_writing_after(monkeypatch, store,
                       lambda: services.delete_car(user=manager, car=demo_car))

    assert StoredCar.objects.get(fleet=store, car_id=demo_car.id).gone_at is not None


def test_a_car_changed_while_a_sync_runs_keeps_its_new_name(manager, store, demo_car,
                                                            monkeypatch):
    values = services.car_values(demo_car)
    sync_writing_after(monkeypatch, store, lambda: services.update_car(
        user=manager, car_id=demo_car.id, values={**values, "name": "Renamed meanwhile"},
        seen=values, changed=["name"]))

    assert StoredCar.objects.get(fleet=store, car_id=demo_car.id).name == "Renamed meanwhile"


def test_the_next_sync_agrees(manager, store, demo_car, flinkey_api):
    """What was written is what the next full sync finds: nothing changes back or goes."""
    car = services.create_car(user=manager, values=NEW)
    services.delete_car(user=manager, car=demo_car)
    before = {row.car_id: (row.name, row.gone_at is None)
              for row in StoredCar.objects.filter(fleet=store)}

    assert sync.full_sync(store.pk, force=True).outcome == "success"
    after = {row.car_id: (row.name, row.gone_at is None)
             for row in StoredCar.objects.filter(fleet=store)}
    assert after == before
    assert after[car.id] == (NEW["name"], True) and after[demo_car.id][1] is False
