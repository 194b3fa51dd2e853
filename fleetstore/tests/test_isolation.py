"""Nothing crosses between fleets: two customers at one API, the same customer id at a second
API (another sandbox), one database, one cache, one worker process syncing them all."""

import signal

import pytest
from django.test import override_settings

from config.testing import logged_in, make_user, wait_until
from fleetstore import services
from fleetstore.models import StoredCar, StoredEvent, SyncRun
from fleetstore.tasks import sync_fleet
from fleetstore.tests.conftest import make_fleet
from fleetstore.tests.test_sync import api
from fleetstore.tests.test_worker import process_env, start_worker, stop
from flinkey import AuthenticationError
from flinkey_sandbox import DEMO, Sandbox


@pytest.fixture
def second_api():
    with Sandbox() as other:
        yield other


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_two_users_two_customers_two_apis_nothing_crosses(flinkey_api, second_api, settings,
                                                          tmp_path):
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    first_url, second_url = flinkey_api.url, second_api.url
    munich = make_fleet(first_url)
    hamburg = make_fleet(first_url, customer_id=DEMO.other_customer_id)
    elsewhere = make_fleet(second_url)  # the same customer id, at another API
    api(elsewhere).update_car(DEMO.car_id, {"name": "Only at the second API"})

    # One worker (configured for the first API) syncs all three, each at its own API.
    worker = start_worker(process_env(flinkey_api, FLEETSTORE_CALLS_PER_MINUTE=1_000_000),
                          tmp_path / "worker.log")
    try:
        for fleet in (munich, hamburg, elsewhere):
            sync_fleet.enqueue(fleet.pk, True)
        wait_until(lambda: SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 3,
                   timeout=120, what="three syncs")
    finally:
        stop(worker, signal.SIGKILL)

    def car_ids(fleet):
        return set(StoredCar.objects.filter(fleet=fleet).values_list("car_id", flat=True))

    assert car_ids(munich) == {car.id for car in api(munich).list_cars()}
    assert car_ids(hamburg) == {car.id for car in api(hamburg).list_cars()}
    assert not car_ids(munich) & car_ids(hamburg)
    assert StoredCar.objects.get(fleet=elsewhere, car_id=DEMO.car_id).name == \
        "Only at the second API"
    assert StoredCar.objects.get(fleet=munich, car_id=DEMO.car_id).name != \
        "Only at the second API"
    # Every event row belongs to a car of its own fleet.
    for fleet in (munich, hamburg, elsewhere):
        assert not StoredEvent.objects.filter(fleet=fleet).exclude(car__fleet=fleet).exists()
    # The second API was asked only for its own customer, by the sync of its own fleet.
    assert {record.customer_id for record in second_api.requests
            if record.path.startswith("/cars")} == {DEMO.customer_id}

    alice = make_user("alice")  # Munich, first API
    bob = make_user("bob")
    bob.flinkey_credentials.customer_id = DEMO.other_customer_id
    bob.flinkey_credentials.save()
    carol = make_user("carol")  # Munich's id, but her deployment talks to the second API

    assert services.stored_fleet(alice) == munich
    assert services.stored_fleet(bob) == hamburg
    alice_page = logged_in(alice).get("/fleet-sync/").content.decode()
    bob_page = logged_in(bob).get("/fleet-sync/").content.decode()
    assert f"{len(car_ids(munich))} of {len(car_ids(munich))} cars" in alice_page
    assert f"{len(car_ids(hamburg))} of {len(car_ids(hamburg))} cars" in bob_page
    with override_settings(FLINKEY_API_URL=second_url):
        assert services.stored_fleet(carol) == elsewhere
        assert services.stored_fleet(alice) == elsewhere  # her login works there too

    # A change of customer is seen at once; credentials that stop working see nothing.
    alice.flinkey_credentials.customer_id = DEMO.other_customer_id
    alice.flinkey_credentials.save()
    assert services.stored_fleet(alice) == hamburg
    alice.flinkey_credentials.password = "no longer valid"
    alice.flinkey_credentials.save()
    with pytest.raises(AuthenticationError):
        services.stored_fleet(alice)
    page = logged_in(alice).get("/fleet-sync/")
    assert page.status_code != 200 and "of 12 cars" not in page.content.decode()
