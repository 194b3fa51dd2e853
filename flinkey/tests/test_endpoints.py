"""Every endpoint against the sandbox: typed results and each documented error sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flinkey import (
    AuthenticationError,
    BadRequestError,
    Car,
    Customer,
    Event,
    Location,
    NotFoundError,
    Page,
    Product,
    Query,
    ServerError,
    UnsupportedMediaTypeError,
    odata,
)
from flinkey_sandbox import DEMO

# The vendor's sentences (seed pages), which the client must hand through unchanged.
NO_MANAGER = "Unable to find a manager for the given OAuth ID claim data."
CAR_NOT_FOUND = (
    "Unable to find a car for the given carId which is assigned to the given customerId."
)
CAR_NOT_ASSIGNED = "No car can be found for this carId that is assigned to this customerId."
NO_PRODUCTS = "No products are assigned to this car."
NO_CAR_NAME = "Could not create car. No car name given."
BLANK_CAR_NAME = "Could not update car. The car name must not be null, empty or white space."
INVALID_DATE = "Invalid date format."
EVENT_NOT_FOUND = (
    "Unable to find an event for the given eventId which is assigned to the given customerId."
)
EVENT_BAD_TYPE = "Couldn't create event. No valid type provided."
EVENT_BAD_DATETIME = "Couldn't create event. No valid dateTime provided."
EVENT_BAD_UTC = "Couldn't create event. No valid utcDateTime provided."
EVENT_BAD_AGENT = "Couldn't create event. No valid userAgent provided."
EVENT_NO_CAR = (
    "Couldn't create event. Unable to find a car for the given carId "
    "which is assigned to the given customerId."
)
EVENT_NO_USER = (
    "Couldn't create event. Unable to find an user for the given userId "
    "which is assigned to the given customerId."
)
BAD_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
UNKNOWN_ID = 999_999
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def raw(client, method, path, body):
    """Send a body the public methods refuse to build, to see the API's own answer."""
    return client._request(method, path, json=body)


def event_body(**changes):
    body = {
        "dateTime": "2026-03-01T13:00:00",
        "utcDateTime": "2026-03-01T12:00:00Z",
        "userId": DEMO.user_id,
        "carId": DEMO.car_id,
        "type": "CarOpened",
        "userAgent": "fleetadmin tests",
    }
    body.update(changes)
    return body


# --- customers ------------------------------------------------------------------------------


def test_list_customers_returns_typed_customers_without_customer_header(client, sandbox):
    customers = client.list_customers()
    assert customers == [
        Customer(DEMO.customer_id, DEMO.customer_name),
        Customer(DEMO.other_customer_id, DEMO.other_customer_name),
    ]
    record = sandbox.requests[-1]
    assert (record.method, record.path, record.customer_id) == ("GET", "/customers", None)


def test_list_customers_needs_no_customer_id(make_client):
    client = make_client(customer_id=None)
    assert len(client.list_customers(Query(filter=odata.startswith("name", "Hanse")))) == 1


# --- cars -----------------------------------------------------------------------------------


def test_list_cars_returns_every_car_as_a_frozen_dataclass(client, sandbox):
    cars = client.list_cars()
    assert len(cars) == 62
    assert all(isinstance(car, Car) for car in cars)
    assert all(isinstance(car.id, int) and car.name for car in cars)
    assert "O'Brien's ID.3" in {car.name for car in cars}
    assert any(car.license_plate for car in cars)
    with pytest.raises(AttributeError):
        cars[0].name = "changed"
    assert sandbox.requests[-1].customer_id == DEMO.customer_id


def test_list_cars_of_another_customer(make_client):
    assert len(make_client(customer_id=DEMO.other_customer_id).list_cars()) == 12


