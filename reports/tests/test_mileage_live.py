"""The mileage report's live fallback (issue 21) against the real sandbox.

A store turned on today holds no sample of the period: the page shows the cars at once and
asks flinkey for their odometers in htmx batches, at most 2 calls per car. The expected km
are worked out here from the sandbox's own location history (`History.near`), not by the
report's code.
"""

import html as html_lib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from config.testing import hx
from flinkey_sandbox import DEMO
from reports.tests.conftest import ZONE

URL = "/reports/mileage/"
IQ_CARS = (DEMO.car_id, DEMO.iq_only_car_id, DEMO.stationary_car_id)
BOX_ONLY = DEMO.box_only_car_id  # answers every location call with all fields null
KM, SOURCE = 7, 8  # the km and "Odometer from" columns


@pytest.fixture
def fresh_store(db, flinkey_api, fast_sync):
    """Sync turned on just now: the cars are known, no sample of the period is stored."""
    from fleetstore.models import StoredCar
    from fleetstore.tests.conftest import make_fleet

    now = timezone.now()
    fleet = make_fleet(flinkey_api.url, synced_at=now)
    for car_id in IQ_CARS:
        StoredCar.objects.create(fleet=fleet, car_id=car_id, name=f"car {car_id}",
                                 has_iq=True, learnt_at=now)
    StoredCar.objects.create(fleet=fleet, car_id=BOX_ONLY, name=f"car {BOX_ONLY}",
                             has_iq=None, learnt_at=now)
    return fleet


def period():
    """The last six whole days before today (Berlin): the query, its start and end in UTC."""
    zone = ZoneInfo(ZONE)
    today = timezone.now().astimezone(zone).date()
    first, last = today - timedelta(days=6), today - timedelta(days=1)
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(today, datetime.min.time(), zone).astimezone(ZoneInfo("UTC"))
    return {"from": first.isoformat(), "to": last.isoformat()}, start, end


def expected_km(sandbox, car_id, start, end):
    """The km between the sandbox's samples nearest to the period's start and end."""
    history = sandbox.store.locations[car_id]
    first, last = history.near(start.timestamp()), history.near(end.timestamp())
    if last[0] < first[0]:
        return None
    return round(last[3] - first[3], 1)


