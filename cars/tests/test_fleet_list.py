"""The shared list of the fleet's cars (cars.fleet_list) follows the car's own changes.

It is cached per fleet for a minute; "left open" walks it and the maps check car ids against
it. A car created or deleted here must not wait for that minute: left open skipped a new
car (62 of 62 checked, the 63rd missing) once the home page had cached the list.
"""

from cars import services
from cars.fleet_list import fleet_car_ids
from flinkey import Car
from flinkey_sandbox import DEMO


def test_a_created_car_is_in_the_cached_fleet_list_at_once(manager, flinkey_api):
    before = fleet_car_ids(user=manager)  # cached now, as the home page does
    car = services.create_car(user=manager, values={"name": "Neuer Golf"})
    assert car.id not in before
    assert fleet_car_ids(user=manager) == before | {car.id}


def test_a_deleted_car_leaves_the_cached_fleet_list_at_once(manager, flinkey_api):
    assert DEMO.iq_only_car_id in fleet_car_ids(user=manager)
    services.delete_car(user=manager, car=Car(id=DEMO.iq_only_car_id, name="x"))
    assert DEMO.iq_only_car_id not in fleet_car_ids(user=manager)