def test_list_cars_with_query(client, sandbox):
    query = Query(
        filter=odata.contains(odata.tolower("brand"), "volkswagen"),
        orderby=("-name",),
        top=3,
        select=("id", "name"),
    )
    cars = client.list_cars(query)
    assert len(cars) == 3
    assert [car.name for car in cars] == sorted((car.name for car in cars), reverse=True)
    assert all(car.brand is None for car in cars)  # not selected
    assert sandbox.requests[-1].query == {
        "$filter": "contains(tolower(brand),'volkswagen')",
        "$orderby": "name desc",
        "$top": "3",
        "$select": "id,name",
    }


def test_get_car(client):
    listed = {car.id: car for car in client.list_cars()}
    assert client.get_car(DEMO.car_id) == listed[DEMO.car_id]


@pytest.mark.parametrize("car_id", [UNKNOWN_ID, DEMO.other_car_id])
def test_get_car_unknown_or_of_another_customer(client, car_id):
    with pytest.raises(NotFoundError) as caught:
        client.get_car(car_id)
    assert (caught.value.status, caught.value.message) == (404, CAR_NOT_FOUND)
    assert caught.value.kind == "car"


def test_create_car_then_read_it_back(client):
    car_id = client.create_car(
        name="Neuer Golf", license_plate="M-FA 123", vin="WVWZZZCDZMW000001", brand="Volkswagen"
    )
    assert isinstance(car_id, int)
    assert client.get_car(car_id) == Car(
        id=car_id,
        name="Neuer Golf",
        description=None,
        vin="WVWZZZCDZMW000001",
        license_plate="M-FA 123",
        brand="Volkswagen",
        model=None,
    )


@pytest.mark.parametrize("name", ["", "   ", None])
def test_create_car_with_blank_name_is_refused_before_sending(client, sandbox, name):
    with pytest.raises(ValueError, match="name"):
        client.create_car(name=name)
    assert sandbox.request_count(method="PUT") == 0


def test_create_car_400_sentence_is_passed_through(client):
    with pytest.raises(BadRequestError) as caught:
        raw(client, "PUT", "/cars", {"name": "  "})
    assert (caught.value.status, caught.value.message) == (400, NO_CAR_NAME)
    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/cars"), ("PATCH", f"/cars/{DEMO.car_id}"), ("PUT", "/events")],
)
def test_415_problem_json_for_a_wrong_content_type(client, method, path):
    token = client.authenticate()
    response = client._send(
        method,
        path,
        headers={
            "flinkey-API-Key": DEMO.api_key,
            "Authorization": f"Bearer {token.access_token}",
            "Customer-ID": str(DEMO.customer_id),
            "Content-Type": "text/plain",
        },
        data=b"{}",
    )
    error = client._error(response)
    assert isinstance(error, UnsupportedMediaTypeError)
    assert (error.status, error.message) == (415, "Unsupported Media Type")


def test_update_car_replaces_and_removes(client):
    client.update_car(
        DEMO.car_id,
        {"name": "Umbenannt", "license_plate": "M-XY 1", "description": None, "vin": ""},
    )
    car = client.get_car(DEMO.car_id)
    assert (car.name, car.license_plate, car.description, car.vin) == (
        "Umbenannt",
        "M-XY 1",
        None,
        None,
    )


def test_update_car_with_no_changes_sends_nothing(client, sandbox):
    client.update_car(DEMO.car_id, {})
    assert sandbox.requests == []


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"name": ""}, "name"), ({"name": None}, "name"), ({"colour": "red"}, "colour")],
)
def test_update_car_refuses_blank_names_and_unknown_keys_locally(client, sandbox, changes, match):
    with pytest.raises(ValueError, match=match):
        client.update_car(DEMO.car_id, changes)
    assert sandbox.requests == []


def test_update_car_400_sentence_is_passed_through(client):
    with pytest.raises(BadRequestError) as caught:
        raw(client, "PATCH", f"/cars/{DEMO.car_id}", [{"op": "remove", "path": "/name"}])
    assert caught.value.message == BLANK_CAR_NAME
    assert caught.value.field == "name"


def test_update_unknown_car(client):
    with pytest.raises(NotFoundError) as caught:
        client.update_car(UNKNOWN_ID, {"brand": "Opel"})
    assert caught.value.message == CAR_NOT_ASSIGNED
    assert caught.value.kind == "car"


