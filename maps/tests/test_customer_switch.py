"""A customer switched while a fleet map loads never files one customer's cars under the
other's key (#16, 2): a cache entry is keyed by the customer its answer came from."""

import pytest

from config.testing import make_user
from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream import fanout
from flinkey_sandbox import DEMO
from maps import services

pytestmark = pytest.mark.django_db


class SwitchingCache:
    """Django's cache, except that the first read of cached answers also switches the
    user's customer, as the Settings page in another tab would at that very moment."""

    def __init__(self, real, user, customer_id):
        self.real, self.user, self.customer_id, self.switched = real, user, customer_id, False

    def __getattr__(self, name):
        return getattr(self.real, name)

    def get_many(self, keys):
        if not self.switched:
            self.switched = True
            FlinkeyCredentials.objects.filter(user=self.user).update(
                customer_id=self.customer_id, customer_name=DEMO.other_customer_name)
        return self.real.get_many(keys)


def test_switching_customer_while_a_batch_loads(manager, flinkey_api, monkeypatch, settings):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 25
    munich = set(flinkey_api.store.cars[DEMO.customer_id])
    hamburg = set(flinkey_api.store.cars[DEMO.other_customer_id])
    switching = SwitchingCache(fanout.cache, manager, DEMO.other_customer_id)
    monkeypatch.setattr(fanout, "cache", switching)
    batch = services.fleet_batch(user=manager)
    monkeypatch.setattr(fanout, "cache", switching.real)
    assert switching.switched
    # The batch is of one customer: the one chosen when it started.
    assert batch.cars and {car.id for car in batch.cars} <= munich
    assert all(position.state != services.FAILED for position in batch.positions.values())
    # And every customer finds its own cars in the cache, never the other's.
    munich_user, hamburg_user = make_user("munich"), make_user("hamburg")
    hamburg_user.flinkey_credentials.customer_id = DEMO.other_customer_id
    hamburg_user.flinkey_credentials.save()
    for user, own, start in ((munich_user, munich, 0), (munich_user, munich, 25),
                             (hamburg_user, hamburg, 0), (manager, hamburg, 0)):
        cars = {car.id for car in services.fleet_batch(user=user, start=start).cars}
        assert cars and cars <= own, (user.username, start)


def test_an_answer_is_filed_under_the_customer_it_came_from(manager, flinkey_api, monkeypatch):
    from fleetadmin.upstream.fanout import fan_out_cached
    from fleetadmin.upstream.reach import Fleet, Proof

    build = Proof.client

    def client_then_switch(proof, **options):
        client = build(proof, **options)
        # The client exists; the user now picks Hamburg before the answer is cached.
        FlinkeyCredentials.objects.filter(user=manager).update(
            customer_id=DEMO.other_customer_id)
        return client

    monkeypatch.setattr(Proof, "client", client_then_switch)
    result = fan_out_cached(user=manager, kind="switch-test", keys=["all"],
                            fetch=lambda client, _key: {car.id for car in client.list_cars()},
                            ttl=lambda key, value: 60)
    munich = set(flinkey_api.store.cars[DEMO.customer_id])
    assert result["all"].value == munich
    munich_key = Fleet(flinkey_api.url, DEMO.customer_id).key
    hamburg_key = Fleet(flinkey_api.url, DEMO.other_customer_id).key
    assert fanout.cache.get(f"fanout:switch-test:{munich_key}:sall") == (munich,)
    assert fanout.cache.get(f"fanout:switch-test:{hamburg_key}:sall") is None