ROW = re.compile(r'<tr id="mileage-car-(\d+)"[^>]*>(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
NEXT = re.compile(r'<div id="mileage-live"[^>]*hx-get="([^"]+)"')


def rows_of(text: str) -> dict[int, list[str]]:
    """Each mileage row in `text` by car id: its cells as plain text."""
    return {int(car): [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
                       for cell in CELL.findall(body)]
            for car, body in ROW.findall(text)}


def next_url(text: str) -> str | None:
    match = NEXT.search(text)
    return html_lib.unescape(match.group(1)) if match else None


def km_of(text: str) -> float | None:
    return None if text == "—" else float(text.replace(",", ""))


def run_batches(client, page_html: str) -> tuple[dict, list[str], str]:
    """Every batch the page's #mileage-live region asks for, in turn: the rows they bring,
    the progress each one shows, and their HTML."""
    rows, progress, texts = {}, [], []
    url = next_url(page_html)
    while url:
        response = client.get(URL + url, headers=hx("mileage-live"))
        assert response.status_code == 200, response.content.decode()[:500]
        text = response.content.decode()
        texts.append(text)
        rows.update(rows_of(text))
        # The progress sentence (the spinner's words after it left out).
        progress.append(" ".join(re.sub(r"<[^>]+>", " ", text.split(
            'id="mileage-live-progress">', 1)[1].split("<span", 1)[0].split("</p>", 1)[0])
            .split()))
        url = next_url(text)
    return rows, progress, "".join(texts)


def test_a_store_without_samples_gets_its_km_from_flinkey(berlin, manager_client, fresh_store,
                                                          flinkey_api, monkeypatch):
    import reports.mileage_page
    from fleetstore.models import PositionSample

    query, start, end = period()
    page = manager_client.get(URL, query)
    assert page.status_code == 200
    page_html = page.content.decode()
    shown = rows_of(page_html)
    assert set(shown) == {*IQ_CARS, BOX_ONLY}
    assert all(row[SOURCE] == "asking flinkey…" for row in shown.values())
    assert "0 of 4 cars asked" in page_html
    flinkey_api.clear_requests()

    # Two cars a batch: the progress moves batch by batch.
    monkeypatch.setattr(reports.mileage_page, "LIVE_BATCH", 2)
    rows, progress, _html = run_batches(manager_client, page_html)
    assert progress == ["2 of 4 cars asked", "4 of 4 cars asked"]
    assert set(rows) == {*IQ_CARS, BOX_ONLY}
    for car_id in IQ_CARS:
        assert km_of(rows[car_id][KM]) == expected_km(flinkey_api, car_id, start, end), car_id
        assert rows[car_id][SOURCE] == "flinkey (asked live)"
        # One call per edge of the period, nothing else about the car.
        assert flinkey_api.request_count(path_prefix=f"/cars/{car_id}/") == 2
    assert rows[BOX_ONLY][KM] == "—"
    assert flinkey_api.request_count(path_prefix=f"/cars/{BOX_ONLY}/") <= 2
    assert flinkey_api.request_count(path_prefix="/cars") <= 2 * 4
    assert any(km_of(rows[car_id][KM]) for car_id in IQ_CARS)  # somebody drove

    # What flinkey said is in the store now, as samples with their recorded times.
    for car_id in IQ_CARS:
        history = flinkey_api.store.locations[car_id]
        for moment in (start, end):
            recorded = datetime.fromtimestamp(history.near(moment.timestamp())[0],
                                              ZoneInfo("UTC"))
            assert PositionSample.objects.filter(car__car_id=car_id,
                                                 recorded_at=recorded).exists()
    # The next report asks flinkey nothing more.
    flinkey_api.clear_requests()
    again = manager_client.get(URL, query).content.decode()
    run_batches(manager_client, again)
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_failing_car_shows_its_error_and_retry(berlin, manager_client, fresh_store,
                                                 flinkey_api):
    query, start, end = period()
    page_html = manager_client.get(URL, query).content.decode()
    broken = DEMO.iq_only_car_id
    flinkey_api.faults.fail_next(f"/cars/{broken}/location", status=500, count=20)
    rows, _progress, batches_html = run_batches(manager_client, page_html)
    failed = rows[broken]
    assert failed[KM] == "—"
    assert failed[SOURCE].startswith("flinkey had an internal error.")
    assert "flinkey said: Internal server error." in failed[SOURCE], failed[SOURCE]
    assert failed[SOURCE].endswith("Retry")
    # The others are unaffected.
    assert km_of(rows[DEMO.car_id][KM]) == expected_km(flinkey_api, DEMO.car_id, start, end)

    # Retry (the link in the row) asks that car again, for its row alone.
    flinkey_api.faults.clear()
    link = re.search(rf'<a href="([^"]*retry={broken}[^"]*)" hx-get="[^"]*" '
                     rf'hx-target="#mileage-car-{broken}" hx-swap="outerHTML">', batches_html)
    assert link, batches_html
    response = manager_client.get(URL + html_lib.unescape(link.group(1)),
                                  headers=hx(f"mileage-car-{broken}"))
    assert response.status_code == 200
    again = rows_of(response.content.decode())[broken]
    assert km_of(again[KM]) == expected_km(flinkey_api, broken, start, end)


def test_the_files_name_the_cars_the_store_cannot_tell(berlin, manager_client, fresh_store,
                                                       flinkey_api):
    query, _start, _end = period()
    flinkey_api.clear_requests()
    response = manager_client.get(URL, {**query, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.count("no stored odometer; open the report page") == 4
    assert flinkey_api.request_count(path_prefix="/cars") == 0  # a file asks nothing live


def test_in_german(berlin, manager_client, fresh_store, flinkey_api):
    from preferences.services import save_preferences

    save_preferences(user=berlin, language="de")
    query, _start, _end = period()
    page_html = manager_client.get(URL, query).content.decode()
    assert "0 von 4 Fahrzeugen abgefragt" in page_html
    assert "flinkey wird gefragt …" in page_html
    rows, progress, _html = run_batches(manager_client, page_html)
    assert progress[-1] == "4 von 4 Fahrzeugen abgefragt"
    assert rows[DEMO.car_id][SOURCE] == "flinkey (live abgefragt)"


def test_readings_that_bracket_the_period_need_no_call(berlin, manager_client, store,
                                                       flinkey_api):
    from reports.tests.conftest import ALPHA, PERIOD

    # Alpha's samples lie on both sides of the period's start and of its end.
    flinkey_api.clear_requests()
    page_html = manager_client.get(URL, {**PERIOD, "car": ALPHA}).content.decode()
    assert rows_of(page_html)[ALPHA][SOURCE] == "fleet store"
    assert 'id="mileage-live"' not in page_html
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_period_ending_today_asks_only_for_the_start(berlin, manager_client, fresh_store,
                                                       flinkey_api):
    from fleetstore.models import PositionSample, StoredCar

    # Sync samples the car now: its latest reading, asked for a moment ago.
    now = timezone.now()
    car = StoredCar.objects.get(fleet=fresh_store, car_id=DEMO.car_id)
    latest = flinkey_api.store.locations[DEMO.car_id].latest()
    recorded = datetime.fromtimestamp(latest[0], ZoneInfo("UTC"))
    PositionSample.objects.create(car=car, recorded_at=recorded, odometer=latest[3],
                                  learnt_at=now)
    StoredCar.objects.filter(pk=car.pk).update(odometer=latest[3], odometer_at=recorded,
                                               location_learnt_at=now)
    zone = ZoneInfo(ZONE)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=3)
    start = datetime.combine(first, datetime.min.time(), zone)
    page_html = manager_client.get(URL, {"from": first.isoformat(), "to": today.isoformat(),
                                         "car": DEMO.car_id}).content.decode()
    flinkey_api.clear_requests()
    rows, _progress, _html = run_batches(manager_client, page_html)
    row = rows[DEMO.car_id]
    assert row[SOURCE] == "start from flinkey (asked live), end from the fleet store"
    assert flinkey_api.request_count(path_prefix="/cars") == 1
    near = flinkey_api.store.locations[DEMO.car_id].near(start.timestamp())
    assert km_of(row[KM]) == round(latest[3] - near[3], 1)


def test_a_support_user_loads_the_live_figures(support_user, support_client, fresh_store,
                                               flinkey_api):
    from fleetadmin.models import UserPreferences

    UserPreferences.objects.update_or_create(user=support_user, defaults={"time_zone": ZONE})
    query, start, end = period()
    page_html = support_client.get(URL, query).content.decode()
    rows, _progress, _html = run_batches(support_client, page_html)
    assert km_of(rows[DEMO.car_id][KM]) == expected_km(flinkey_api, DEMO.car_id, start, end)
