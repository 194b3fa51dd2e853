"""Routes that tell the truth (#19) and routes from the fleet store (#18, Reads).

Against the sandbox; upstream calls counted as maps/tests/test_upstream_cost.py does.
"""

import re
from datetime import UTC, timedelta
from html import unescape

import pytest
from django.utils import timezone

from config.testing import hx
from fleetadmin.upstream.reach import proven_fleet
from flinkey_sandbox import DEMO
from flinkey_sandbox.state import History
from maps import services
from maps.tests.test_views import car_map, data_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def proven(manager, flinkey_api):
    """The manager's credentials were proven by an earlier page; the request log is empty."""
    proven_fleet(manager)
    flinkey_api.clear_requests()
    return manager


def moment_in(html, field_id):
    """The moment a field shows, read in the user's zone (Berlin, the demo's default)."""
    with timezone.override("Europe/Berlin"):
        return services.parse_moment(field_value(html, field_id))


def field_value(html, field_id):
    match = re.search(rf'<input type="text" id="{field_id}" name="\w+" value="([^"]*)"', html)
    assert match, f"no {field_id}"
    return unescape(match.group(1))


def next_url(html):
    """The route region's next load (htmx), or None when the route is complete."""
    match = re.search(r'<section id="car-route"[^>]* hx-get="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def load_route(client, url, *, rounds=20):
    """Follow the route region's loads as htmx does; return the answers' HTML."""
    answers = []
    for _ in range(rounds):
        answers.append(client.get(url, headers=hx("car-route")).content.decode())
        url = next_url(answers[-1])
        if url is None:
            return answers
    raise AssertionError("the route never finished loading")


def test_after_last_7_days_the_fields_hold_the_7_days_drawn(manager_client, flinkey_api):
    page = manager_client.get(car_map(DEMO.car_id, "period=7d")).content.decode()
    start, end = moment_in(page, "route-from"), moment_in(page, "route-to")
    assert end - start == timedelta(days=7)
    assert abs(timezone.now() - end) < timedelta(minutes=2)
    # "Show route" sends the fields: the same 7 days, not 24 hours.
    query = f"from={field_value(page, 'route-from')}&to={field_value(page, 'route-to')}"
    (answer,) = load_route(manager_client, car_map(DEMO.car_id, query))[-1:]
    assert field_value(answer, "route-from") == field_value(page, "route-from")
    assert field_value(answer, "route-to") == field_value(page, "route-to")
    assert 'id="route-cut"' not in answer


def test_a_range_cut_to_the_maximum_says_so(manager_client, flinkey_api):
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    query = (f"from={services.utc_param(end - timedelta(days=60))}"
             f"&to={services.utc_param(end)}")
    html = manager_client.get(car_map(DEMO.car_id, query), headers=hx("car-route")).content.decode()
    assert 'id="route-cut"' in html
    assert "A route covers at most 31 days" in html
    assert moment_in(html, "route-from") == (end - timedelta(days=31)).replace(second=0)
    # A range within the maximum is not cut, and says nothing of the sort.
    query = f"from={services.utc_param(end - timedelta(days=2))}&to={services.utc_param(end)}"
    html = manager_client.get(car_map(DEMO.car_id, query), headers=hx("car-route")).content.decode()
    assert 'id="route-cut"' not in html


def test_the_page_shows_at_once_and_the_route_follows_with_progress(proven, manager_client,
                                                                    flinkey_api):
    page = manager_client.get(car_map(DEMO.car_id, "period=24h")).content.decode()
    assert 'id="route-loading"' in page and "Loading the route…" in page
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location/") == 0
    url = next_url(page)
    assert url and "round=0" in url and "now=" in url
    answers = load_route(manager_client, url)
    assert 'id="car-route-data"' in answers[-1] and 'id="route-loading"' not in answers[-1]


@pytest.mark.parametrize("car_id", [DEMO.box_only_car_id, DEMO.bare_car_id])
def test_a_car_without_an_iq_costs_one_products_call(proven, manager_client, flinkey_api,
                                                     car_id):
    html = manager_client.get(car_map(car_id, "period=7d"),
                              headers=hx("car-route")).content.decode()
    assert "No flinkey IQ in this car, so it has no route." in html
    assert flinkey_api.request_count(path_prefix=f"/cars/{car_id}/products") == 1
    assert flinkey_api.request_count(path_prefix=f"/cars/{car_id}/location") == 0
    assert next_url(html) is None


def drive(history, first, minutes, lat, lon, odometer, *, dlat=0.002):
    """Samples every 2 minutes for `minutes`, moving north; returns the odometer after."""
    for i in range(0, minutes + 1, 2):
        history.append(first + 60 * i, lat + dlat * i / 2, lon, odometer + 0.2 * i / 2)
    return odometer + 0.2 * minutes / 2


def test_a_gap_breaks_the_line_and_stops_and_trips_are_listed(manager_client, flinkey_api):
    # A trip, a 40-minute stop, a trip; then 3 hours without a position while the car
    # crossed the city; then a trip on the other side.
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    t = int((end - timedelta(hours=8)).timestamp())
    history = History()
    km = drive(history, t, 30, 48.10, 11.50, 1000.0)
    stop_at = (48.10 + 0.002 * 15, 11.50)
    for i in range(1, 21):  # parked 40 minutes
        history.append(t + 1800 + 120 * i, *stop_at, km)
    km = drive(history, t + 4320, 20, stop_at[0], 11.50, km)
    km = drive(history, t + 4320 + 1200 + 3 * 3600, 20, 48.20, 11.65, km + 15)
    flinkey_api.store.locations[DEMO.iq_only_car_id] = history
    html = manager_client.get(car_map(DEMO.iq_only_car_id, "period=24h"),
                              headers=hx("car-route")).content.decode()
    data = data_of(html, "car-route-data")
    points = data["points"]
    assert len(data["segments"]) == 2
    (a0, a1), (b0, b1) = data["segments"]
    assert a0 == 0 and b0 == a1 + 1 and b1 == len(points) - 1
    # No line across the gap: the first part ends west, the second starts on the other side.
    assert points[b0][2] - points[a1][2] >= 3 * 3600 * 1000
    assert {p[5] for p in points[:b0]} == {0} and {p[5] for p in points[b0:]} == {1}
    timeline = re.findall(r'<tr class="route-(\w+)">', html)
    assert timeline.count("stop") == 1 and timeline.count("gap") == 1
    assert timeline.count("trip") >= 2
    # The stop, with its times in the user's zone (Berlin, the demo's default).
    stop = next(s for s in re.findall(r'<tr class="route-stop">(.*?)</tr>', html, re.S))
    assert re.search(r"\d\d:\d\d CES?T", stop)
    # Parked 40 minutes; the route reads positions on a grid, which may start the stop up to
    # one step late and end it one step early, depending on when the test runs.
    minutes = int(re.search(r"(\d+)\s+minutes?", stop)[1])
    assert 30 <= minutes <= 40, stop
    assert "No position while the car moved" in html


def test_the_km_figure_names_the_readings_that_bracket_the_period(manager_client,
                                                                   flinkey_api):
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    start = end - timedelta(hours=2)
    first = int((start - timedelta(minutes=30)).timestamp())
    history = History()
    # A reading every 10 minutes from 30 minutes before the period to 30 after: +1 km each.
    for i in range(19):
        history.append(first + 600 * i, 48.1 + i / 500, 11.5, 500.0 + i)
    flinkey_api.store.locations[DEMO.iq_only_car_id] = history
    query = f"from={services.utc_param(start)}&to={services.utc_param(end)}"
    (html,) = load_route(manager_client, car_map(DEMO.iq_only_car_id, query))[-1:]
    km = re.search(r'<span id="route-km">(.*?)</span>', html, re.S).group(1)
    # The readings at the period's edges (the grid asks them): 12 km between them.
    assert km.startswith("12.0 km driven (odometer): 503.0 km at ")
    assert "to 515.0 km at " in km and "the readings that bracket the period" in km


def test_a_route_past_its_deadline_finishes_in_rounds(proven, manager_client, flinkey_api,
                                                      settings):
    settings.FLEETADMIN_ROUTE_MAX_CALLS = 60
    settings.FLEETADMIN_ROUTE_ROUND_SECONDS = 1.0
    settings.FLEETADMIN_FANOUT_CONCURRENCY = 8
    # Two samples hang past the round's deadline; the others answer at once.
    flinkey_api.faults.hang_next(f"/cars/{DEMO.car_id}/location/", seconds=3, count=2)
    answers = load_route(manager_client, car_map(DEMO.car_id, "period=24h&round=0"))
    first, last = answers[0], answers[-1]
    # The first answer draws what has arrived and says the rest is on its way.
    assert len(answers) == 2
    assert "Still loading: 2 samples to go." in first and 'role="status"' in first
    assert len(data_of(first, "car-route-data")["points"]) > 20
    assert "round=1" in next_url(first) and 'id="route-downloads"' not in first
    # The second round asked only the two missing samples.
    assert "Still loading" not in last and 'id="route-partial"' not in last
    assert "moments sampled, 2 asked from flinkey" in last
    assert len(data_of(last, "car-route-data")["points"]) >= len(
        data_of(first, "car-route-data")["points"])


def test_a_route_that_never_finishes_says_what_is_missing(proven, manager_client, flinkey_api,
                                                         settings):
    settings.FLEETADMIN_ROUTE_MAX_CALLS = 20
    settings.FLEETADMIN_ROUTE_ROUND_SECONDS = 0.5
    flinkey_api.faults.hang_next(f"/cars/{DEMO.car_id}/location/", seconds=1, count=100)
    last = manager_client.get(car_map(DEMO.car_id, "period=24h&round=8"),
                              headers=hx("car-route")).content.decode()
    assert next_url(last) is None and 'id="route-partial"' in last


# --- from the fleet store ------------------------------------------------------------------


def store_samples(flinkey_api, car_id, *, start, end, minutes=15):
    """A synced fleet store holding the car's positions from `start` to `end` (its last
    run), every `minutes` (as its sampling job keeps them: the IQ's sample at each run);
    returns the stored moments."""
    from fleetstore.models import PositionSample, StoredCar
    from fleetstore.tests.conftest import make_fleet

    now = timezone.now()
    fleet = make_fleet(flinkey_api.url, synced_at=now, sample_minutes=minutes)
    car = StoredCar.objects.create(fleet=fleet, car_id=car_id, name="stored", learnt_at=now,
                                   has_iq=True, location_learnt_at=end)
    history = flinkey_api.store.locations[car_id]
    moments = {}
    t = start
    while t <= end:
        ts, lat, lon, odometer = history.near(t.timestamp())
        moment = timezone.datetime.fromtimestamp(ts, UTC)
        if lat == lat and start <= moment <= end:  # NaN: no fix, not stored as a position
            # Learnt at the run (the car's latest position then), as the job keeps them.
            moments[moment] = PositionSample(car=car, recorded_at=moment, latitude=lat,
                                             longitude=lon, odometer=odometer, learnt_at=t)
        t += timedelta(minutes=minutes)
    PositionSample.objects.bulk_create(moments.values())
    return fleet, sorted(moments)


def test_a_7_day_route_comes_from_the_store_with_no_upstream_call(proven, manager_client,
                                                                  flinkey_api):
    now = timezone.now().replace(microsecond=0)
    _fleet, stored = store_samples(flinkey_api, DEMO.car_id, start=now - timedelta(days=7),
                                   end=now)
    flinkey_api.clear_requests()
    html = manager_client.get(car_map(DEMO.car_id, f"period=7d&now={services.utc_param(now)}"),
                              headers=hx("car-route")).content.decode()
    assert flinkey_api.request_count(path_prefix="/cars") == 0  # not even the car: stored
    drawn = {p[2] for p in data_of(html, "car-route-data")["points"]}
    # No recorded position is missing (the 40-minute grid dropped some: #18).
    assert {int(m.timestamp() * 1000) for m in stored} <= drawn
    assert 'id="route-stored"' in html
    # Then flinkey is asked only between samples where the car moved: positions the store
    # never saw are added, the stored ones all stay.
    last = load_route(manager_client, next_url(html))[-1]
    calls = flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location")
    assert 0 < calls <= 300
    merged = {p[2] for p in data_of(last, "car-route-data")["points"]}
    assert drawn < merged
    assert 'id="route-partial"' not in last


def test_the_store_asks_nothing_between_samples_of_a_parked_car(proven, manager, flinkey_api):
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=5)
    store_samples(flinkey_api, DEMO.stationary_car_id, start=start - timedelta(days=1), end=now)
    flinkey_api.clear_requests()
    route = services.route(user=manager, car_id=DEMO.stationary_car_id, start=start, end=now)
    # Parked for the last six days: the odometer never changed, nothing to look for.
    assert route.upstream_calls == 0 and route.points and route.stored == len(route.points)
    assert len(route.stops) == 1 and route.trips == ()


