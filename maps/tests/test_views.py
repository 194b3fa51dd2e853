"""The map screens against the sandbox: a car's map, its route, the fleet map's batches."""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from config.testing import hx
from flinkey_sandbox import DEMO
from maps.tests.batches import all_batches, batch_of, get_batch, next_url, status_text

pytestmark = pytest.mark.django_db


def car_map(car_id, query=""):
    return f"/cars/{car_id}/map/" + (f"?{query}" if query else "")


def data_of(html, element_id):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      html, re.S)
    assert match, f"no {element_id}"
    return json.loads(match.group(1))


def test_the_car_page_loads_the_map_panel_lazily(manager_client, flinkey_api):
    html = manager_client.get(f"/cars/{DEMO.car_id}/").content.decode()
    assert f'hx-get="/cars/{DEMO.car_id}/map/?panel=1" hx-trigger="load"' in html
    assert "vendor/leaflet/leaflet.js" in html
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location") == 0


def test_the_panel_shows_where_the_car_is(manager_client, flinkey_api):
    response = manager_client.get(car_map(DEMO.car_id, "panel=1"), headers=hx("car-map"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="car-map"')
    assert "Where it is" in html and "ago" in html and " km" in html
    data = data_of(html, "car-map-data")
    assert data["marker"]["lat"] and data["config"]["tiles"]["url"].startswith("https://")
    assert "<html" not in html


def test_empty_states_are_not_errors(manager_client, flinkey_api):
    for car_id in (DEMO.box_only_car_id, DEMO.bare_car_id):
        response = manager_client.get(car_map(car_id, "panel=1"), headers=hx("car-map"))
        assert response.status_code == 200
        assert "No flinkey IQ in this car" in response.content.decode()
    flinkey_api.store.locations.pop(DEMO.iq_only_car_id)
    response = manager_client.get(car_map(DEMO.iq_only_car_id, "panel=1"), headers=hx("car-map"))
    assert response.status_code == 200 and "No position reported yet." in response.content.decode()


@pytest.mark.parametrize("query", ["", "period=7d", "at=2026-12-01T10:00:00Z"])
def test_the_map_of_a_car_without_an_iq_offers_no_route_and_no_moment(manager_client,
                                                                      flinkey_api, query):
    response = manager_client.get(car_map(DEMO.box_only_car_id, query))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No flinkey IQ in this car, so it reports no position." in html
    for offer in ('id="at-form"', 'id="car-route"', 'id="route-form"', "Last 7 days",
                  "Show route", "Where was it at"):
        assert offer not in html, offer


def test_an_unknown_car_and_a_failure(manager_client, flinkey_api):
    response = manager_client.get(car_map(DEMO.hidden_car_id))  # no reachable customer's
    assert response.status_code == 404
    assert "This car does not exist or belongs to another customer." in response.content.decode()
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/location", status=500, count=3)
    response = manager_client.get(car_map(DEMO.car_id, "panel=1"), headers=hx("car-map"))
    html = response.content.decode()
    assert response.status_code == 502
    assert "The position could not be loaded." in html and "Internal server error." in html
    assert "Try again" in html


def test_where_was_it_at_a_moment(manager_client, flinkey_api):
    response = manager_client.get(car_map(DEMO.car_id, "at=2099-01-01T00:00:00Z"))
    assert response.status_code == 200
    moment = flinkey_api.anchor - timedelta(days=2, minutes=7)
    at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    flinkey_api.clear_requests()
    html = manager_client.get(car_map(DEMO.car_id, f"at={at}")).content.decode()
    # Sent to the API as exact UTC.
    assert f"/cars/{DEMO.car_id}/location/{at}" in [r.path for r in flinkey_api.requests]
    assert "Where it was" in html
    assert re.search(r"sample (\d+\sminutes? )?(after|before) the moment you asked for|"
                     r"sample at the moment", html)
    # The picker shows the moment in the user's zone (Europe/Berlin by default).
    local = timezone.localtime(moment, timezone.get_fixed_timezone(0))
    assert 'id="at-input" name="at" value="' in html
    assert local.strftime("%Y-%m-%dT") in html


def test_a_datetime_local_value_is_read_in_the_users_zone(manager_client, flinkey_api):
    # Berlin is UTC+1 or +2: 12:00 there is 10:00 or 11:00 UTC.
    day = (flinkey_api.anchor - timedelta(days=3)).strftime("%Y-%m-%d")
    flinkey_api.clear_requests()
    manager_client.get(car_map(DEMO.car_id, f"at={day}T12:00"))
    paths = [r.path for r in flinkey_api.requests if "/location/" in r.path]
    assert paths and re.search(rf"/location/{day}T1[01]:00:00Z$", paths[0])


def test_a_route_with_stops_and_distance(manager_client, flinkey_api):
    response = manager_client.get(car_map(DEMO.car_id, "period=24h"), headers=hx("car-route"))
    html = response.content.decode()
    assert response.status_code == 200
    data = data_of(html, "car-route-data")
    assert len(data["points"]) > 20
    times = [p[2] for p in data["points"]]
    assert times == sorted(times) and len(set(times)) == len(times)  # deduplicated
    assert "km driven (odometer)" in html
    assert 'id="replay-play"' in html and 'id="replay-scrub"' in html
    calls = flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location")
    assert 0 < calls <= 300
    # A second load asks nothing upstream (past moments cached long, "now" briefly).
    flinkey_api.clear_requests()
    manager_client.get(car_map(DEMO.car_id, "period=24h"), headers=hx("car-route"))
    assert flinkey_api.request_count(path_prefix=f"/cars/{DEMO.car_id}/location") == 0


def test_a_route_with_failing_samples_is_partial(manager_client, flinkey_api):
    # The first samples fail even after the client's retries (3 tries each).
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/location/", status=500, count=30)
    response = manager_client.get(car_map(DEMO.car_id, "period=24h"), headers=hx("car-route"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="route-partial"' in html and data_of(html, "car-route-data")["points"]


def test_an_invalid_period(manager_client, flinkey_api):
    html = manager_client.get(car_map(DEMO.car_id, "from=2025-01-02T00:00&to=2025-01-01T00:00"),
                              headers=hx("car-route")).content.decode()
    assert "Choose a start before the end" in html


def test_support_can_read_the_maps(support_client, flinkey_api):
    assert support_client.get(car_map(DEMO.car_id)).status_code == 200
    assert support_client.get("/map/").status_code == 200
    assert support_client.get("/map/cars/", headers=hx("fleet-next")).status_code == 200


def test_the_fleet_map_page_asks_nothing_upstream(manager_client, flinkey_api):
    flinkey_api.clear_requests()
    html = manager_client.get("/map/?q=golf").content.decode()
    assert 'id="fleet-next" hx-get="/map/cars/?q=golf" hx-trigger="load"' in html
    assert flinkey_api.request_count(path_prefix="/cars") == 0
    assert 'aria-current="page">Map</a>' in html


def test_fleet_batches(manager_client, flinkey_api, settings):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 25
    first = get_batch(manager_client)
    assert first["total"] == 62 and not first["last"] and len(first["cars"]) == 25
    assert (first["start"], first["next"]) == (0, 25)
    states = {car["state"] for car in first["cars"]}
    assert "located" in states and "no_device" in states
    located = next(car for car in first["cars"] if car["state"] == "located")
    assert {"name", "plate", "lat", "lon", "time", "age", "url"} <= set(located)
    last = get_batch(manager_client, "start=50")
    assert last["last"] and last["next"] is None and last["total"] is None
    assert len(last["cars"]) == 12
    # The car list's search applies: the cars with "golf" in any field it searches.
    golfs = get_batch(manager_client, "q=golf")
    searched = ("name", "licensePlate", "vin", "brand", "model")
    expected = sorted(car["name"] for car in flinkey_api.store.cars[DEMO.customer_id].values()
                      if any("golf" in (car[field] or "").lower() for field in searched))
    assert expected and sorted(car["name"] for car in golfs["cars"]) == expected
    assert golfs["total"] == len(golfs["cars"]) < 62
    # A start that is no number is the first batch; one beyond the fleet, an empty one.
    assert get_batch(manager_client, "start=²")["start"] == 0
    beyond = get_batch(manager_client, "start=999999999")
    assert beyond["cars"] == [] and beyond["next"] is None


def test_the_first_batch_is_the_smaller_one(manager_client, flinkey_api, settings):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 100
    settings.FLEETADMIN_FANOUT_CONCURRENCY = 8
    # Five rounds of eight calls: 38 cars, the count and the next batch's list call.
    assert [len(body["cars"]) for body in all_batches(manager_client)] == [38, 24]
    assert all_batches(manager_client)[0]["total"] == 62


def test_fleet_batch_partial_failure_and_retry(manager_client, flinkey_api, settings):
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/location", status=500, count=3)
    url, answers = "/map/cars/", []
    while url:
        answers.append(manager_client.get(url, headers=hx("fleet-next")))
        url = next_url(answers[-1])
    cars = [car for answer in answers for car in batch_of(answer)["cars"]]
    failed = [car for car in cars if car["state"] == "failed"]
    assert [car["id"] for car in failed] == [DEMO.car_id]
    assert failed[0]["reason"] == "flinkey had an internal error."
    # The batch said so, with a Retry that asks only the failed car again.
    html = next(answer for answer in answers
                if "could not be located" in answer.content.decode()).content.decode()
    assert '<div hx-swap-oob="beforeend:#fleet-failures">' in html
    assert "1 car could not be located." in html
    assert f'hx-get="/map/cars/?ids={DEMO.car_id}" hx-target="closest .fleet-failed"' in html
    retried = manager_client.get(f"/map/cars/?ids={DEMO.car_id},²,x", headers=hx())
    retry = batch_of(retried)
    assert [car["id"] for car in retry["cars"]] == [DEMO.car_id]  # what is no id is left out
    assert retry["cars"][0]["state"] == "located" and retry["upstream_calls"] == 1
    assert "could not be located" not in retried.content.decode()  # the note goes


def test_fleet_at_a_past_moment_is_cached(manager_client, flinkey_api, settings):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 10
    at = (flinkey_api.anchor - timedelta(days=6)).strftime("%Y-%m-%dT16:00:00Z")
    body = get_batch(manager_client, f"at={at}")
    located = [car for car in body["cars"] if car["state"] == "located"]
    assert located and all("moment you asked for" in car["age"] for car in located)
    flinkey_api.clear_requests()
    again = get_batch(manager_client, f"at={at}")
    assert again["cars"] == body["cars"]
    # The list page too: the car list is "now" even for a past moment, cached as briefly.
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_fleet_batch_failure_is_a_problem(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, count=3)
    response = manager_client.get("/map/cars/", headers=hx("fleet-next"))
    assert response.status_code == 502
    # At the top of the map, in the screen kit's words, with a Retry of this batch.
    assert status_text(response).startswith(
        "The cars could not be loaded. flinkey had an internal error. Try again in a moment.")
    assert next_url(response) is None


def list_calls(sandbox) -> int:
    """GET /cars calls (list pages and counts), not the calls about one car."""
    return sandbox.request_count(path_prefix="/cars") - sandbox.request_count(path_prefix="/cars/")


def test_each_batch_lists_the_next_page_and_a_reload_asks_nothing(manager_client, flinkey_api,
                                                                  settings):
    settings.FLEETADMIN_MAP_BATCH_SIZE = 25
    flinkey_api.clear_requests()
    first = all_batches(manager_client)
    assert [len(body["cars"]) for body in first] == [25, 25, 12]
    # The first batch lists itself, counts and lists the second; the second lists the third.
    assert list_calls(flinkey_api) == 4
    assert [body["upstream_calls"] for body in first] == [3 + 25, 1 + 25, 12]

    flinkey_api.clear_requests()
    again = all_batches(manager_client)
    assert flinkey_api.request_count(path_prefix="/cars") == 0
    assert [body["upstream_calls"] for body in again] == [0, 0, 0]
    assert again[0]["total"] == 62
    assert [car["id"] for body in again for car in body["cars"]] == \
        [car["id"] for body in first for car in body["cars"]]


def test_customers_and_searches_never_share_cached_car_lists(manager_client, flinkey_api,
                                                             settings):
    from config.testing import logged_in, make_user

    settings.FLEETADMIN_MAP_BATCH_SIZE = 25
    munich = {car["id"] for car in get_batch(manager_client)["cars"]}
    hamburg_user = make_user("hamburg")
    hamburg_user.flinkey_credentials.customer_id = DEMO.other_customer_id
    hamburg_user.flinkey_credentials.save()
    flinkey_api.clear_requests()
    hamburg = get_batch(logged_in(hamburg_user))
    assert hamburg["total"] == 12 and not munich & {car["id"] for car in hamburg["cars"]}
    assert list_calls(flinkey_api) == 1  # asked for its own customer, not taken from the cache
    golfs = get_batch(manager_client, "q=golf")
    assert golfs["total"] < 62 and golfs["cars"] != all_batches(manager_client)[0]["cars"]


def test_a_batch_answers_when_the_count_or_the_next_batch_fails(manager_client, flinkey_api,
                                                               settings, monkeypatch):
    from flinkey import FlinkeyClient, ServerError
    from maps import services

    settings.FLEETADMIN_MAP_BATCH_SIZE = 25
    list_cars = FlinkeyClient.list_cars

    def second_batch_fails(client, query=None):
        if query is not None and query.skip == 25:
            raise ServerError("Internal server error.", 500)
        return list_cars(client, query)

    def count_fails(**kwargs):
        raise ServerError("Internal server error.", 500)

    monkeypatch.setattr(FlinkeyClient, "list_cars", second_batch_fails)
    monkeypatch.setattr(services, "count_cars", count_fails)
    body = get_batch(manager_client)
    assert len(body["cars"]) == 25 and body["next"] == 25 and body["total"] is None
    assert any(car["state"] == "located" for car in body["cars"])
    # Errors are not cached: the second batch's cars are asked again when the browser asks.
    monkeypatch.setattr(FlinkeyClient, "list_cars", list_cars)
    flinkey_api.clear_requests()
    second = get_batch(manager_client, "start=25")
    assert len(second["cars"]) == 25 and list_calls(flinkey_api) == 2  # its cars, the next


# No GPS fix, but an odometer: the API's types allow each field to be null on its own.
NO_FIX = {"latitude": None, "longitude": None, "date": None,
          "odometerDate": "2026-11-28T10:00:00Z", "odometer": "37772.3"}


def answer_with(monkeypatch, body):
    """Every location call answers `body` (parsed as the client parses the API's answer)."""
    from flinkey import FlinkeyClient, Location

    monkeypatch.setattr(FlinkeyClient, "get_location",
                        lambda client, car_id, at=None: Location.from_api(body))


def test_an_odometer_without_a_position_is_shown(manager_client, flinkey_api, monkeypatch):
    answer_with(monkeypatch, NO_FIX)
    response = manager_client.get(car_map(DEMO.iq_only_car_id, "panel=1"), headers=hx("car-map"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No position reported yet." in html
    # 10:00 UTC is 11:00 in Berlin (the user's zone), in winter CET.
    assert re.search(r'id="odometer">37,772.3 km <span class="hint">\(2026-11-28 11:00 CET\)',
                     html), html
    assert 'data-map="car"' not in html  # no position: no map


def test_an_odometer_without_a_position_at_a_moment(manager_client, flinkey_api, monkeypatch):
    answer_with(monkeypatch, NO_FIX)
    html = manager_client.get(
        car_map(DEMO.iq_only_car_id, "at=2026-11-28T10:05:00Z")).content.decode()
    assert "No position stored near this moment." in html
    assert "37,772.3 km" in html and "2026-11-28 11:00 CET" in html


def test_the_route_counts_odometer_readings_without_a_position(manager_client, flinkey_api):
    from flinkey_sandbox.state import History

    # Every 10 minutes; the first and last samples have no fix but an odometer: the
    # odometer counted 20 km, the located samples alone only 10.
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    first = int((end - timedelta(hours=3)).timestamp())
    history = History()
    for i in range(19):
        fixed = 0 < i < 18  # 1005.0 to 1015.0 km; without a fix 1000.0 and 1020.0
        odometer = 1005.0 + (i - 1) * 10 / 16 if fixed else 1000.0 + i * 20 / 18
        history.append(first + 600 * i, 48.1 + i / 1000 if fixed else None,
                       11.5 if fixed else None, odometer)
    flinkey_api.store.locations[DEMO.iq_only_car_id] = history
    html = manager_client.get(car_map(DEMO.iq_only_car_id, "period=24h"),
                              headers=hx("car-route")).content.decode()
    assert "17 positions" in html
    assert "20.0 km driven (odometer)" in html, html


@pytest.mark.parametrize(("language", "expected"), [("en", "2026-11-28 20:10 CET"),
                                                     ("de", "28.11.2026 20:10 CET")])
def test_local_time_is_how_the_app_writes_times(language, expected):
    from datetime import UTC, datetime

    from django.utils import formats, translation

    from fleetadmin.web.dates import local_time

    with translation.override(language):
        with timezone.override("Europe/Berlin"):
            assert local_time(datetime(2026, 11, 28, 19, 10, tzinfo=UTC)) == expected
        for zone in ("Europe/Berlin", "America/New_York", "UTC"):
            with timezone.override(zone):
                for moment in (datetime(2025, 3, 4, 15, 5, 9, tzinfo=UTC),
                               datetime(2025, 7, 4, 23, 59, tzinfo=UTC),
                               datetime(987, 1, 2, 3, 4, tzinfo=UTC)):
                    local = timezone.localtime(moment)
                    assert local_time(moment) == (
                        formats.date_format(local, "SHORT_DATETIME_FORMAT") + " "
                        + formats.date_format(local, "T"))


@pytest.mark.parametrize(("language", "zone", "written"), [
    ("en", "Europe/Berlin", r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T"),
    ("de", "America/New_York", r"\d\d\.\d\d\.\d{4} \d\d:\d\d E[SD]T"),
])
def test_route_samples_carry_their_time_as_the_app_writes_it(manager, flinkey_api, language,
                                                             zone, written):
    from datetime import UTC, datetime

    from django.utils import translation

    from config.testing import logged_in
    from fleetadmin.web.dates import local_time
    from preferences import services as fleet_services

    fleet_services.save_preferences(user=manager, language=language, time_zone=zone)
    html = logged_in(manager).get(car_map(DEMO.car_id, "period=24h"),
                                  headers=hx("car-route")).content.decode()
    points = data_of(html, "car-route-data")["points"]
    assert points
    with translation.override(language), timezone.override(zone):
        for point in points:
            assert point[4] == local_time(datetime.fromtimestamp(point[2] / 1000, UTC))
            assert re.fullmatch(written, point[4]), point[4]


def test_the_replay_clock_knows_the_zones_offsets_and_the_format():
    from datetime import UTC, datetime

    from django.utils import translation

    from maps.views import replay_clock

    # Berlin leaves summer time at 01:00 UTC on 25 October 2026.
    start, end = datetime(2026, 10, 24, 12, 7, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    with translation.override("de"), timezone.override("Europe/Berlin"):
        clock = replay_clock(start, end)
        assert clock["format"] == "d.m.Y H:i"
        assert clock["zones"] == [[int(start.timestamp() * 1000), 7_200_000, "CEST"],
                                  [int(change.timestamp() * 1000), 3_600_000, "CET"]]
    with translation.override("en"), timezone.override("Asia/Kolkata"):
        assert replay_clock(start, end) == {
            "format": "Y-m-d H:i", "zones": [[int(start.timestamp() * 1000), 19_800_000, "IST"]]}


@pytest.mark.parametrize("other", ["j. N Y, P", r"Y-m-d \a\t H:i"])
def test_the_replay_clock_leaves_a_format_it_cannot_write_to_the_samples(monkeypatch, other):
    from datetime import UTC, datetime

    from django.utils import formats

    from maps.views import replay_clock

    monkeypatch.setattr(formats, "get_format", lambda name: other)
    start = datetime(2026, 10, 24, 12, 7, tzinfo=UTC)
    assert replay_clock(start, start)["format"] is None


def test_a_fleet_batch_problem_says_what_the_car_list_says(manager, flinkey_api):
    from config.testing import logged_in

    # A customer the API manager cannot reach: a set-up problem (409). fleetadmin.upstream.reach
    # finds it in the manager's /customers before any car call (which flinkey would answer
    # with its 404 "Unable to find a manager ...", told in the same words).
    manager.flinkey_credentials.customer_id = 987654
    manager.flinkey_credentials.save()
    flinkey_api.clear_requests()
    response = logged_in(manager).get("/map/cars/", headers=hx("fleet-next"))
    assert response.status_code == 409
    # Fixed in Settings, not by retrying: a link there, no Retry, no flinkey sentence.
    assert status_text(response) == (
        "The cars could not be loaded. Your API manager cannot reach this customer. "
        "Choose a customer on the Settings page. Open Settings")
    assert 'href="/settings/"' in response.content.decode()
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_fleet_batch_failure_that_a_retry_may_fix(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, count=3)
    response = manager_client.get("/map/cars/?q=golf", headers=hx("fleet-next"))
    assert "flinkey said: Internal server error." in status_text(response)
    assert status_text(response).endswith("Try again")
    html = response.content.decode()
    assert ('hx-get="/map/cars/?q=golf" hx-target="#fleet-next" hx-swap="outerHTML">Try again'
            in html)
    assert '<div id="fleet-next" hidden></div>' in html  # where the retried batch goes


def test_the_fleet_map_says_what_it_can_tell_of_a_car_without_a_position(manager_client,
                                                                        flinkey_api):
    # No products: no IQ. All null: a Box without an IQ or an IQ that has not reported, which
    # only a products call per car could tell apart. An odometer alone proves an IQ.
    from flinkey_sandbox import DEMO

    flinkey_api.store.locations.pop(DEMO.iq_only_car_id)
    ids = f"{DEMO.bare_car_id},{DEMO.box_only_car_id},{DEMO.iq_only_car_id}"
    cars = batch_of(manager_client.get(f"/map/cars/?ids={ids}", headers=hx()))["cars"]
    assert [car["state"] for car in cars] == ["no_device", "no_answer", "no_answer"]
    assert [car["reason"] for car in cars] == [
        "no flinkey IQ", *["no position (no flinkey IQ, or none reported yet)"] * 2]
    assert flinkey_api.request_count(path_prefix="/cars/2002/products") == 0


def test_an_odometer_alone_proves_an_iq():
    from datetime import UTC, datetime

    from flinkey import Location
    from maps.services import NO_POSITION, Position

    odometer_only = Location(None, None, None, 37772.3, datetime(2026, 11, 28, tzinfo=UTC))
    assert Position(1, NO_POSITION, odometer_only).from_an_iq
    assert not Position(1, NO_POSITION, Location(None, None, None, None, None)).from_an_iq
    assert not Position(1, NO_POSITION).from_an_iq


def test_retried_ids_beyond_flinkeys_range_are_left_out(manager_client, flinkey_api):
    # flinkey's ids are int32: a larger number names no car and is never sent (it used to
    # reach the client, which now refuses it).
    flinkey_api.clear_requests()
    response = manager_client.get(f"/map/cars/?ids={DEMO.car_id},{2**31},{2**63},0",
                                  headers=hx())
    assert response.status_code == 200
    assert [car["id"] for car in batch_of(response)["cars"]] == [DEMO.car_id]
    assert not [r for r in flinkey_api.requests if str(2**31) in r.path or str(2**63) in r.path]


def test_a_german_moment_is_read_and_a_wrong_one_is_kept_with_the_error(manager,
                                                                        manager_client,
                                                                        flinkey_api):
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="de", time_zone="Europe/Berlin")
    moment = (flinkey_api.anchor - timedelta(days=2)).astimezone(ZoneInfo("Europe/Berlin"))
    typed = moment.strftime("%d.%m.%Y %H:%M")
    html = manager_client.get(car_map(DEMO.car_id, f"at={typed}")).content.decode()
    assert f'id="at-input" name="at" value="{typed}" placeholder="TT.MM.JJJJ HH:MM"' in html
    # The moment asked for, written back the German way with the zone's abbreviation.
    assert 'id="at-error"' not in html
    assert re.search(rf'id="fix-offset">{re.escape(typed)} CES?T', html)
    wrong = manager_client.get(car_map(DEMO.car_id, "at=31.02.2026 10:00")).content.decode()
    assert 'id="at-error"' in wrong
    assert 'id="at-input" name="at" value="31.02.2026 10:00"' in wrong  # nothing lost


def test_a_moment_in_the_future_is_refused_as_the_event_form_does_and_kept(manager,
                                                                          manager_client):
    # flinkey answers a future moment with its latest sample: the page said "where it was"
    # with a "sample 3 weeks before the moment you asked for".
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="de", time_zone="Europe/Berlin")
    ahead = (timezone.now() + timedelta(days=20)).astimezone(ZoneInfo("Europe/Berlin"))
    typed = ahead.strftime("%d.%m.%Y %H:%M")
    html = manager_client.get(car_map(DEMO.car_id, f"at={typed}")).content.decode()
    assert ('id="at-error">Dieser Zeitpunkt liegt in der Zukunft; angezeigt wird die letzte '
            "Position.</p>") in html
    assert f'id="at-input" name="at" value="{typed}"' in html  # nothing lost
    assert 'aria-describedby="at-zone at-error"' in html
    assert 'id="fix-offset"' not in html and 'id="at-now"' not in html
