"""What every report reads first: the store's current cars, all or the selected ones."""

from django.db.models import QuerySet

from fleetadmin.upstream.reach import Fleet
from fleetstore.models import FleetSync, StoredCar
from people.directory import Directory, directory_of


def cars_of(store: FleetSync, car_ids=None) -> QuerySet:
    """The store's current cars (by name, id); only `car_ids` (flinkey ids) when given."""
    rows = StoredCar.objects.filter(fleet=store, gone_at__isnull=True)
    if car_ids:
        rows = rows.filter(car_id__in=list(car_ids))
    return rows.order_by("name", "car_id")


def people_of(store: FleetSync) -> Directory:
    """The people of the store's fleet (one query): names for flinkey user ids."""
    return directory_of(Fleet(api_url=store.api_url, customer_id=store.customer_id))


def car_keys(store: FleetSync, car_ids=None) -> QuerySet:
    """The same cars' row keys, as a subquery for `car__in=`."""
    return cars_of(store, car_ids).order_by().values("pk")
