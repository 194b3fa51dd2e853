"""Seeded events that look real: who opens which car when, left-open cars, coordinates."""

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flinkey_sandbox import DEMO
from flinkey_sandbox.timeutil import berlin_local

LATEST = {"$orderby": "utcDateTime desc,id desc", "$top": "1"}


def when(event):
    return datetime.fromisoformat(event["utcDateTime"])


def km(a, b):
    dy = (b[0] - a[0]) * 111.2
    dx = (b[1] - a[1]) * 111.2 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def munich_events(sandbox):
    store = sandbox.store
    return [
        store.events[i]
        for car_id in store.cars[DEMO.customer_id]
        for i in store.car_events[car_id].ids
    ]


def test_left_open_car_was_opened_two_days_before_the_anchor_and_never_closed(api, sandbox):
    last = api.get(f"/cars/{DEMO.left_open_car_id}/events", LATEST).json()[0]
    assert last["type"] == "CarOpened"
    age = sandbox.anchor - when(last)
    assert timedelta(hours=47, minutes=30) <= age <= timedelta(hours=48, minutes=30)
    # Where it was opened is where its IQ saw it, and it has not moved since.
    search = when(last).strftime("%Y-%m-%dT%H:%M:%SZ")
    there = api.get(f"/cars/{DEMO.left_open_car_id}/location/{search}").json()
    now = api.get(f"/cars/{DEMO.left_open_car_id}/location").json()
    point = (float(there["latitude"]), float(there["longitude"]))
    assert km(point, (last["latitude"], last["longitude"])) < 0.1
    assert km(point, (float(now["latitude"]), float(now["longitude"]))) < 0.05
    assert there["odometer"] == now["odometer"]


@pytest.mark.parametrize("car_id", DEMO.open_car_ids)
def test_a_couple_of_cars_are_left_open_for_a_few_hours(api, sandbox, car_id):
    last = api.get(f"/cars/{car_id}/events", LATEST).json()[0]
    assert last["type"] == "CarOpened"
    assert timedelta(hours=2) <= sandbox.anchor - when(last) <= timedelta(hours=7)


def test_a_car_with_a_box_but_without_events(api):
    products = api.get(f"/cars/{DEMO.no_events_car_id}/products").json()
    assert [p["type"] for p in products] == ["flinkey Box"]
    assert api.get(f"/cars/{DEMO.no_events_car_id}/events").json() == []


def test_integer_float_and_null_coordinates_all_occur(api):
    events = api.get(f"/cars/{DEMO.car_id}/events", {"$top": "999"}).json()
    kinds = Counter(type(e["latitude"]).__name__ for e in events)
    assert kinds["int"] and kinds["float"] and kinds["NoneType"], kinds
    for event in events:
        assert type(event["latitude"]) is type(event["longitude"])
        if isinstance(event["latitude"], int):  # only the integration sends whole degrees
            assert "fleet-sync" in event["userAgent"]
            assert (event["latitude"], event["longitude"]) in ((48, 11), (48, 12))


def test_apps_portal_integration_and_a_hostile_user_agent(api, sandbox):
    agents = {e["userAgent"] for e in munich_events(sandbox)}
    joined = " | ".join(agents)
    for marker in ("iOS", "Android", "flinkey-portal", "fleet-sync"):
        assert marker in joined
    assert DEMO.hostile_user_agent in agents
    assert "<script>" in DEMO.hostile_user_agent and "${" in DEMO.hostile_user_agent
    mine = {e["userAgent"] for e in api.get(f"/cars/{DEMO.car_id}/events").json()}
    assert DEMO.hostile_user_agent in mine
    portal = [e for e in munich_events(sandbox) if "flinkey-portal" in e["userAgent"]]
    assert {e["userId"] for e in portal} == {DEMO.portal_user_id}
    assert all(e["latitude"] is None for e in portal)


def test_a_handful_of_users_per_customer(sandbox):
    store = sandbox.store
    for customer in (DEMO.customer_id, DEMO.other_customer_id):
        users = Counter(
            store.events[i]["userId"]
            for car_id in store.cars[customer]
            for i in store.car_events[car_id].ids
        )
        assert 4 <= len(users) <= 15
        assert all(store.users[u] == customer for u in users)
    integration = [e for e in munich_events(sandbox) if e["userId"] == DEMO.integration_user_id]
    assert integration and all("fleet-sync" in e["userAgent"] for e in integration)


def test_events_alternate_opened_closed_through_the_working_day(sandbox):
    store = sandbox.store
    for car_id, events in store.car_events.items():
        rows = sorted((store.events[i] for i in events.ids), key=lambda e: (when(e), e["id"]))
        types = [e["type"] for e in rows]
        if not types:
            continue
        # The window may start in the middle of a trip: then the first event is a close.
        start = 1 if types[0] == "CarClosed" else 0
        assert all(t == ("CarOpened", "CarClosed")[k % 2] for k, t in enumerate(types[start:]))
        hours = Counter(berlin_local(when(e)).hour for e in rows)
        # On-call cars also drive in the evening.
        assert sum(n for h, n in hours.items() if 6 <= h < 20) >= 0.75 * len(rows), car_id


def test_event_coordinates_match_the_iq_position_at_that_moment(sandbox):
    store = sandbox.store
    checked = 0
    for car_id in store.cars[DEMO.customer_id]:
        history = store.locations.get(car_id)
        if history is None:
            continue
        times, lats, lons, odometers = history.times, history.lats, history.lons, history.odometers
        for i in store.car_events[car_id].ids:
            event = store.events[i]
            if not isinstance(event["latitude"], float):
                continue
            k = history.nearest(when(event).timestamp())
            # Compare with a sample of the car standing (arriving, leaving, parked) close in
            # time; a car whose IQ went offline mid-trip was last seen somewhere else.
            standing = (k > 0 and odometers[k - 1] == odometers[k]) or (
                k + 1 < len(times) and odometers[k + 1] == odometers[k]
            )
            if abs(times[k] - when(event).timestamp()) > 180 or not standing:
                continue
            distance = km((lats[k], lons[k]), (event["latitude"], event["longitude"]))
            assert distance < 0.1, event
            checked += 1
    assert checked > 500


def test_every_event_date_time_is_the_berlin_wall_time(sandbox):
    berlin = ZoneInfo("Europe/Berlin")
    for event in sandbox.store.events.values():
        local = when(event).astimezone(berlin).replace(tzinfo=None).isoformat()
        assert local == event["dateTime"]
    assert all(when(e).tzinfo == UTC for e in sandbox.store.events.values())
