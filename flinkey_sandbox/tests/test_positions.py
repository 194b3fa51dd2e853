"""Position histories that look real: city trips by day, parked at night, gaps, odometer."""

import math
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest

from flinkey_sandbox import DEMO, Sandbox
from flinkey_sandbox.seed import build
from flinkey_sandbox.timeutil import berlin_local

from .helpers import Api

ANCHOR = datetime(2026, 3, 18, 10, tzinfo=UTC)  # a Wednesday, mid-morning
WINDOW_START = ANCHOR - timedelta(days=14)
MUNICH = (47.95, 48.45, 11.30, 11.95)
HAMBURG = (53.35, 53.75, 9.75, 10.30)


@pytest.fixture(scope="module")
def store():
    return build(ANCHOR)


def km(a, b):
    """Flat distance in km between (lat, lon) points."""
    dy = (b[0] - a[0]) * 111.2
    dx = (b[1] - a[1]) * 111.2 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def samples(history):
    return list(zip(history.times, history.lats, history.lons, history.odometers, strict=True))


def local(ts):
    return berlin_local(datetime.fromtimestamp(ts, UTC))


def z(ts):
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_every_located_car_has_two_weeks_up_to_the_anchor(store):
    assert len(store.locations) >= 25
    for car_id, history in store.locations.items():
        times = history.times
        assert times, car_id
        assert list(times) == sorted(set(times))  # strictly increasing
        assert WINDOW_START.timestamp() <= times[0] and times[-1] <= ANCHOR.timestamp()
    first = store.locations[DEMO.car_id].times[0]
    assert first - WINDOW_START.timestamp() <= 3600


def test_driving_car_moves_by_day_and_stands_still_at_night(store):
    rows = samples(store.locations[DEMO.car_id])
    days_driven = 0
    for day in range(1, 14):
        date = (WINDOW_START + timedelta(days=day)).date()
        by_day = [r for r in rows if local(r[0]).date() == date and 6 <= local(r[0]).hour < 20]
        fixes = [(r[1], r[2]) for r in by_day if not math.isnan(r[1])]
        if fixes and max(km(fixes[0], p) for p in fixes) > 2:
            days_driven += 1
        # The night after: 22:00 to 05:00, parked in one place with the odometer standing.
        night = [
            r
            for r in rows
            if (local(r[0]).date() == date and local(r[0]).hour >= 22)
            or (local(r[0]).date() == date + timedelta(days=1) and local(r[0]).hour < 5)
        ]
        assert len(night) >= 5, date  # DEMO.car_id reports hourly when parked
        assert {r[3] for r in night} == {night[0][3]}, date
        assert max(km((night[0][1], night[0][2]), (r[1], r[2])) for r in night) < 0.05, date
    assert days_driven >= 6  # working days, not the weekend


def test_samples_every_one_to_two_minutes_while_driving(store):
    gaps = []
    for history in store.locations.values():
        rows = samples(history)
        for (t0, *_, odo0), (t1, *_, odo1) in zip(rows, rows[1:], strict=False):
            if odo1 > odo0:  # moved in between
                gaps.append(t1 - t0)
    assert len(gaps) > 5000
    # Longer gaps while moving only where the device was offline (hours) for a while.
    offline = [g for g in gaps if g > 120]
    assert len(offline) < 20 and min(offline) >= 3 * 3600
    assert 60 <= statistics.median(gaps) <= 120


def test_parked_cars_report_sparsely_or_not_at_all(store):
    longest_silence = 0
    for history in store.locations.values():
        rows = samples(history)
        pairs = list(zip(rows, rows[1:], strict=False))
        # While parked at most one sample an hour: short gaps between parked samples occur
        # only next to an arrival or a departure.
        arrivals = sum(r1[3] > r0[3] for r0, r1 in pairs)
        short = sum(r1[3] == r0[3] and r1[0] - r0[0] < 3000 for r0, r1 in pairs)
        assert short <= 2 * arrivals + 2
        longest_silence = max(
            longest_silence,
            max((r1[0] - r0[0] for r0, r1 in zip(rows, rows[1:], strict=False)), default=0),
        )
    assert longest_silence > 10 * 3600  # some IQs send nothing while parked overnight


