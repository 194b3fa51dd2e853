"""Cursor paging over a car's events, the indexed fast path, and the 100,000-event car."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from flinkey_sandbox import DEMO, Sandbox, odata
from flinkey_sandbox.api import EVENT_SCHEMA

from .helpers import Api

pytestmark = pytest.mark.slow  # the 100,000-event car

ANCHOR = datetime(2026, 11, 1, 12, tzinfo=UTC)
CAR = DEMO.large_event_car_id
NEWEST_FIRST = "utcDateTime desc,id desc"


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cursor_filter(event: dict) -> str:
    t = event["utcDateTime"]
    return f"utcDateTime lt {t} or (utcDateTime eq {t} and id lt {event['id']})"


def put_event(api, moment: datetime, kind="CarOpened", **changes):
    body = {
        "dateTime": moment.replace(tzinfo=None).isoformat(),
        "utcDateTime": z(moment),
        "userId": DEMO.user_id,
        "carId": CAR,
        "type": kind,
        "userAgent": "fleetadmin-tests/1.0",
        "latitude": 48.1,
        "longitude": 11.5,
        **changes,
    }
    reply = api.call("PUT", "/events", json_body=body)
    assert reply.status == 201, reply.text
    return reply.json()["id"]


@pytest.fixture(scope="module")
def small():
    """A sandbox whose large-event car has a small archive (quick to compare in full)."""
    with Sandbox(anchor=ANCHOR, large_event_car=3000) as sandbox:
        yield sandbox


@pytest.fixture
def small_api(small):
    small.reset()
    yield Api(small)
    small.reset()


def every_row(sandbox) -> list[dict]:
    store = sandbox.store
    return [store.event(i) for i in store.car_events[CAR]]


QUERIES = [
    {},
    {"$top": "5"},
    {"$skip": "2990", "$top": "30"},
    {"$orderby": "id desc", "$top": "7"},
    {"$orderby": "id", "$filter": "type eq 'CarClosed'", "$skip": "3", "$top": "4"},
    {"$orderby": NEWEST_FIRST, "$top": "26"},
    {"$orderby": "utcDateTime desc", "$top": "26", "$skip": "1"},
    {"$orderby": "utcDateTime", "$top": "10"},
    {"$orderby": "utcDateTime asc,id asc", "$top": "10", "$select": "id,type"},
    {"$orderby": "type,utcDateTime desc", "$top": "10"},  # no index: the general path
    {"$filter": "userId eq 302 and type eq 'CarOpened'", "$orderby": NEWEST_FIRST, "$top": "26"},
    {"$filter": "utcDateTime ge 2025-06-01T00:00:00Z and utcDateTime le 2025-06-08T00:00:00Z"},
    {"$filter": "2025-06-01T00:00:00Z lt utcDateTime", "$orderby": "utcDateTime", "$top": "3"},
    {"$filter": "not (utcDateTime lt 2026-10-20T00:00:00Z)", "$orderby": NEWEST_FIRST},
    {"$filter": "utcDateTime gt 2030-01-01T00:00:00Z", "$orderby": NEWEST_FIRST},
    {"$filter": "id lt 100005 and utcDateTime ge 2020-01-01T00:00:00Z", "$orderby": "id desc"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_indexed_answers_equal_filtering_and_sorting_every_row(small, small_api, query):
    # Ties and back-dated writes: several events at one instant, some far in the past.
    tie = datetime(2026, 10, 30, 9, 15, tzinfo=UTC)
    for moment in (tie, tie, tie, datetime(2025, 6, 3, 8, tzinfo=UTC), tie + timedelta(hours=1)):
        put_event(small_api, moment)
    tied = small_api.get(
        f"/cars/{CAR}/events", {"$filter": f"utcDateTime eq {z(tie)}", "$orderby": "id"}
    ).json()
    cursors = [
        {"$filter": cursor_filter(tied[1]), "$orderby": NEWEST_FIRST, "$top": "26"},
        {"$filter": cursor_filter(tied[1]), "$orderby": "utcDateTime desc", "$top": "5"},
        {
            "$filter": f"type eq 'CarOpened' and ({cursor_filter(tied[2])})",
            "$orderby": NEWEST_FIRST,
        },
    ]
    for q in [query, *cursors]:
        reply = small_api.get(f"/cars/{CAR}/events", q)
        assert reply.status == 200, reply.text
        expected = odata.apply(every_row(small), odata.parse_options(q.items(), EVENT_SCHEMA))
        assert reply.json() == expected, q


@pytest.mark.parametrize(
    "literal", ["2026-10-25T10:00:00Z", "2026-10-25T10:00:00.000Z", "2026-10-25T11:00:00+01:00"]
)
def test_date_time_literals_as_odata_writes_them(small_api, literal):
    query = {"$filter": f"utcDateTime lt {literal}", "$orderby": NEWEST_FIRST, "$top": "3"}
    events = small_api.get(f"/cars/{CAR}/events", query).json()
    assert len(events) == 3 and all(e["utcDateTime"] < "2026-10-25T10:00:00Z" for e in events)


def walk(api, query=None, page=26, between=None):
    """Every event by cursor, newest first; `between(n)` runs after page n."""
    seen, cursor, n = [], None, 0
    while True:
        q = {"$orderby": NEWEST_FIRST, "$top": str(page)}
        conditions = [c for c in (query, cursor) if c]
        if conditions:
            q["$filter"] = " and ".join(f"({c})" for c in conditions)
        rows = api.get(f"/cars/{CAR}/events", q).json()
        seen.extend(rows)
        if len(rows) < page:
            return seen
        cursor = cursor_filter(rows[-1])
        n += 1
        if between:
            between(n)


def test_cursor_paging_has_no_duplicates_and_no_gaps_while_events_arrive(small, small_api):
    before = {e["id"] for e in every_row(small)}
    added = []

    def arrive(n):
        if n % 10 == 0:  # new events keep coming in while someone scrolls back
            added.append(put_event(small_api, ANCHOR - timedelta(minutes=n)))
            added.append(put_event(small_api, ANCHOR + timedelta(seconds=n), "CarClosed"))

    seen = walk(small_api, between=arrive)
    ids = [e["id"] for e in seen]
    assert len(ids) == len(set(ids))  # no duplicates
    assert before <= set(ids)  # no gaps
    keys = [(e["utcDateTime"], e["id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)
    assert added and not set(added) & set(ids[: len(ids) // 2])  # newer than the cursor


def test_cursor_paging_with_type_and_user_filters(small, small_api):
    query = f"type eq 'CarOpened' and userId ne {DEMO.integration_user_id}"
    seen = walk(small_api, query, page=50)
    expected = [
        e
        for e in every_row(small)
        if e["type"] == "CarOpened" and e["userId"] != DEMO.integration_user_id
    ]
    assert sorted(e["id"] for e in seen) == sorted(e["id"] for e in expected)


def test_archived_events_are_events_like_any_other(small, small_api):
    archive = small.store.car_events[CAR].archive
    first = small_api.get(f"/events/{archive.first_id}").json()
    assert first["carId"] == CAR and first["id"] == archive.first_id
    assert first["utcDateTime"] < z(ANCHOR - timedelta(days=14))
    assert (
        small_api.get(f"/events/{archive.first_id}", customer=DEMO.other_customer_id).status == 404
    )
    assert small_api.call("DELETE", f"/cars/{CAR}").status == 204
    assert small_api.get(f"/events/{archive.first_id}").status == 404
    small.reset()
    assert Api(small).get(f"/events/{archive.first_id}").json() == first


def test_large_event_car_pages_fast_over_100000_events():
    started = time.monotonic()
    sandbox = Sandbox(anchor=ANCHOR, large_event_car=True)
    startup = time.monotonic() - started
    # The events are made on first use, not here: generous for a loaded machine.
    assert startup < 8
    assert len(sandbox.store.car_events[CAR]) >= 100_000
    with sandbox:
        api = Api(sandbox)
        api.access_token()
        started = time.monotonic()
        page = api.get(f"/cars/{CAR}/events", {"$orderby": NEWEST_FIRST, "$top": "26"}).json()
        first = time.monotonic() - started  # includes making the 100,000 events
        timings = []
        for _ in range(40):
            query = {"$filter": cursor_filter(page[-1]), "$orderby": NEWEST_FIRST, "$top": "26"}
            started = time.monotonic()
            page = api.get(f"/cars/{CAR}/events", query).json()
            timings.append(time.monotonic() - started)
        deep = {
            "$filter": "utcDateTime lt 2022-03-01T10:00:00Z or "
            "(utcDateTime eq 2022-03-01T10:00:00Z and id lt 12345)",
            "$orderby": NEWEST_FIRST,
            "$top": "26",
        }
        started = time.monotonic()
        old = api.get(f"/cars/{CAR}/events", deep).json()
        deep_time = time.monotonic() - started
        typed = {**deep, "$filter": f"type eq 'CarClosed' and ({deep['$filter']})"}
        started = time.monotonic()
        closed = api.get(f"/cars/{CAR}/events", typed).json()
        typed_time = time.monotonic() - started
    print(
        f"\nSandbox(large_event_car=True): start {startup:.2f} s, first page {first * 1000:.0f} ms"
        f" (makes the events), cursor pages median {sorted(timings)[20] * 1000:.1f} ms,"
        f" max {max(timings) * 1000:.1f} ms, deep cursor {deep_time * 1000:.1f} ms,"
        f" deep cursor + type {typed_time * 1000:.1f} ms"
    )
    assert len(old) == 26 and old[0]["utcDateTime"] < "2022-03-01T10:00:00Z"
    assert len(closed) == 26 and {e["type"] for e in closed} == {"CarClosed"}
    # A cursor page is a seek, not a scan of 100,000 events: generous for a loaded machine.
    assert first < 10 and max(timings) < 1.0 and deep_time < 1.0 and typed_time < 1.0
