"""Seed data (deterministic, realistic), extra_cars, anchor, start/stop/reset and the CLI."""

import json
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flinkey_sandbox import DEMO, Sandbox
from flinkey_sandbox.seed import _VIN_VALUES, _VIN_WEIGHTS, VIN_ALPHABET, build

from .helpers import Api

ANCHOR = datetime(2026, 3, 15, 12, tzinfo=UTC)
PLATE = re.compile(r"^(M|HH|S)-[A-Z]{2} [1-9]\d{0,3}E?$")


@pytest.fixture(scope="module")
def store():
    return build(ANCHOR)


def test_same_seed_and_anchor_give_the_same_data(store):
    again = build(ANCHOR)
    assert again.cars == store.cars
    assert again.products == store.products
    assert again.events == store.events
    assert {k: list(v.times) for k, v in again.locations.items()} == {
        k: list(v.times) for k, v in store.locations.items()
    }


def test_fleets_have_the_documented_sizes(store):
    assert len(store.cars[DEMO.customer_id]) >= 60
    assert len(store.cars[DEMO.other_customer_id]) == 12
    assert store.cars[DEMO.hidden_customer_id]
    manager = store.managers[DEMO.username]
    assert DEMO.hidden_customer_id not in manager.customer_ids
    assert DEMO.user_id in store.users and store.users[DEMO.user_id] == DEMO.customer_id
    assert store.users[DEMO.other_user_id] == DEMO.other_customer_id


def test_demo_cars_have_the_promised_products(store):
    def kinds(car_id):
        return sorted(p["type"] for p in store.products.get(car_id, ()))

    assert kinds(DEMO.car_id) == ["flinkey Box", "flinkey IQ"]
    assert kinds(DEMO.box_only_car_id) == ["flinkey Box"]
    assert kinds(DEMO.iq_only_car_id) == ["flinkey IQ"]
    assert kinds(DEMO.bare_car_id) == []
    assert DEMO.car_id in store.locations and DEMO.iq_only_car_id in store.locations
    assert store.car_events[DEMO.car_id] and store.car_events[DEMO.box_only_car_id]
    assert DEMO.other_car_id in store.cars[DEMO.other_customer_id]
    assert DEMO.hidden_car_id in store.cars[DEMO.hidden_customer_id]


def test_vins_are_valid_looking(store):
    vins = [c["vin"] for cars in store.cars.values() for c in cars.values() if c["vin"]]
    assert len(vins) > 50
    for vin in vins:
        assert len(vin) == 17 and set(vin) <= set(VIN_ALPHABET), vin
        total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
        assert vin[8] == ("X" if total % 11 == 10 else str(total % 11))
    assert {v[:3] for v in vins} & {"WVW", "WBA", "WAU", "WDD"}


def test_plates_look_german(store):
    for cid, prefix in ((DEMO.customer_id, "M-"), (DEMO.other_customer_id, "HH-")):
        plates = [c["licensePlate"] for c in store.cars[cid].values() if c["licensePlate"]]
        assert plates and all(PLATE.match(p) and p.startswith(prefix) for p in plates)


def test_history_covers_two_weeks_up_to_the_anchor(store):
    total = sum(len(h) for h in store.locations.values())
    assert 10_000 <= total <= 60_000
    history = store.locations[DEMO.car_id]  # parked: a sample every hour
    start = ANCHOR - timedelta(days=14)
    assert start.timestamp() <= history.times[0] <= start.timestamp() + 3600
    assert ANCHOR.timestamp() - 3600 <= history.times[-1] <= ANCHOR.timestamp()
    gaps = [b - a for a, b in zip(history.times, history.times[1:], strict=False)]
    assert min(gaps) >= 1 and max(gaps) <= 3600 + 60  # a beat just before leaving is skipped
    odometers = list(history.odometers)
    assert odometers == sorted(odometers) and odometers[-1] - odometers[0] > 50


def test_cars_park_most_of_the_time_and_move_sometimes(store):
    history = store.locations[DEMO.car_id]
    times, odometers = history.times, history.odometers
    parked = sum(
        b - a
        for a, b, before, after in zip(times, times[1:], odometers, odometers[1:], strict=False)
        if after == before
    )
    assert parked > 0.75 * (times[-1] - times[0])
    assert odometers[-1] - odometers[0] > 100


def test_events_have_coordinates_mostly_and_some_without(store):
    events = list(store.events.values())
    without = sum(e["latitude"] is None for e in events)
    assert 0 < without < len(events) * 0.3


def test_anchor_moves_all_time_relative_data(store):
    later_anchor = ANCHOR + timedelta(days=30)
    later = build(later_anchor)
    history = later.locations[DEMO.car_id]
    start = (later_anchor - timedelta(days=14)).timestamp()
    assert start <= history.times[0] <= start + 3600
    assert history.times[-1] <= later_anchor.timestamp()
    assert later.cars == store.cars  # the fleet itself does not depend on the anchor