def test_odometer_is_monotonic_and_matches_the_distance_driven(store):
    for car_id, history in store.locations.items():
        rows = [r for r in samples(history) if not math.isnan(r[1])]
        odometers = [r[3] for r in samples(history)]
        assert odometers == sorted(odometers), car_id
        for (t0, lat0, lon0, odo0), (t1, lat1, lon1, odo1) in zip(rows, rows[1:], strict=False):
            driven = odo1 - odo0
            # Roads are never shorter than the straight line (odometer readings have 0.1 km
            # steps, GPS noise is a few metres).
            assert km((lat0, lon0), (lat1, lon1)) <= driven + 0.13, (car_id, t1)
            assert driven <= (t1 - t0) / 3600 * 130 + 0.2, (car_id, t1)  # no teleporting


def test_cars_stay_in_their_city_and_drive_at_city_speeds(store):
    speeds = []
    for car_id, history in store.locations.items():
        box = MUNICH if store.customer_of_car(car_id) == DEMO.customer_id else HAMBURG
        rows = [r for r in samples(history) if not math.isnan(r[1])]
        for _, lat, lon, _ in rows:
            assert box[0] < lat < box[1] and box[2] < lon < box[3], car_id
        for (t0, *_, odo0), (t1, *_, odo1) in zip(rows, rows[1:], strict=False):
            if odo1 > odo0 and t1 - t0 >= 60:
                speeds.append((odo1 - odo0) / (t1 - t0) * 3600)
    assert 15 <= statistics.median(speeds) <= 60


def test_stops_of_a_quarter_hour_and_more_and_shorter_ones(store):
    long_stops = short_stops = 0
    for history in store.locations.values():
        rows = samples(history)
        arrived = None
        for r0, r1 in zip(rows, rows[1:], strict=False):
            if r1[3] == r0[3] and arrived is None and r0[0] > rows[0][0]:
                arrived = r0[0]
            elif r1[3] > r0[3] and arrived is not None:
                stop = r0[0] - arrived
                if 7 <= local(arrived).hour < 18:
                    long_stops += stop >= 15 * 60
                    short_stops += 5 * 60 <= stop < 15 * 60
                arrived = None
    assert long_stops > 200 and short_stops > 30


def test_stationary_car_stands_for_days_but_still_reports(store):
    rows = samples(store.locations[DEMO.stationary_car_id])
    since = ANCHOR.timestamp() - 6 * 86400
    recent = [r for r in rows if r[0] >= since]
    assert len(recent) >= 6 * 24 // 4 - 2  # a heartbeat every four hours
    assert {r[3] for r in recent} == {recent[0][3]}
    assert max(km((recent[0][1], recent[0][2]), (r[1], r[2])) for r in recent) < 0.05
    assert rows[0][3] < recent[0][3]  # it did drive before


def test_offline_car_has_gaps_of_hours_and_of_a_whole_day(store):
    rows = samples(store.locations[DEMO.offline_car_id])
    gaps = sorted(b[0] - a[0] for a, b in zip(rows, rows[1:], strict=False))
    assert gaps[-1] >= 24 * 3600
    assert sum(g >= 3 * 3600 for g in gaps) >= 3
    assert rows[-1][3] - rows[0][3] > 50  # drives when it is online


def test_silent_car_stopped_reporting_days_ago(store):
    last = store.locations[DEMO.silent_car_id].times[-1]
    assert 2.5 * 86400 <= ANCHOR.timestamp() - last <= 3.5 * 86400


