import pytest

from flinkey_sandbox import DEMO


def make_fleet(url, *, customer_id=DEMO.customer_id, password=DEMO.password, **fields):
    """A fleet sync at the sandbox `url` with the demo manager as its sync credential."""
    from fleetstore.models import FleetSync

    created_at = fields.pop("created_at", None)  # when sync was turned on (auto_now_add)
    fleet = FleetSync.objects.create(
        api_url=url, customer_id=customer_id, customer_name=f"customer {customer_id}",
        api_key=DEMO.api_key, username=DEMO.username, password=password, **fields)
    if created_at is not None:
        FleetSync.objects.filter(pk=fleet.pk).update(created_at=created_at)
        fleet.created_at = created_at
    return fleet


@pytest.fixture
def fast_sync(settings):
    """No pacing in tests that are not about it (the sandbox answers at once)."""
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    return settings


@pytest.fixture
def fleet(db, flinkey_api, fast_sync):
    return make_fleet(flinkey_api.url)