def test_default_anchor_is_now_truncated_to_the_hour():
    sandbox = Sandbox()
    now = datetime.now(UTC)
    assert sandbox.anchor.minute == sandbox.anchor.second == sandbox.anchor.microsecond == 0
    assert timedelta(0) <= now - sandbox.anchor < timedelta(hours=1, minutes=1)


def test_anchor_can_be_passed():
    sandbox = Sandbox(anchor=ANCHOR)
    assert sandbox.anchor == ANCHOR
    assert Sandbox(anchor=datetime(2026, 3, 15, 12)).anchor == ANCHOR  # naive means UTC


def test_ten_thousand_extra_cars_seed_and_list():
    # How fast is measured by benchmarks/car_list.py, not here: a shared machine's timing
    # makes a flaky test, not a guarantee.
    sandbox = Sandbox(extra_cars=10_000, anchor=ANCHOR)
    with sandbox:
        api = Api(sandbox)
        api.access_token()
        reply = api.get(
            "/cars",
            {
                "$filter": "contains(tolower(name),'golf') and licensePlate ne null",
                "$orderby": "brand desc, name",
                "$top": "25",
            },
        )
        assert reply.status == 200 and len(reply.json()) == 25
        everything = api.get("/cars").json()
        assert len(everything) == 62 + 10_000
        assert len({c["id"] for c in everything}) == len(everything)
        extra = everything[-1]
        assert extra["name"].endswith("Pool 10000")
        # The regular seed is the same with or without extra cars.
        assert everything[:62] == list(build(ANCHOR).cars[DEMO.customer_id].values())


def test_start_with_port_zero_picks_a_free_port_and_stop_frees_it():
    sandbox = Sandbox(anchor=ANCHOR)
    with pytest.raises(RuntimeError):
        _ = sandbox.url
    sandbox.start()
    url = sandbox.url
    assert re.match(r"^http://127\.0\.0\.1:\d+/v3$", url)
    with pytest.raises(RuntimeError):
        sandbox.start()
    sandbox.stop()
    sandbox.stop()  # twice is fine
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/customers", timeout=1)  # noqa: S310


def test_context_manager_starts_and_stops():
    with Sandbox(anchor=ANCHOR) as sandbox:
        assert Api(sandbox).token().status == 200
    with pytest.raises(RuntimeError):
        _ = sandbox.url


def test_reset_restores_the_seeded_state_exactly(sandbox):
    pristine = build(sandbox.anchor)
    api = Api(sandbox)
    api.call("PATCH", f"/cars/{DEMO.car_id}", json_body=[{"op": "remove", "path": "/vin"}])
    api.call("DELETE", f"/cars/{DEMO.iq_only_car_id}")
    sandbox.reset()
    assert sandbox.store.cars == pristine.cars
    assert sandbox.store.events == pristine.events
    assert set(sandbox.store.locations) == set(pristine.locations)
    assert sandbox.requests == []


def test_cli_prints_url_and_credentials_and_serves():
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "flinkey_sandbox", "--port", "0", "--quiet", "--latency", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"http://\S+/v3", first).group()
        rest = "".join(process.stdout.readline() for _ in range(5))
        assert DEMO.api_key in rest and DEMO.username in rest and DEMO.password in rest
        request = urllib.request.Request(  # noqa: S310 - our own http URL
            url + "/oauth2/token",
            data=f"username={DEMO.username}&password={DEMO.password}&grant_type=password".encode(),
            headers={
                "flinkey-API-Key": DEMO.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert json.load(response)["token_type"] == "Bearer"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_cli_serves_located_extra_cars_and_the_large_event_car():
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flinkey_sandbox",
            "--port",
            "0",
            "--quiet",
            "--extra-cars",
            "3",
            "--extra-located",
            "--large-event-car",
            "500",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"http://\S+/v3", process.stdout.readline()).group()
        banner = "".join(process.stdout.readline() for _ in range(5))
        assert f"car {DEMO.large_event_car_id} has 500 more events" in banner
        token_request = urllib.request.Request(  # noqa: S310 - our own http URL
            url + "/oauth2/token",
            data=f"username={DEMO.username}&password={DEMO.password}&grant_type=password".encode(),
            headers={
                "flinkey-API-Key": DEMO.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(token_request, timeout=5) as response:  # noqa: S310
            token = json.load(response)["access_token"]
        headers = {
            "flinkey-API-Key": DEMO.api_key,
            "Authorization": f"Bearer {token}",
            "Customer-ID": str(DEMO.customer_id),
        }

        def get(path):
            request = urllib.request.Request(url + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return json.load(response)

        assert get(f"/cars/{DEMO.first_extra_car_id + 2}/location")["date"] is not None
        events = get(f"/cars/{DEMO.large_event_car_id}/events?$orderby=id&$top=1")
        assert events[0]["id"] == 100_001 - 500
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_cli_refuses_a_large_event_count_out_of_range():
    result = subprocess.run(
        [sys.executable, "-m", "flinkey_sandbox", "--large-event-car", "100001"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2 and "--large-event-car" in result.stderr
