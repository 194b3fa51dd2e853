"""Events: list of a car, single event, create (PUT) with the documented validation order."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flinkey_sandbox import DEMO
from flinkey_sandbox.seed import INTEGRATION_AGENT, PORTAL_AGENT, USER_AGENTS

from .helpers import JSON, assert_problem_415, assert_text

EVENT_KEYS = {
    "id",
    "dateTime",
    "utcDateTime",
    "userId",
    "carId",
    "type",
    "userAgent",
    "latitude",
    "longitude",
}
NOT_FOUND = (
    "Unable to find an event for the given eventId which is assigned to the given customerId."
)
NO_CAR = (
    "Couldn't create event. Unable to find a car for the given carId "
    "which is assigned to the given customerId."
)
NO_USER = (
    "Couldn't create event. Unable to find an user for the given userId "
    "which is assigned to the given customerId."
)
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def valid_event(**changes):
    body = {
        "dateTime": "2026-07-01T14:30:00",
        "utcDateTime": "2026-07-01T12:30:00Z",
        "userId": DEMO.user_id,
        "carId": DEMO.box_only_car_id,
        "type": "CarOpened",
        "userAgent": "fleetadmin-tests/1.0",
        "latitude": 48.1374,
        "longitude": 11.5755,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def test_get_events_of_a_car_returns_array_of_events(api):
    reply = api.get(f"/cars/{DEMO.car_id}/events")
    assert reply.status == 200
    assert reply.content_type == JSON
    events = reply.json()
    assert len(events) > 10
    for event in events:
        assert set(event) == EVENT_KEYS
        assert isinstance(event["id"], int) and event["carId"] == DEMO.car_id
        assert isinstance(event["userId"], int)
        assert event["type"] in ("CarOpened", "CarClosed")
        assert LOCAL.match(event["dateTime"]) and UTC_Z.match(event["utcDateTime"])
        assert isinstance(event["userAgent"], str) and event["userAgent"]
        for key in ("latitude", "longitude"):
            assert event[key] is None or isinstance(event[key], int | float)
    # Most events have a position; some were recorded without a GPS fix (both null then).
    positioned = [e for e in events if e["latitude"] is not None]
    assert 0 < len(positioned) < len(events)
    assert all(e["longitude"] is not None for e in positioned)
    assert all(e["longitude"] is None for e in events if e["latitude"] is None)


def test_event_date_time_is_berlin_wall_clock_of_utc_date_time(api):
    berlin = ZoneInfo("Europe/Berlin")
    for event in api.get(f"/cars/{DEMO.car_id}/events").json():
        utc = datetime.fromisoformat(event["utcDateTime"])
        assert utc.astimezone(berlin).replace(tzinfo=None).isoformat() == event["dateTime"]


def test_berlin_time_switches_on_the_last_sundays_of_march_and_october():
    from flinkey_sandbox.timeutil import berlin_local

    def local(text):
        return berlin_local(datetime.fromisoformat(text)).isoformat()

    assert local("2026-03-29T00:59:59Z") == "2026-03-29T01:59:59"
    assert local("2026-03-29T01:00:00Z") == "2026-03-29T03:00:00"
    assert local("2026-10-25T00:59:59Z") == "2026-10-25T02:59:59"
    assert local("2026-10-25T01:00:00Z") == "2026-10-25T02:00:00"
    assert local("2026-01-15T12:00:00Z") == "2026-01-15T13:00:00"


def test_seeded_events_come_in_open_close_pairs_by_users_of_the_customer(api, sandbox):
    events = api.get(f"/cars/{DEMO.car_id}/events").json()
    users = {u for u, c in sandbox.store.users.items() if c == DEMO.customer_id}
    assert {e["userId"] for e in events} <= users
    opened = [e for e in events if e["type"] == "CarOpened"]
    closed = [e for e in events if e["type"] == "CarClosed"]
    assert abs(len(opened) - len(closed)) <= 1
    # Every agent is one of the seed's cast; mostly the drivers' phone apps.
    agents = [e["userAgent"] for e in events]
    assert set(agents) <= {*USER_AGENTS, PORTAL_AGENT, INTEGRATION_AGENT, DEMO.hostile_user_agent}
    assert sum(agent in USER_AGENTS for agent in agents) > len(agents) / 2
    first = datetime.fromisoformat(events[0]["utcDateTime"])
    assert sandbox.anchor - timedelta(days=14, hours=1) <= first
    assert all(datetime.fromisoformat(e["utcDateTime"]) <= sandbox.anchor for e in events)


def test_events_of_unknown_or_foreign_car_are_an_empty_array(api):
    assert api.get("/cars/999999/events").json() == []
    assert api.get(f"/cars/{DEMO.other_car_id}/events").json() == []
    assert api.get(f"/cars/{DEMO.iq_only_car_id}/events").json() == []


def test_events_paging_with_skip_and_top(api):
    everything = api.get(f"/cars/{DEMO.car_id}/events").json()
    page = api.get(f"/cars/{DEMO.car_id}/events", {"$skip": "10", "$top": "5"}).json()
    assert page == everything[10:15]


def test_events_newest_first_and_filter_by_date_time_literal(api, sandbox):
    since = (sandbox.anchor - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reply = api.get(
        f"/cars/{DEMO.car_id}/events",
        {
            "$filter": f"utcDateTime ge {since} and type eq 'CarClosed'",
            "$orderby": "utcDateTime desc",
        },
    )
    events = reply.json()
    assert events
    stamps = [e["utcDateTime"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert all(s >= since for s in stamps)
    assert {e["type"] for e in events} == {"CarClosed"}


def test_get_event_returns_one_event(api):
    first = api.get(f"/cars/{DEMO.car_id}/events", {"$top": "1"}).json()[0]
    reply = api.get(f"/events/{first['id']}")
    assert reply.status == 200
    assert reply.json() == first
    assert set(api.get(f"/events/{first['id']}", {"$select": "id,type"}).json()) == {"id", "type"}


def test_get_event_unable_to_find_an_event_for_the_given_event_id(api):
    assert_text(api.get("/events/1"), 404, NOT_FOUND)
    hamburg_car = next(
        c["id"]
        for c in api.get("/cars", customer=DEMO.other_customer_id).json()
        if api.get(f"/cars/{c['id']}/events", customer=DEMO.other_customer_id).json()
    )
    foreign = api.get(f"/cars/{hamburg_car}/events", customer=DEMO.other_customer_id).json()[0]
    assert_text(api.get(f"/events/{foreign['id']}"), 404, NOT_FOUND)


def test_non_integer_event_id_is_404(api):
    assert_text(api.get("/events/latest"), 404, "Resource not found.")


def test_create_event_answers_201_with_id_and_stores_it(api):
    reply = api.call("PUT", "/events", json_body=valid_event())
    assert reply.status == 201
    assert reply.content_type == JSON
    new_id = reply.json()["id"]
    event = api.get(f"/events/{new_id}").json()
    assert event == {
        "id": new_id,
        "dateTime": "2026-07-01T14:30:00",
        "utcDateTime": "2026-07-01T12:30:00Z",
        "userId": DEMO.user_id,
        "carId": DEMO.box_only_car_id,
        "type": "CarOpened",
        "userAgent": "fleetadmin-tests/1.0",
        "latitude": 48.1374,
        "longitude": 11.5755,
    }
    assert api.get(f"/cars/{DEMO.box_only_car_id}/events").json()[-1] == event


def test_create_event_without_coordinates(api):
    body = valid_event(latitude=..., longitude=None, type="CarClosed")
    new_id = api.call("PUT", "/events", json_body=body).json()["id"]
    event = api.get(f"/events/{new_id}").json()
    assert event["latitude"] is None and event["longitude"] is None


def test_create_event_normalises_utc_offsets(api):
    body = valid_event(utcDateTime="2026-07-01T14:30:00+02:00")
    new_id = api.call("PUT", "/events", json_body=body).json()["id"]
    assert api.get(f"/events/{new_id}").json()["utcDateTime"] == "2026-07-01T12:30:00Z"


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"type": "CarStarted"}, "Couldn't create event. No valid type provided."),
        ({"type": ...}, "Couldn't create event. No valid type provided."),
        ({"type": None}, "Couldn't create event. No valid type provided."),
        ({"dateTime": "yesterday"}, "Couldn't create event. No valid dateTime provided."),
        ({"dateTime": ...}, "Couldn't create event. No valid dateTime provided."),
        ({"dateTime": 1700000000}, "Couldn't create event. No valid dateTime provided."),
        (
            {"utcDateTime": "2026-13-01T00:00:00Z"},
            "Couldn't create event. No valid utcDateTime provided.",
        ),
        ({"utcDateTime": ...}, "Couldn't create event. No valid utcDateTime provided."),
        ({"userAgent": ""}, "Couldn't create event. No valid userAgent provided."),
        ({"userAgent": ...}, "Couldn't create event. No valid userAgent provided."),
        ({"userAgent": 5}, "Couldn't create event. No valid userAgent provided."),
    ],
)
def test_create_event_bad_request_sentences(api, changes, sentence):
    assert_text(api.call("PUT", "/events", json_body=valid_event(**changes)), 400, sentence)


def test_create_event_validates_in_the_documented_order(api):
    everything_wrong = valid_event(
        type="x", dateTime="x", utcDateTime="x", userAgent="", carId=1, userId=1
    )
    order = [
        ("type", "CarOpened", "No valid dateTime provided."),
        ("dateTime", "2026-07-01T14:30:00", "No valid utcDateTime provided."),
        ("utcDateTime", "2026-07-01T12:30:00Z", "No valid userAgent provided."),
        ("userAgent", "x", "Unable to find a car"),
        ("carId", DEMO.car_id, "Unable to find an user"),
    ]
    reply = api.call("PUT", "/events", json_body=everything_wrong)
    assert reply.text == "Couldn't create event. No valid type provided."
    for field, fixed, next_complaint in order:
        everything_wrong[field] = fixed
        reply = api.call("PUT", "/events", json_body=everything_wrong)
        assert next_complaint in reply.text, field


@pytest.mark.parametrize("car_id", [999999, DEMO.other_car_id, "2001", None])
def test_create_event_unable_to_find_a_car_for_the_given_car_id(api, car_id):
    assert_text(api.call("PUT", "/events", json_body=valid_event(carId=car_id)), 404, NO_CAR)


@pytest.mark.parametrize("user_id", [1, DEMO.other_user_id, str(DEMO.user_id), None])
def test_create_event_unable_to_find_an_user_for_the_given_user_id(api, user_id):
    assert_text(api.call("PUT", "/events", json_body=valid_event(userId=user_id)), 404, NO_USER)


def test_create_event_for_the_other_customer(api):
    body = valid_event(carId=DEMO.other_car_id, userId=DEMO.other_user_id)
    assert api.call("PUT", "/events", json_body=body, customer=DEMO.other_customer_id).status == 201


def test_create_event_with_non_json_content_type_is_415(api):
    reply = api.call("PUT", "/events", body=b"{}", content_type="application/x-www-form-urlencoded")
    assert_problem_415(reply)


def test_create_event_malformed_json_is_400(api):
    reply = api.call("PUT", "/events", body=b"{nope", content_type="application/json")
    assert_text(reply, 400, "The request body is not valid JSON.")


def test_reset_forgets_created_events(api, sandbox):
    before = api.get(f"/cars/{DEMO.box_only_car_id}/events").json()
    api.call("PUT", "/events", json_body=valid_event())
    sandbox.reset()
    api = type(api)(sandbox)
    assert api.get(f"/cars/{DEMO.box_only_car_id}/events").json() == before