def test_delete_car(client):
    car_id = client.create_car(name="Kurzzeit")
    client.delete_car(car_id)
    with pytest.raises(NotFoundError):
        client.get_car(car_id)
    with pytest.raises(NotFoundError) as caught:
        client.delete_car(car_id)
    assert caught.value.message == CAR_NOT_ASSIGNED


# --- products and location ------------------------------------------------------------------


def test_list_products(client):
    products = client.list_products(DEMO.car_id)
    assert all(isinstance(product, Product) for product in products)
    assert {product.type for product in products} == {Product.BOX, Product.IQ}
    for product in products:
        assert isinstance(product.id, int) and product.serial_number
        # Both of DEMO.car_id's devices have a service end (other cars' may have none).
        end = product.service_ends_at
        assert end is not None and end.utcoffset() == timedelta(0)


def test_list_products_of_a_car_without_devices_is_empty(client):
    # The API answers 404 "No products are assigned to this car."; that is no products.
    assert client.list_products(DEMO.bare_car_id) == []


def test_list_products_of_an_unknown_car(client):
    with pytest.raises(NotFoundError) as caught:
        client.list_products(UNKNOWN_ID)
    assert caught.value.message == CAR_NOT_ASSIGNED


def test_latest_location_has_floats_and_aware_times(client):
    location = client.get_location(DEMO.car_id)
    assert isinstance(location, Location)
    assert isinstance(location.latitude, float) and 47 < location.latitude < 49
    assert isinstance(location.longitude, float) and 11 < location.longitude < 12
    assert isinstance(location.odometer, float)
    assert location.recorded_at.tzinfo is not None
    assert location.recorded_at.utcoffset() == timedelta(0)


def test_location_at_a_moment_uses_the_exact_search_date_format(client, sandbox):
    latest = client.get_location(DEMO.car_id)
    # An aware time in another zone is converted to UTC; the fraction is dropped.
    moment = (latest.recorded_at - timedelta(days=1, microseconds=-5)).astimezone(
        timezone(timedelta(hours=2))
    )
    earlier = client.get_location(DEMO.car_id, at=moment)
    expected = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sandbox.requests[-1].path == f"/cars/{DEMO.car_id}/location/{expected}"
    assert earlier.recorded_at < latest.recorded_at
    assert abs(earlier.recorded_at - moment) < timedelta(days=1)


def test_location_at_a_naive_moment_is_refused(client, sandbox):
    with pytest.raises(ValueError, match="timezone-aware"):
        client.get_location(DEMO.car_id, at=datetime(2026, 1, 1))
    assert sandbox.requests == []


def test_location_400_invalid_date_format(client):
    with pytest.raises(BadRequestError) as caught:
        client._request("GET", f"/cars/{DEMO.car_id}/location/2026-01-01")
    assert caught.value.message == INVALID_DATE
    assert caught.value.field is None  # names no field of ours


def test_location_of_a_car_without_products(client):
    with pytest.raises(NotFoundError) as caught:
        client.get_location(DEMO.bare_car_id)
    assert caught.value.message == NO_PRODUCTS
    assert caught.value.kind == "no_products"


def test_location_of_an_unknown_car(client):
    with pytest.raises(NotFoundError) as caught:
        client.get_location(UNKNOWN_ID)
    assert caught.value.message == CAR_NOT_ASSIGNED


def test_location_of_a_box_only_car_is_all_none(client):
    assert client.get_location(DEMO.box_only_car_id) == Location(None, None, None, None, None)


# --- events ---------------------------------------------------------------------------------


def all_events(client, car_id=DEMO.car_id):
    page = client.page_events(car_id, Query(orderby=("id",)), page_size=1000)
    assert not page.has_next
    return page.items