def test_the_store_and_live_calls_fill_what_the_samples_do_not_reach(proven, manager,
                                                                     flinkey_api):
    # The store's samples begin a day into the period: that day is asked live.
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=2)
    _fleet, stored = store_samples(flinkey_api, DEMO.car_id, start=start + timedelta(days=1),
                                   end=now)
    first = services.route(user=manager, car_id=DEMO.car_id, start=start, end=now, live=False)
    assert first.upstream_calls == 0 and first.pending > 0
    assert first.points[0].recorded_at >= start + timedelta(days=1)
    whole = services.route(user=manager, car_id=DEMO.car_id, start=start, end=now)
    assert whole.upstream_calls > 0 and whole.pending == 0
    assert whole.points[0].recorded_at < start + timedelta(hours=1)
    assert set(stored) <= {p.recorded_at for p in whole.points}


def live_calls(flinkey_api, car_id):
    return flinkey_api.request_count(path_prefix=f"/cars/{car_id}/location")


def test_what_a_live_route_learns_is_stored_and_the_next_asks_less(proven, manager,
                                                                    flinkey_api):
    from django.core.cache import cache

    from fleetstore.models import PositionSample

    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=2)
    # The store's samples begin half a day into the period, every 15 minutes after.
    _fleet, stored = store_samples(flinkey_api, DEMO.car_id, start=start + timedelta(hours=12),
                                   end=now)
    flinkey_api.clear_requests()
    first = services.route(user=manager, car_id=DEMO.car_id, start=start, end=now)
    first_calls = live_calls(flinkey_api, DEMO.car_id)
    assert first.upstream_calls == first_calls > 0
    # Every position flinkey answered is now a sample, at the moment the IQ recorded it.
    kept = set(PositionSample.objects.filter(car__car_id=DEMO.car_id)
               .values_list("recorded_at", flat=True))
    assert {p.recorded_at for p in first.points} <= kept
    assert len(kept) > len(stored)
    # The same route again, nothing cached: the store answers what the first one learnt.
    cache.clear()
    proven_fleet(manager)
    flinkey_api.clear_requests()
    second = services.route(user=manager, car_id=DEMO.car_id, start=start, end=now)
    second_calls = live_calls(flinkey_api, DEMO.car_id)
    assert second_calls < first_calls / 2, (second_calls, first_calls)
    assert {p.recorded_at for p in first.points} <= {p.recorded_at for p in second.points}
    assert second.failed == 0 and second.pending == 0
    # Stored once: asking again adds no second sample of a moment.
    assert PositionSample.objects.filter(car__car_id=DEMO.car_id).count() == len(
        kept | {p.recorded_at for p in second.points})


def test_a_live_route_is_not_kept_while_sync_is_off(proven, manager, flinkey_api):
    from fleetstore.models import FleetSync, PositionSample

    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=1)
    fleet, stored = store_samples(flinkey_api, DEMO.car_id, start=start + timedelta(hours=12),
                                  end=now)
    FleetSync.objects.filter(pk=fleet.pk).update(enabled=False)
    route = services.route(user=manager, car_id=DEMO.car_id, start=start, end=now)
    assert route.upstream_calls > 0
    assert PositionSample.objects.filter(car__car_id=DEMO.car_id).count() == len(stored)