def test_a_past_day_stays_the_same_when_the_anchor_moves(store):
    later = build(ANCHOR + timedelta(days=1))
    day = (ANCHOR - timedelta(days=3)).timestamp(), (ANCHOR - timedelta(days=2)).timestamp()

    def that_day(history):
        return [
            tuple(None if isinstance(v, float) and math.isnan(v) else v for v in r)
            for r in samples(history)
            if day[0] <= r[0] < day[1]
        ]

    before, after = that_day(store.locations[DEMO.car_id]), that_day(later.locations[DEMO.car_id])
    assert [r[:3] for r in before] == [r[:3] for r in after]
    # The odometer is counted back from the anchor: shifted by one day's driving, no more.
    shifts = [b[3] - a[3] for a, b in zip(before, after, strict=True)]
    assert max(shifts) - min(shifts) < 0.11  # readings are rounded to 0.1 km


def test_histories_are_made_a_day_at_a_time_on_first_use():
    fresh = build(ANCHOR)
    history = fresh.locations[DEMO.iq_only_car_id]
    assert all(chunk is None for chunk in history._chunks)
    latest = history.latest()
    assert latest is not None and ANCHOR.timestamp() - latest[0] <= 3600
    assert sum(chunk is not None for chunk in history._chunks) <= 2
    assert history.near(ANCHOR.timestamp() - 86400)[0] <= ANCHOR.timestamp()
    assert sum(chunk is not None for chunk in history._chunks) <= 4


def test_nearest_sample_is_found_across_the_offline_day(store, sandbox):
    rows = samples(store.locations[DEMO.offline_car_id])
    a, b = max(zip(rows, rows[1:], strict=False), key=lambda pair: pair[1][0] - pair[0][0])
    with Sandbox(anchor=ANCHOR) as anchored:
        api = Api(anchored)
        for probe, expected in ((a[0] + 3600, a), (b[0] - 3600, b)):
            body = api.get(f"/cars/{DEMO.offline_car_id}/location/{z(probe)}").json()
            assert body["date"] == z(expected[0])
            assert body["latitude"] == repr(expected[1]) and body["odometer"] == repr(expected[3])
        silent = api.get(f"/cars/{DEMO.silent_car_id}/location").json()
        assert isinstance(silent["latitude"], str) and isinstance(silent["odometer"], str)
        assert silent["date"] <= z(ANCHOR.timestamp() - 2.5 * 86400)


@pytest.mark.slow  # seeds thousands of located cars
def test_extra_located_cars_start_fast_and_answer_positions_cheaply():
    started = time.monotonic()
    sandbox = Sandbox(extra_cars=1000, extra_located=True, anchor=ANCHOR)
    startup = time.monotonic() - started
    assert startup < 8  # ~0.2 s on a quiet machine, ~3 s on a loaded one: nothing sampled yet
    extra = range(DEMO.first_extra_car_id, DEMO.first_extra_car_id + 1000)
    assert all("flinkey IQ" in {p["type"] for p in sandbox.store.products[c]} for c in extra)
    with sandbox:
        api = Api(sandbox)
        api.access_token()
        started = time.monotonic()
        now = [api.get(f"/cars/{c}/location").json() for c in extra]
        current = time.monotonic() - started
        moment = z(ANCHOR.timestamp() - 26 * 3600)
        started = time.monotonic()
        past = [api.get(f"/cars/{c}/location/{moment}").json() for c in extra]
        earlier = time.monotonic() - started
    print(
        f"\nSandbox(extra_cars=1000, extra_located=True): start {startup:.2f} s, "
        f"1000 current positions {current:.2f} s, 1000 positions 26 h ago {earlier:.2f} s"
    )
    assert current < 20 and earlier < 20  # ~1.5 s each here, HTTP included
    located = [body for body in now + past if body["latitude"] is not None]
    assert len(located) > 1900
    for body in located:
        assert MUNICH[0] < float(body["latitude"]) < MUNICH[1]
        assert isinstance(body["odometer"], str)
    # Deterministic: a second sandbox answers the same.
    again = build(ANCHOR, 1000, extra_located=True)
    for c in (extra[0], extra[500], extra[-1]):
        assert again.locations[c].latest() == sandbox.store.locations[c].latest()