def test_page_events_asks_one_row_more_and_drops_it(client, sandbox):
    page = client.page_events(DEMO.car_id, Query(orderby=("-utc_date_time",)), page=2, page_size=5)
    assert isinstance(page, Page)
    assert (len(page.items), page.page, page.page_size, page.has_next, page.has_previous) == (
        5,
        2,
        5,
        True,
        True,
    )
    assert sandbox.requests[-1].query == {"$orderby": "utcDateTime desc", "$top": "6", "$skip": "5"}
    times = [event.utc_date_time for event in page]
    assert times == sorted(times, reverse=True)


def test_page_events_has_next_at_the_boundary(client):
    events = all_events(client)
    total = len(events)
    assert total > 3
    exact = client.page_events(DEMO.car_id, Query(orderby=("id",)), page=1, page_size=total)
    assert exact.items == events and not exact.has_next and not exact.has_previous
    short = client.page_events(DEMO.car_id, Query(orderby=("id",)), page=1, page_size=total - 1)
    assert short.has_next and short.items == events[:-1]
    last = client.page_events(DEMO.car_id, Query(orderby=("id",)), page=2, page_size=total - 1)
    assert last.items == events[-1:] and not last.has_next and last.has_previous
    beyond = client.page_events(DEMO.car_id, Query(orderby=("id",)), page=3, page_size=total - 1)
    assert beyond.items == () and not beyond.has_next


def test_list_events_asks_exactly_top(client, sandbox):
    [newest] = client.list_events(DEMO.car_id, Query(orderby=("-utc_date_time", "-id"), top=1))
    assert sandbox.requests[-1].query == {"$orderby": "utcDateTime desc,id desc", "$top": "1"}
    assert newest == max(all_events(client), key=lambda e: (e.utc_date_time, e.id))


@pytest.mark.parametrize("query", [Query(), Query(top=0), Query(top=1001), None])
def test_list_events_must_be_limited(client, query):
    with pytest.raises(ValueError):
        client.list_events(DEMO.car_id, query)


def test_page_events_with_a_filter(client):
    page = client.page_events(
        DEMO.car_id, Query(filter=odata.eq("type", Event.CLOSED)), page_size=1000
    )
    assert page.items and all(event.type == Event.CLOSED for event in page)


@pytest.mark.parametrize(
    "kwargs", [{"page": 0}, {"page_size": 0}, {"page_size": 1001}, {"page": True}]
)
def test_page_events_is_always_limited(client, sandbox, kwargs):
    with pytest.raises(ValueError):
        client.page_events(DEMO.car_id, **kwargs)
    with pytest.raises(ValueError, match=r"\$top"):
        client.page_events(DEMO.car_id, Query(top=10))
    assert sandbox.requests == []


def test_page_cars(client, sandbox):
    first = client.page_cars(Query(orderby=("id",)), page=1, page_size=25)
    assert len(first.items) == 25 and first.has_next and not first.has_previous
    third = client.page_cars(Query(orderby=("id",)), page=3, page_size=25)
    assert len(third.items) == 12 and not third.has_next
    assert sandbox.requests[-1].query["$top"] == "26"
    assert sandbox.requests[-1].query["$skip"] == "50"
    exact = client.page_cars(page=1, page_size=62)
    assert len(exact.items) == 62 and not exact.has_next


def test_get_event(client):
    event = all_events(client)[0]
    assert client.get_event(event.id) == event
    assert event.utc_date_time.utcoffset() == timedelta(0)
    assert event.local_date_time.tzinfo is None
    assert event.type in Event.TYPES
    assert event.car_id == DEMO.car_id


@pytest.mark.parametrize("event_id", [UNKNOWN_ID])
def test_get_unknown_event(client, event_id):
    with pytest.raises(NotFoundError) as caught:
        client.get_event(event_id)
    assert caught.value.message == EVENT_NOT_FOUND
    assert caught.value.kind == "event"


def test_get_event_of_another_customer(make_client):
    other = make_client(customer_id=DEMO.other_customer_id)
    event = other.page_events(DEMO.other_car_id, page_size=1).items[0]
    with pytest.raises(NotFoundError) as caught:
        make_client().get_event(event.id)
    assert caught.value.message == EVENT_NOT_FOUND


