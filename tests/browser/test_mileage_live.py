"""The mileage report's live fallback in Chromium (issue 21): a store without samples of the
period shows its cars at once; their odometers load from flinkey in batches, with progress."""

from django.utils import timezone
from playwright.sync_api import expect

from reports.tests.conftest import ZONE
from reports.tests.test_mileage_live import BOX_ONLY, IQ_CARS, KM, SOURCE, expected_km, period
from tests.browser.conftest import settled, unexpected


def test_the_odometers_load_from_flinkey_in_batches_with_progress(
        manager_page, dashboard, flinkey_api, console_problems, monkeypatch):
    from django.contrib.auth import get_user_model

    import reports.mileage_page
    from fleetadmin.models import UserPreferences
    from fleetstore.models import StoredCar
    from fleetstore.tests.conftest import make_fleet

    UserPreferences.objects.update_or_create(user=get_user_model().objects.get(username="fm"),
                                             defaults={"time_zone": ZONE})
    now = timezone.now()
    fleet = make_fleet(flinkey_api.url, synced_at=now)
    for car_id in (*IQ_CARS, BOX_ONLY):
        StoredCar.objects.create(fleet=fleet, car_id=car_id, name=f"car {car_id}",
                                 has_iq=car_id != BOX_ONLY or None, learnt_at=now)
    # Two cars a batch, each call a little slow: the progress can be seen moving.
    monkeypatch.setattr(reports.mileage_page, "LIVE_BATCH", 2)
    flinkey_api.faults.latency = 0.4
    query, start, end = period()
    page = manager_page
    seen = []
    page.on("response", lambda response: seen.append(response.url)
            if "live_total=" in response.url else None)

    page.goto(f"{dashboard}/reports/mileage/?from={query['from']}&to={query['to']}")
    progress = page.locator("#mileage-live-progress")
    expect(progress).to_contain_text("of 4 cars asked")
    expect(progress).to_have_text("4 of 4 cars asked", timeout=20_000)
    settled(page)
    assert len(seen) == 2  # two batches of two cars

    table = page.locator("#report-table")
    for car_id in IQ_CARS:
        cells = table.locator(f"#mileage-car-{car_id} td")
        expect(cells.nth(SOURCE)).to_have_text("flinkey (asked live)")
        km = expected_km(flinkey_api, car_id, start, end)
        expect(cells.nth(KM)).to_have_text("—" if km is None else f"{km:,.1f}")
    expect(page.locator("#mileage-sources")).to_contain_text("asked live")
    assert not unexpected(console_problems)
