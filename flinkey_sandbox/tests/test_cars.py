"""Cars: get, list, create (PUT), update (PATCH), delete — shapes and every documented sentence."""

import pytest

from flinkey_sandbox import DEMO

from .helpers import JSON, assert_problem_415, assert_text

CAR_KEYS = {"id", "name", "description", "vin", "licensePlate", "brand", "model"}
CAR_NOT_FOUND = (
    "Unable to find a car for the given carId which is assigned to the given customerId."
)
NOT_ASSIGNED = "No car can be found for this carId that is assigned to this customerId."
NO_NAME = "Could not create car. No car name given."
BLANK_NAME = "Could not update car. The car name must not be null, empty or white space."


def test_get_cars_returns_array_of_cars(api):
    reply = api.get("/cars")
    assert reply.status == 200
    assert reply.content_type == JSON
    cars = reply.json()
    assert len(cars) >= 60
    for car in cars:
        assert set(car) == CAR_KEYS
        assert isinstance(car["id"], int)
        assert isinstance(car["name"], str) and car["name"].strip()
    # The other fields are strings or null, and the seed has both of each (the fleet is
    # fixed: 62 cars, whatever the anchor).
    for key in CAR_KEYS - {"id", "name"}:
        assert {type(car[key]) for car in cars} == {str, type(None)}, key
    assert [c["id"] for c in cars] == sorted(c["id"] for c in cars)


def test_get_cars_has_nulls_and_hostile_names(api):
    cars = api.get("/cars").json()
    for key in ("description", "vin", "licensePlate", "brand", "model"):
        assert any(c[key] is None for c in cars), key
    names = " ".join(c["name"] for c in cars)
    for needle in ("<img src=x onerror=alert(1)>", "&", '"', "'", "`", "${alert(1)}", "\\1"):
        assert needle in names


def test_get_car_returns_one_car(api):
    reply = api.get(f"/cars/{DEMO.car_id}")
    assert reply.status == 200
    car = reply.json()
    assert set(car) == CAR_KEYS
    assert car["id"] == DEMO.car_id


def test_get_car_select(api):
    reply = api.get(f"/cars/{DEMO.car_id}", {"$select": "name,id"})
    assert set(reply.json()) == {"id", "name"}


def test_get_car_unable_to_find_a_car_for_the_given_car_id(api):
    assert_text(api.get("/cars/999999"), 404, CAR_NOT_FOUND)
    # A car of another customer is not "assigned to the given customerId" either.
    assert_text(api.get(f"/cars/{DEMO.other_car_id}"), 404, CAR_NOT_FOUND)
    assert_text(api.get(f"/cars/{DEMO.hidden_car_id}"), 404, CAR_NOT_FOUND)


@pytest.mark.parametrize("car_id", ["abc", "1.5", "99999999999", "%20"])
def test_non_integer_car_id_is_404_plain_text(api, car_id):
    assert_text(api.get(f"/cars/{car_id}"), 404, "Resource not found.")


def test_create_car_answers_201_with_id_and_stores_it(api):
    body = {
        "name": "Neuer ID.7",
        "licensePlate": "M-SW 7E",
        "vin": "WVWZZZED5RE000001",
        "description": None,
        "brand": "Volkswagen",
        "model": "ID.7",
    }
    reply = api.call("PUT", "/cars", json_body=body)
    assert reply.status == 201
    assert reply.content_type == JSON
    new_id = reply.json()["id"]
    assert set(reply.json()) == {"id"} and isinstance(new_id, int)
    assert api.get(f"/cars/{new_id}").json() == {"id": new_id, **body}
    assert new_id in {c["id"] for c in api.get("/cars").json()}
    # Only the creating customer sees it.
    assert api.get(f"/cars/{new_id}", customer=DEMO.other_customer_id).status == 404


def test_create_car_with_only_a_name_fills_nulls(api):
    new_id = api.call("PUT", "/cars", json_body={"name": "Nur Name"}).json()["id"]
    car = api.get(f"/cars/{new_id}").json()
    assert car == dict.fromkeys(CAR_KEYS) | {"id": new_id, "name": "Nur Name"}


def test_create_car_ids_increase(api):
    first = api.call("PUT", "/cars", json_body={"name": "A"}).json()["id"]
    second = api.call("PUT", "/cars", json_body={"name": "B"}).json()["id"]
    assert second > first


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": ""}, {"name": "   "}, {"name": 5}])
def test_could_not_create_car_no_car_name_given(api, body):
    assert_text(api.call("PUT", "/cars", json_body=body), 400, NO_NAME)


def test_create_car_with_non_json_content_type_is_415(api):
    reply = api.call("PUT", "/cars", body=b'{"name": "x"}', content_type="text/plain")
    assert_problem_415(reply)
    assert_problem_415(api.call("PUT", "/cars", body=b"name=x"))  # no content type at all


def test_create_car_accepts_json_with_charset(api):
    reply = api.call(
        "PUT", "/cars", body=b'{"name": "x"}', content_type="application/json; charset=utf-8"
    )
    assert reply.status == 201


def test_create_car_malformed_json_is_400_plain_text(api):
    assert_text(
        api.call("PUT", "/cars", body=b'{"name": ', content_type="application/json"),
        400,
        "The request body is not valid JSON.",
    )


def test_create_car_body_must_be_an_object(api):
    reply = api.call("PUT", "/cars", json_body=["x"])
    assert reply.status == 400 and reply.content_type.startswith("text/plain")