def test_create_event_and_read_it_back(client):
    utc = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
    event_id = client.create_event(
        car_id=DEMO.car_id,
        user_id=DEMO.user_id,
        type=Event.OPENED,
        utc_date_time=utc,
        date_time=datetime(2026, 3, 1, 13, 30, 15, 250000),
        user_agent="fleetadmin tests",
        latitude=48.137154,
        longitude="11.576124",
    )
    event = client.get_event(event_id)
    assert event == Event(
        id=event_id,
        car_id=DEMO.car_id,
        user_id=DEMO.user_id,
        type="CarOpened",
        utc_date_time=utc,
        local_date_time=datetime(2026, 3, 1, 13, 30, 15, 250000),
        user_agent="fleetadmin tests",
        latitude=48.137154,
        longitude=11.576124,
    )


def test_create_event_local_time_defaults_to_utc_wall_clock(client):
    berlin = timezone(timedelta(hours=1))
    event_id = client.create_event(
        car_id=DEMO.car_id,
        user_id=DEMO.user_id,
        type=Event.CLOSED,
        utc_date_time=datetime(2026, 3, 1, 13, 0, tzinfo=berlin),
        user_agent="fleetadmin tests",
    )
    event = client.get_event(event_id)
    assert event.utc_date_time == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert event.local_date_time == datetime(2026, 3, 1, 12, 0)
    assert (event.latitude, event.longitude) == (None, None)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"utc_date_time": datetime(2026, 3, 1, 12, 0)}, "timezone-aware"),
        ({"type": "CarStarted"}, "type"),
        ({"latitude": 91.0}, "latitude"),
        ({"longitude": float("nan")}, "longitude"),
    ],
)
def test_create_event_refuses_bad_arguments_locally(client, sandbox, changes, error):
    kwargs = {
        "car_id": DEMO.car_id,
        "user_id": DEMO.user_id,
        "type": Event.OPENED,
        "utc_date_time": NOW,
        "user_agent": "fleetadmin tests",
        **changes,
    }
    with pytest.raises(ValueError, match=error):
        client.create_event(**kwargs)
    assert sandbox.requests == []


def test_create_event_with_a_blank_user_agent(client):
    with pytest.raises(BadRequestError) as caught:
        client.create_event(
            car_id=DEMO.car_id,
            user_id=DEMO.user_id,
            type="CarOpened",
            utc_date_time=NOW,
            user_agent=" ",
        )
    assert caught.value.message == EVENT_BAD_AGENT
    assert caught.value.field == "user_agent"


@pytest.mark.parametrize(
    ("kwargs", "sentence", "kind"),
    [
        ({"car_id": UNKNOWN_ID}, EVENT_NO_CAR, "car"),
        ({"car_id": DEMO.other_car_id}, EVENT_NO_CAR, "car"),
        ({"user_id": DEMO.other_user_id}, EVENT_NO_USER, "user"),
    ],
)
def test_create_event_404_sentences(client, kwargs, sentence, kind):
    arguments = {
        "car_id": DEMO.car_id,
        "user_id": DEMO.user_id,
        "type": "CarOpened",
        "utc_date_time": NOW,
        "user_agent": "fleetadmin tests",
        **kwargs,
    }
    with pytest.raises(NotFoundError) as caught:
        client.create_event(**arguments)
    assert (caught.value.message, caught.value.kind) == (sentence, kind)


@pytest.mark.parametrize(
    ("body", "sentence", "field"),
    [
        (event_body(type="CarStarted"), EVENT_BAD_TYPE, "type"),
        (event_body(dateTime="yesterday"), EVENT_BAD_DATETIME, "date_time"),
        (event_body(utcDateTime=None), EVENT_BAD_UTC, "utc_date_time"),
        (event_body(userAgent=""), EVENT_BAD_AGENT, "user_agent"),
        (event_body(latitude="north"), "Couldn't create event. No valid latitude provided.",
         "latitude"),
    ],
)
def test_create_event_400_sentences(client, body, sentence, field):
    with pytest.raises(BadRequestError) as caught:
        raw(client, "PUT", "/events", body)
    assert (caught.value.status, caught.value.message) == (400, sentence)
    assert caught.value.field == field


