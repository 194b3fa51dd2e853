"""Products of a car and its location (latest and nearest to a searchDate)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from flinkey_sandbox import DEMO

from .helpers import JSON, assert_text

NOT_ASSIGNED = "No car can be found for this carId that is assigned to this customerId."
NO_PRODUCTS = "No products are assigned to this car."
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
LOCATION_KEYS = {"latitude", "longitude", "date", "odometerDate", "odometer"}


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_get_products_of_car_returns_box_and_iq(api):
    reply = api.get(f"/cars/{DEMO.car_id}/products")
    assert reply.status == 200
    assert reply.content_type == JSON
    products = reply.json()
    assert sorted(p["type"] for p in products) == ["flinkey Box", "flinkey IQ"]
    for product in products:
        assert set(product) == {
            "id",
            "uniqueId",
            "serialNumber",
            "sapNumber",
            "dongleTerminationTimeStamp",
            "type",
        }
        assert isinstance(product["id"], int)
        for key in ("uniqueId", "serialNumber", "sapNumber"):
            assert isinstance(product[key], str) and product[key]
        # Both of DEMO.car_id's devices have a service end (other cars' may have none).
        assert ISO_Z.match(product["dongleTerminationTimeStamp"])


def test_every_car_has_at_most_one_product_of_each_type(api):
    for car in api.get("/cars").json():
        reply = api.get(f"/cars/{car['id']}/products")
        if reply.status == 404:
            assert reply.text == NO_PRODUCTS
            continue
        types = [p["type"] for p in reply.json()]
        assert len(types) == len(set(types)) and set(types) <= {"flinkey Box", "flinkey IQ"}


def test_service_ends_spread_over_past_soon_later_and_null(sandbox):
    now = sandbox.anchor
    ends = [
        p["dongleTerminationTimeStamp"]
        for products in sandbox.store.products.values()
        for p in products
    ]
    moments = [datetime.fromisoformat(e) for e in ends if e]
    assert None in ends
    assert any(m < now for m in moments)
    assert any(now < m <= now + timedelta(days=31) for m in moments)
    assert sum(m > now + timedelta(days=300) for m in moments) > len(moments) / 2


def test_no_products_are_assigned_to_this_car(api):
    assert_text(api.get(f"/cars/{DEMO.bare_car_id}/products"), 404, NO_PRODUCTS)


def test_products_of_unknown_car_no_car_can_be_found(api):
    assert_text(api.get("/cars/999999/products"), 404, NOT_ASSIGNED)
    assert_text(api.get(f"/cars/{DEMO.other_car_id}/products"), 404, NOT_ASSIGNED)


def test_products_accept_odata(api):
    reply = api.get(
        f"/cars/{DEMO.car_id}/products",
        {"$filter": "type eq 'flinkey IQ'", "$select": "serialNumber,type"},
    )
    products = reply.json()
    assert len(products) == 1
    assert set(products[0]) == {"serialNumber", "type"}


def test_products_filter_on_date_time_literal(api, sandbox):
    cutoff = z(sandbox.anchor + timedelta(days=31))
    for car in (DEMO.car_id, DEMO.box_only_car_id):
        reply = api.get(
            f"/cars/{car}/products", {"$filter": f"dongleTerminationTimeStamp lt {cutoff}"}
        )
        assert reply.status == 200
        for product in reply.json():
            assert product["dongleTerminationTimeStamp"] < cutoff


def test_get_location_returns_latest_sample_with_string_numbers(api, sandbox):
    reply = api.get(f"/cars/{DEMO.car_id}/location")
    assert reply.status == 200
    assert reply.content_type == JSON
    location = reply.json()
    assert set(location) == LOCATION_KEYS
    # DEMO.car_id never loses the GPS fix, and its IQ always reports the odometer.
    for key in ("latitude", "longitude", "odometer"):
        assert isinstance(location[key], str) and DECIMAL.match(location[key]), key
    assert ISO_Z.match(location["date"]) and ISO_Z.match(location["odometerDate"])
    history = sandbox.store.locations[DEMO.car_id]
    assert location["date"] == z(datetime.fromtimestamp(history.times[-1], UTC))
    # DEMO.car_id reports at least hourly (every 1-2 minutes while it drives).
    assert sandbox.anchor - timedelta(minutes=61) <= datetime.fromisoformat(location["date"])
    assert datetime.fromisoformat(location["date"]) <= sandbox.anchor


def test_location_is_in_munich(api):
    location = api.get(f"/cars/{DEMO.car_id}/location").json()
    if location["latitude"] is not None:
        assert 47.9 < float(location["latitude"]) < 48.5
        assert 11.2 < float(location["longitude"]) < 12.0


def test_location_of_specific_date_answers_the_nearest_sample(api, sandbox):
    history = sandbox.store.locations[DEMO.car_id]
    times = list(history.times)
    # Pairs at least 6 s apart: the four probes below are then distinct and unambiguous.
    # (Samples can be 1 s apart, depending on the hour the sandbox starts at.)
    pairs = [i for i in range(len(times) - 1) if times[i + 1] - times[i] >= 6]
    for i in (pairs[0], pairs[17], pairs[len(pairs) // 2], pairs[-1]):
        before, after = times[i], times[i + 1]
        for probe, expected in (
            (before + 1, before),
            (after - 1, after),
            (before + (after - before) // 2 - 1, before),
            (before + (after - before) // 2 + 2, after),
        ):
            search = z(datetime.fromtimestamp(probe, UTC))
            body = api.get(f"/cars/{DEMO.car_id}/location/{search}").json()
            assert body["date"] == z(datetime.fromtimestamp(expected, UTC)), (i, search)


def test_location_before_first_and_after_last_sample(api, sandbox):
    history = sandbox.store.locations[DEMO.car_id]
    first = z(datetime.fromtimestamp(history.times[0], UTC))
    last = z(datetime.fromtimestamp(history.times[-1], UTC))
    assert api.get(f"/cars/{DEMO.car_id}/location/2000-01-01T00:00:00Z").json()["date"] == first
    assert api.get(f"/cars/{DEMO.car_id}/location/2999-01-01T00:00:00Z").json()["date"] == last


def test_location_odometer_grows_with_time(api, sandbox):
    history = sandbox.store.locations[DEMO.car_id]
    readings = []
    for ts in (history.times[0], history.times[len(history) // 2], history.times[-1]):
        search = z(datetime.fromtimestamp(ts, UTC))
        readings.append(float(api.get(f"/cars/{DEMO.car_id}/location/{search}").json()["odometer"]))
    assert readings[0] < readings[1] < readings[2]


def test_location_search_date_may_be_percent_encoded(api):
    reply = api.get(f"/cars/{DEMO.car_id}/location/2026-01-01T00%3A00%3A00Z")
    assert reply.status == 200


@pytest.mark.parametrize(
    "search",
    [
        "2026-01-01",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:00:00+01:00",
        "2026-01-01%2000:00:00Z",
        "2026-1-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "yesterday",
        "2026-01-01T00:00:00z",
    ],
)
def test_location_invalid_date_format(api, search):
    assert_text(api.get(f"/cars/{DEMO.car_id}/location/{search}"), 400, "Invalid date format.")


def test_location_no_products_are_assigned_to_this_car(api):
    assert_text(api.get(f"/cars/{DEMO.bare_car_id}/location"), 404, NO_PRODUCTS)
    assert_text(
        api.get(f"/cars/{DEMO.bare_car_id}/location/2026-01-01T00:00:00Z"), 404, NO_PRODUCTS
    )


def test_location_of_unknown_car_no_car_can_be_found(api):
    assert_text(api.get("/cars/999999/location"), 404, NOT_ASSIGNED)
    assert_text(api.get("/cars/999999/location/2026-01-01T00:00:00Z"), 404, NOT_ASSIGNED)


def test_location_of_car_with_box_only_is_all_null(api):
    reply = api.get(f"/cars/{DEMO.box_only_car_id}/location")
    assert reply.status == 200
    assert reply.json() == dict.fromkeys(LOCATION_KEYS)


def test_location_of_car_with_iq_only(api):
    assert api.get(f"/cars/{DEMO.iq_only_car_id}/location").json()["date"] is not None


def test_some_samples_have_no_coordinates(sandbox):
    import math

    missing = sum(
        math.isnan(lat) for history in sandbox.store.locations.values() for lat in history.lats
    )
    assert missing > 0


def test_location_null_coordinates_are_json_null(api, sandbox):
    import math

    for car_id, history in sandbox.store.locations.items():
        gaps = [i for i, lat in enumerate(history.lats) if math.isnan(lat)]
        if gaps and sandbox.store.customer_of_car(car_id) == DEMO.customer_id:
            search = z(datetime.fromtimestamp(history.times[gaps[0]], UTC))
            body = api.get(f"/cars/{car_id}/location/{search}").json()
            assert body["latitude"] is None and body["longitude"] is None
            assert body["odometer"] is not None
            return
    pytest.fail("no gap in the Munich histories")


def test_location_select(api):
    body = api.get(f"/cars/{DEMO.car_id}/location", {"$select": "latitude,longitude"}).json()
    assert set(body) == {"latitude", "longitude"}


def test_location_refuses_collection_options(api):
    reply = api.get(f"/cars/{DEMO.car_id}/location", {"$top": "1"})
    assert reply.status == 400
    assert reply.text.startswith("The query specified in the URI is not valid.")


def test_hamburg_cars_move_through_hamburg(api, sandbox):
    for car in api.get("/cars", customer=DEMO.other_customer_id).json():
        if car["id"] in sandbox.store.locations:
            body = api.get(f"/cars/{car['id']}/location", customer=DEMO.other_customer_id).json()
            if body["latitude"] is not None:
                assert 53.3 < float(body["latitude"]) < 53.8
                assert 9.6 < float(body["longitude"]) < 10.3
                return
    pytest.fail("no Hamburg car with a location")