def test_update_car_replace_and_remove_answers_204(api):
    ops = [
        {"op": "replace", "path": "/name", "value": "Umbenannt"},
        {"op": "replace", "path": "/licensePlate", "value": "M-XY 1"},
        {"op": "remove", "path": "/description"},
        {"op": "replace", "path": "/vin", "value": None},
    ]
    reply = api.call("PATCH", f"/cars/{DEMO.car_id}", json_body=ops)
    assert reply.status == 204
    assert reply.body == b""
    car = api.get(f"/cars/{DEMO.car_id}").json()
    assert car["name"] == "Umbenannt"
    assert car["licensePlate"] == "M-XY 1"
    assert car["description"] is None and car["vin"] is None


def test_update_car_with_empty_patch_changes_nothing(api):
    before = api.get(f"/cars/{DEMO.car_id}").json()
    assert api.call("PATCH", f"/cars/{DEMO.car_id}", json_body=[]).status == 204
    assert api.get(f"/cars/{DEMO.car_id}").json() == before


@pytest.mark.parametrize(
    "op",
    [
        {"op": "remove", "path": "/name"},
        {"op": "replace", "path": "/name", "value": None},
        {"op": "replace", "path": "/name", "value": ""},
        {"op": "replace", "path": "/name", "value": " \t"},
    ],
)
def test_could_not_update_car_the_car_name_must_not_be_null_empty_or_white_space(api, op):
    before = api.get(f"/cars/{DEMO.car_id}").json()
    patch = [{"op": "replace", "path": "/brand", "value": "Changed"}, op]
    assert_text(api.call("PATCH", f"/cars/{DEMO.car_id}", json_body=patch), 400, BLANK_NAME)
    assert api.get(f"/cars/{DEMO.car_id}").json() == before  # nothing applied


def test_update_car_no_car_can_be_found_for_this_car_id(api):
    patch = [{"op": "replace", "path": "/name", "value": "x"}]
    assert_text(api.call("PATCH", "/cars/999999", json_body=patch), 404, NOT_ASSIGNED)
    assert_text(api.call("PATCH", f"/cars/{DEMO.other_car_id}", json_body=patch), 404, NOT_ASSIGNED)


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "replace", "path": "/name", "value": "x"},  # not an array
        [{"op": "add", "path": "/name", "value": "x"}],
        [{"op": "replace", "path": "/id", "value": "5"}],
        [{"op": "replace", "path": "/color", "value": "red"}],
        [{"op": "replace", "path": "/brand", "value": 5}],
        ["replace"],
    ],
)
def test_update_car_bad_patch_document_is_400_plain_text(api, patch):
    reply = api.call("PATCH", f"/cars/{DEMO.car_id}", json_body=patch)
    assert reply.status == 400
    assert reply.content_type.startswith("text/plain")
    assert reply.text.startswith("Could not update car. The patch document is invalid")


def test_update_car_with_non_json_content_type_is_415(api):
    reply = api.call("PATCH", f"/cars/{DEMO.car_id}", body=b"[]", content_type="application/xml")
    assert_problem_415(reply)


def test_update_car_accepts_json_patch_media_type(api):
    reply = api.call(
        "PATCH", f"/cars/{DEMO.car_id}", body=b"[]", content_type="application/json-patch+json"
    )
    assert reply.status == 204


def test_delete_car_answers_204_and_removes_products_location_and_events(api, sandbox):
    event_ids = [e["id"] for e in api.get(f"/cars/{DEMO.car_id}/events").json()]
    assert event_ids
    reply = api.call("DELETE", f"/cars/{DEMO.car_id}")
    assert reply.status == 204 and reply.body == b""
    assert_text(api.get(f"/cars/{DEMO.car_id}"), 404, CAR_NOT_FOUND)
    assert_text(api.get(f"/cars/{DEMO.car_id}/products"), 404, NOT_ASSIGNED)
    assert_text(api.get(f"/cars/{DEMO.car_id}/location"), 404, NOT_ASSIGNED)
    assert api.get(f"/cars/{DEMO.car_id}/events").json() == []
    assert api.get(f"/events/{event_ids[0]}").status == 404
    assert DEMO.car_id not in {c["id"] for c in api.get("/cars").json()}


def test_delete_car_no_car_can_be_found_for_this_car_id(api):
    assert_text(api.call("DELETE", "/cars/999999"), 404, NOT_ASSIGNED)
    assert_text(api.call("DELETE", f"/cars/{DEMO.other_car_id}"), 404, NOT_ASSIGNED)
    assert api.get(f"/cars/{DEMO.other_car_id}", customer=DEMO.other_customer_id).status == 200


def test_reset_restores_created_patched_and_deleted_cars(api, sandbox):
    before = api.get("/cars").json()
    api.call("PUT", "/cars", json_body={"name": "temporär"})
    api.call("PATCH", "/cars/2005", json_body=[{"op": "replace", "path": "/name", "value": "x"}])
    api.call("DELETE", f"/cars/{DEMO.car_id}")
    sandbox.reset()
    api = type(api)(sandbox)  # the old token is gone with the reset
    assert api.get("/cars").json() == before
    assert (
        api.call("PUT", "/cars", json_body={"name": "again"}).json()["id"]
        == max(c["id"] for c in before) + 18
    )  # the seeded Hamburg and Stuttgart cars hold the ids in between


def test_unicode_names_round_trip(api):
    name = "Škoda Müller-Lüdenscheidt 🚗 ${x} `y` <b>"
    new_id = api.call("PUT", "/cars", json_body={"name": name}).json()["id"]
    assert api.get(f"/cars/{new_id}").json()["name"] == name
