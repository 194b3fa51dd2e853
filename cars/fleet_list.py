"""The customer's whole car list, one shared cache entry per fleet.

Several screens need every car of the fleet at once: "left open" walks them all, the fleet
map checks that the cars it is asked about (`?ids=`) are the customer's. One list call
answers both; its answer is cached once per fleet (`fleetadmin.upstream.reach.Fleet`, through
`fleetadmin.upstream.fanout`, so only for someone whose own credentials reach the fleet) and shared
by everyone working for that customer, instead of a copy per report run or per person.
It is "now", kept as briefly as a current position (`FLEETADMIN_LOCATION_CACHE_SECONDS`),
and holds only what those screens show: id, name and licence plate (about a tenth of a
whole car's size).
"""

from django.conf import settings

from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.upstream.fanout import fan_out_cached, forget
from fleetadmin.upstream.reach import Proof, proven_fleet
from flinkey import Car, FlinkeyError, Query

# By name, then id: the order "left open" lists cars in (and a stable one).
ORDER = (("name", "asc"), ("id", "asc"))
FIELDS = ("id", "name", "license_plate")
_ALL = "all"
KIND = "fleet-cars"


def fleet_cars(*, user, proof: Proof | None = None) -> tuple[Car, ...]:
    """Return every car of the user's fleet (id, name, plate; the rest None), by name.

    One upstream call when not cached. Raises what `fleetadmin.upstream.reach.prove` raises, and
    the list call's FlinkeyError.
    """
    result = fan_out_cached(
        user=user, proof=proof, kind=KIND, keys=[_ALL],
        fetch=lambda client, _key: tuple(client.list_cars(Query(orderby=ORDER, select=FIELDS))),
        ttl=lambda _key, _value: settings.FLEETADMIN_LOCATION_CACHE_SECONDS,
    )
    outcome = result[_ALL]
    if not outcome.ok:
        raise outcome.error
    return outcome.value


def fleet_car_ids(*, user, proof: Proof | None = None) -> frozenset[int]:
    """Return the ids of every car of the user's fleet (as `fleet_cars`)."""
    return frozenset(car.id for car in fleet_cars(user=user, proof=proof))


def forget_fleet_cars(*, user) -> None:
    """Drop the fleet's cached list after `user` created or deleted a car in it.

    Else "left open" would skip a new car, and the maps refuse it, for up to a minute.
    """
    try:
        fleet = proven_fleet(user)
    except (SetupNeeded, FlinkeyError):
        return  # not proven now: nothing of the fleet's is read from the cache either
    forget(fleet=fleet, kind=KIND, keys=[_ALL])