# --- errors every endpoint documents --------------------------------------------------------

ENDPOINT_CALLS = {
    "list_cars": lambda c: c.list_cars(),
    "page_cars": lambda c: c.page_cars(),
    "get_car": lambda c: c.get_car(DEMO.car_id),
    "create_car": lambda c: c.create_car(name="x"),
    "update_car": lambda c: c.update_car(DEMO.car_id, {"brand": "x"}),
    "delete_car": lambda c: c.delete_car(DEMO.car_id),
    "list_products": lambda c: c.list_products(DEMO.car_id),
    "get_location": lambda c: c.get_location(DEMO.car_id),
    "get_location_at": lambda c: c.get_location(DEMO.car_id, at=NOW),
    "page_events": lambda c: c.page_events(DEMO.car_id),
    "get_event": lambda c: c.get_event(1),
    "create_event": lambda c: c.create_event(
        car_id=DEMO.car_id,
        user_id=DEMO.user_id,
        type="CarOpened",
        utc_date_time=NOW,
        user_agent="x",
    ),
}


@pytest.mark.parametrize("call", ENDPOINT_CALLS.values(), ids=ENDPOINT_CALLS.keys())
def test_every_endpoint_404_when_the_manager_cannot_reach_the_customer(make_client, call):
    client = make_client(customer_id=DEMO.hidden_customer_id)
    with pytest.raises(NotFoundError) as caught:
        call(client)
    assert (caught.value.status, caught.value.message) == (404, NO_MANAGER)
    assert caught.value.kind == "manager"


@pytest.mark.parametrize("call", ENDPOINT_CALLS.values(), ids=ENDPOINT_CALLS.keys())
def test_every_endpoint_500_internal_server_error(client, sandbox, call):
    client.authenticate()
    # Reads are tried 1 + get_retries (2) times, writes once.
    sandbox.faults.fail_next("/cars", status=500, count=3)
    sandbox.faults.fail_next("/events", status=500, count=3)
    with pytest.raises(ServerError) as caught:
        call(client)
    assert (caught.value.status, caught.value.message) == (500, "Internal server error.")


@pytest.mark.parametrize(
    "call",
    [*ENDPOINT_CALLS.values(), lambda c: c.list_customers()],
    ids=[*ENDPOINT_CALLS.keys(), "list_customers"],
)
def test_every_endpoint_401_for_a_wrong_api_key(client, make_client, sandbox, call):
    # A valid token with a wrong key: the gateway refuses at once, no token is re-fetched.
    wrong_key = make_client(api_key="0" * 32, token=client.authenticate())
    sandbox.clear_requests()
    with pytest.raises(AuthenticationError) as caught:
        call(wrong_key)
    assert (caught.value.status, caught.value.kind, caught.value.message) == (
        401,
        "api_key",
        BAD_KEY,
    )
    assert sandbox.request_count() == 1


def test_resource_calls_need_a_customer(make_client, sandbox):
    client = make_client(customer_id=None)
    with pytest.raises(ValueError, match="customer"):
        client.list_cars()
    assert sandbox.requests == []


@pytest.mark.parametrize("car_id", [2**31, 2**63, -1])
def test_ids_beyond_int32_are_refused_before_anything_is_sent(client, sandbox, car_id):
    # flinkey's ids are int32: such a number names nothing there (and overflowed our log).
    for call in (lambda: client.get_car(car_id), lambda: client.page_events(car_id),
                 lambda: client.update_car(car_id, {"name": "x"}),
                 lambda: client.create_event(car_id=car_id, user_id=DEMO.user_id,
                                             type="CarOpened", utc_date_time=datetime.now(UTC),
                                             user_agent="test")):
        with pytest.raises(ValueError, match="car_id must be an int from 0 to 2147483647"):
            call()
    assert sandbox.requests == []
