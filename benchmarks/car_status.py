"""A synced fleet store of N cars with status, written straight into the database.

    manage.py shell -c "from benchmarks.car_status import fill; fill(10000)"

For benchmarks of the car list with status (`benchmarks.served --store`): the demo
customer's store at the configured flinkey API, marked as synced now, with `count` cars,
each with a Box, most with an IQ (a position, an odometer), a service end from a year ago
to two years ahead, and a last opened/closed event. No flinkey call: the figures are the
list's reads, not a sync (benchmarks/fleet_store.py measures syncs).
"""

import random
from datetime import timedelta

BATCH = 2000


def fill(count: int) -> None:
    """Make (or refill) the demo customer's synced store with `count` cars with status."""
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from fleetadmin.upstream.clients import api_base_url
    from fleetstore.models import FleetSync, StoredCar, StoredEvent, StoredProduct
    from flinkey import Event, Product
    from flinkey_sandbox import DEMO

    rng = random.Random(21)  # noqa: S311 - benchmark data, not secrets
    now = timezone.now()
    FleetSync.objects.filter(api_url=api_base_url(), customer_id=DEMO.customer_id).delete()
    fleet = FleetSync.objects.create(
        api_url=api_base_url(), customer_id=DEMO.customer_id, customer_name=DEMO.customer_name,
        api_key=DEMO.api_key, username=DEMO.username, password=DEMO.password,
        synced_at=now, sampled_at=now)
    brands = ("BMW", "Ford", "Opel", "VW", "Škoda", None)
    cars = []
    for n in range(count):
        iq = rng.random() < 0.8
        cars.append(StoredCar(
            fleet=fleet, car_id=900_000 + n, name=f"Car {n:05d}", license_plate=f"M-B {n}",
            brand=rng.choice(brands), model=f"Model {n % 40}", vin=f"WVW{n:014d}",
            learnt_at=now, products_learnt_at=now, has_iq=iq,
            latitude=48.1 + rng.random() * 0.2 if iq else None,
            longitude=11.4 + rng.random() * 0.3 if iq else None,
            fix_at=now - timedelta(minutes=rng.randint(1, 60 * 72)) if iq else None,
            odometer=rng.uniform(1_000, 250_000) if iq else None,
            odometer_at=now - timedelta(hours=1) if iq else None,
            location_learnt_at=now if iq else None))
    StoredCar.objects.bulk_create(cars, batch_size=BATCH)
    stored = list(StoredCar.objects.filter(fleet=fleet).values_list("pk", "car_id", "has_iq"))
    products = []
    for pk, car_id, iq in stored:
        for offset, kind in enumerate((Product.BOX, Product.IQ) if iq else (Product.BOX,)):
            products.append(StoredProduct(
                car_id=pk, product_id=car_id * 10 + offset, type=kind, learnt_at=now,
                service_ends_at=now + timedelta(days=rng.randint(-365, 730))))
    StoredProduct.objects.bulk_create(products, batch_size=BATCH)
    StoredEvent.objects.bulk_create([
        StoredEvent(fleet=fleet, car_id=pk, event_id=5_000_000 + car_id,
                    type=Event.OPENED if rng.random() < 0.05 else Event.CLOSED,
                    utc_date_time=now - timedelta(hours=rng.randint(1, 48)), learnt_at=now)
        for pk, car_id, _iq in stored], batch_size=BATCH)
    StoredCar.objects.filter(fleet=fleet).update(last_event=Subquery(
        StoredEvent.objects.filter(car=OuterRef("pk")).values("pk")[:1]))
