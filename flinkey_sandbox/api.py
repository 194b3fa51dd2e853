"""The flinkey API v3 endpoints: one function per operation, and the route table."""

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import parse_qsl

from . import eventlog, odata
from .responses import (
    BAD_JSON,
    Response,
    json_response,
    no_content,
    text,
    unsupported_media_type,
)
from .timeutil import local_text, parse_datetime, parse_search_date, utc_text

# Sentences copied from the vendor's pages.
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
# Inferred sentences (not documented): wrong body shapes.
CAR_BODY_NOT_OBJECT = "Could not create car. The request body must be a JSON object."
PATCH_INVALID = "Could not update car. The patch document is invalid: {}."
EVENT_BODY_NOT_OBJECT = "Couldn't create event. The request body must be a JSON object."
EVENT_BAD_COORDINATE = "Couldn't create event. No valid {} provided."
BAD_GRANT = "The user name or password is incorrect."  # noqa: S105 - a message

CAR_FIELDS = ("name", "description", "vin", "licensePlate", "brand", "model")
PATCH_PATHS = {"/" + f: f for f in CAR_FIELDS}

# Field types per resource, for OData validation and typed comparisons.
CAR_SCHEMA = odata.Schema("Car", {"id": "int", **{f: "string" for f in CAR_FIELDS}})
CUSTOMER_SCHEMA = odata.Schema("Customer", {"id": "int", "name": "string"})
PRODUCT_SCHEMA = odata.Schema(
    "Product",
    {
        "id": "int",
        "uniqueId": "string",
        "serialNumber": "string",
        "sapNumber": "string",
        "dongleTerminationTimeStamp": "datetime",
        "type": "string",
    },
)
LOCATION_SCHEMA = odata.Schema(
    "Location",
    {
        "latitude": "string",
        "longitude": "string",
        "date": "datetime",
        "odometerDate": "datetime",
        "odometer": "string",
    },
)
EVENT_SCHEMA = odata.Schema(
    "Event",
    {
        "id": "int",
        "dateTime": "datetime",
        "utcDateTime": "datetime",
        "userId": "int",
        "carId": "int",
        "type": "string",
        "userAgent": "string",
        "latitude": "number",
        "longitude": "number",
    },
)


@dataclass
class Request:
    """What a handler needs from one HTTP request."""

    method: str
    path: str  # relative to /v3, percent-decoded
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str]  # from the route pattern
    customer_id: int | None = None
    manager: object = None

    def content_type(self) -> str:
        """The media type without parameters, lower-case."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def is_json(self) -> bool:
        """True for application/json and friends, as ASP.NET's JSON input formatter accepts."""
        kind = self.content_type()
        return kind in ("application/json", "text/json") or (
            kind.startswith("application/") and kind.endswith("+json")
        )


class BadBody(Exception):
    """The body did not parse; answered 400 with the message."""


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody(BAD_JSON) from exc


def _car_id(request: Request) -> int:
    return int(request.params["car_id"])


def _with_query(request: Request, make):
    """Run `make()`, turning OData errors into 400 plain text."""
    try:
        return make()
    except odata.ODataError as exc:
        return text(400, str(exc))


# --- authentication and customers -------------------------------------------------------


def token(env, request: Request) -> Response:
    """POST /oauth2/token: resource-owner password grant."""
    if request.content_type() != "application/x-www-form-urlencoded":
        return unsupported_media_type()
    try:
        form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        form = {}
    manager = env.store.managers.get(form.get("username", ""))
    if (
        form.get("grant_type") != "password"
        or manager is None
        or manager.password != form.get("password")
    ):
        # Inferred from RFC 6749 §5.2: the vendor does not document the refusal body.
        return json_response(400, {"error": "invalid_grant", "error_description": BAD_GRANT})
    lifetime = float(env.faults.token_lifetime)
    access = env.tokens.issue(manager.username, lifetime)
    if not env.is_current():
        # Reset while this request was held: the token must not live on in the fresh state
        # (the server answers such a request 503 anyway).
        env.tokens.revoke(access)
    expires_in = str(int(lifetime))  # a string of whole seconds, as the vendor sends it
    return json_response(
        200, {"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}
    )


def list_customers(env, request: Request) -> Response:
    """GET /customers: the customers the manager may act for."""
    store = env.store
    with store.lock:
        rows = [store.customers[c] for c in request.manager.customer_ids if c in store.customers]
        return _with_query(
            request,
            lambda: json_response(200, odata.collection(rows, request.query, CUSTOMER_SCHEMA)),
        )


# --- cars -------------------------------------------------------------------------------


def list_cars(env, request: Request) -> Response:
    """GET /cars."""
    store = env.store
    with store.lock:
        rows = store.cars.get(request.customer_id, {}).values()
        return _with_query(
            request, lambda: json_response(200, odata.collection(rows, request.query, CAR_SCHEMA))
        )


def get_car(env, request: Request) -> Response:
    """GET /cars/{carId}."""
    store = env.store
    with store.lock:
        car = store.car(request.customer_id, _car_id(request))
        if car is None:
            return text(404, CAR_NOT_FOUND)
        return _with_query(
            request, lambda: json_response(200, odata.single(car, request.query, CAR_SCHEMA))
        )


def create_car(env, request: Request) -> Response:
    """PUT /cars: 201 {"id": N}."""
    if not request.is_json():
        return unsupported_media_type()
    body = _json_body(request)
    if not isinstance(body, dict):
        return text(400, CAR_BODY_NOT_OBJECT)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        return text(400, NO_CAR_NAME)
    car = {"id": 0, "name": name}
    for field in CAR_FIELDS[1:]:
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            # Inferred: System.Text.Json refuses a number where a string belongs.
            return text(400, f"Could not create car. The field {field} must be a string or null.")
        car[field] = value
    store = env.store
    with store.lock:
        car["id"] = store.next_car_id
        store.next_car_id += 1
        store.cars.setdefault(request.customer_id, {})[car["id"]] = car
        store.car_events[car["id"]] = eventlog.CarEvents()
    return json_response(201, {"id": car["id"]})


def _parse_patch(body: object) -> list[tuple[str, str, str | None]]:
    """(op, field, value) triples, or BadBody."""
    if not isinstance(body, list):
        raise BadBody(PATCH_INVALID.format("expected a JSON array of operations"))
    ops = []
    for item in body:
        if not isinstance(item, dict):
            raise BadBody(PATCH_INVALID.format("every operation must be a JSON object"))
        op, path = item.get("op"), item.get("path")
        if op not in ("replace", "remove"):
            raise BadBody(PATCH_INVALID.format(f"unsupported op {op!r}"))
        # Paths are compared exactly; the vendor lists them in camelCase.
        if path not in PATCH_PATHS:
            raise BadBody(PATCH_INVALID.format(f"unsupported path {path!r}"))
        value = item.get("value") if op == "replace" else None
        if value is not None and not isinstance(value, str):
            raise BadBody(PATCH_INVALID.format(f"the value for {path} must be a string or null"))
        ops.append((op, PATCH_PATHS[path], value))
    return ops


def update_car(env, request: Request) -> Response:
    """PATCH /cars/{carId}: JSON-Patch-like replace/remove, 204."""
    if not request.is_json():
        return unsupported_media_type()
    ops = _parse_patch(_json_body(request))
    store = env.store
    with store.lock:
        car = store.car(request.customer_id, _car_id(request))
        if car is None:
            return text(404, CAR_NOT_ASSIGNED)
        changed = dict(car)
        for _op, field, value in ops:
            changed[field] = value
        if not isinstance(changed["name"], str) or not changed["name"].strip():
            return text(400, BLANK_CAR_NAME)
        car.update(changed)  # all or nothing
    return no_content()


def delete_car(env, request: Request) -> Response:
    """DELETE /cars/{carId}: also drops its products, location history and events."""
    store = env.store
    car_id = _car_id(request)
    with store.lock:
        if store.car(request.customer_id, car_id) is None:
            return text(404, CAR_NOT_ASSIGNED)
        del store.cars[request.customer_id][car_id]
        store.products.pop(car_id, None)
        store.locations.pop(car_id, None)
        for event_id in store.car_events.pop(car_id, eventlog.CarEvents()).ids:
            store.events.pop(event_id, None)
    return no_content()


def list_products(env, request: Request) -> Response:
    """GET /cars/{carId}/products."""
    store = env.store
    car_id = _car_id(request)
    with store.lock:
        if store.car(request.customer_id, car_id) is None:
            return text(404, CAR_NOT_ASSIGNED)
        products = store.products.get(car_id)
        if not products:
            return text(404, NO_PRODUCTS)
        return _with_query(
            request,
            lambda: json_response(200, odata.collection(products, request.query, PRODUCT_SCHEMA)),
        )


def _number_text(value: float) -> str | None:
    """A double as the API sends it inside a string; NaN (no fix) becomes null."""
    if math.isnan(value):
        return None
    return repr(value)


def _location(env, request: Request, at: float | None) -> Response:
    store = env.store
    car_id = _car_id(request)
    with store.lock:
        if store.car(request.customer_id, car_id) is None:
            return text(404, CAR_NOT_ASSIGNED)
        if not store.products.get(car_id):
            return text(404, NO_PRODUCTS)
        history = store.locations.get(car_id)
        body = dict.fromkeys(LOCATION_SCHEMA.fields)
        # Inferred: a car with a Box but no IQ has products yet no positions; we answer
        # 200 with every field null rather than invent an undocumented 404 sentence.
        sample = None
        if history is not None:
            sample = history.latest() if at is None else history.near(at)
        if sample is not None:
            ts, lat, lon, odometer = sample
            when = utc_text(ts)
            body = {
                "latitude": _number_text(lat),
                "longitude": _number_text(lon),
                "date": when,
                "odometerDate": when,
                "odometer": _number_text(odometer),
            }
        return _with_query(
            request, lambda: json_response(200, odata.single(body, request.query, LOCATION_SCHEMA))
        )


def latest_location(env, request: Request) -> Response:
    """GET /cars/{carId}/location: the latest sample."""
    return _location(env, request, None)


def location_at(env, request: Request) -> Response:
    """GET /cars/{carId}/location/{searchDate}: the sample nearest in time."""
    moment = parse_search_date(request.params["search_date"])
    if moment is None:
        return text(400, INVALID_DATE)
    return _location(env, request, moment.timestamp())


# --- events -----------------------------------------------------------------------------


def list_car_events(env, request: Request) -> Response:
    """GET /cars/{carId}/events; an unknown car gives [] (only the manager 404 is documented)."""
    store = env.store
    car_id = _car_id(request)
    with store.lock:
        events = store.car_events.get(car_id)
        if events is None or store.car(request.customer_id, car_id) is None:
            events = eventlog.CarEvents()

        def answer():
            options = odata.parse_options(request.query, EVENT_SCHEMA)
            return json_response(200, eventlog.select(events, store.events.__getitem__, options))

        return _with_query(request, answer)


def get_event(env, request: Request) -> Response:
    """GET /events/{eventId}."""
    store = env.store
    with store.lock:
        event = store.event(int(request.params["event_id"]))
        if event is None or store.car(request.customer_id, event["carId"]) is None:
            return text(404, EVENT_NOT_FOUND)
        return _with_query(
            request, lambda: json_response(200, odata.single(event, request.query, EVENT_SCHEMA))
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def create_event(env, request: Request) -> Response:
    """PUT /events: validations in the order the vendor lists them, 201 {"id": N}."""
    if not request.is_json():
        return unsupported_media_type()
    body = _json_body(request)
    if not isinstance(body, dict):
        return text(400, EVENT_BODY_NOT_OBJECT)
    if body.get("type") not in ("CarOpened", "CarClosed"):
        return text(400, EVENT_BAD_TYPE)
    local = parse_datetime(body.get("dateTime"))
    if local is None:
        return text(400, EVENT_BAD_DATETIME)
    utc = parse_datetime(body.get("utcDateTime"))
    if utc is None:
        return text(400, EVENT_BAD_UTC)
    agent = body.get("userAgent")
    if not isinstance(agent, str) or not agent.strip():
        return text(400, EVENT_BAD_AGENT)
    coordinates = {}
    for field in ("latitude", "longitude"):
        value = body.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return text(400, EVENT_BAD_COORDINATE.format(field))  # inferred sentence
        coordinates[field] = value
    store = env.store
    with store.lock:
        car_id, user_id = body.get("carId"), body.get("userId")
        if not _is_int(car_id) or store.car(request.customer_id, car_id) is None:
            return text(404, EVENT_NO_CAR)
        if not _is_int(user_id) or store.users.get(user_id) != request.customer_id:
            return text(404, EVENT_NO_USER)
        if utc.tzinfo is None:
            utc = utc.replace(tzinfo=UTC)  # a utcDateTime without offset is UTC by name
        event = {
            "id": store.next_event_id,
            # dateTime is the caller's wall-clock time; an offset, if sent, is dropped.
            "dateTime": local_text(local),
            "utcDateTime": utc_text(utc),
            "userId": user_id,
            "carId": car_id,
            "type": body["type"],
            "userAgent": agent,
            **coordinates,
        }
        store.next_event_id += 1
        store.events[event["id"]] = event
        store.car_events.setdefault(car_id, eventlog.CarEvents()).add(event)
    return json_response(201, {"id": event["id"]})


# --- routing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A path pattern, its handlers by method, and which headers it demands."""

    pattern: re.Pattern
    methods: dict
    needs_token: bool = True
    needs_customer: bool = True


def _route(pattern: str, methods: dict, **kwargs) -> Route:
    # Path segments are captured loosely; integer ids are checked by the router (→ 404).
    return Route(re.compile("^" + pattern + "$"), methods, **kwargs)


SEGMENT = r"(?P<{}>[^/]+)"
ROUTES = [
    _route("/oauth2/token", {"POST": token}, needs_token=False, needs_customer=False),
    _route("/customers", {"GET": list_customers}, needs_customer=False),
    _route("/cars", {"GET": list_cars, "PUT": create_car}),
    _route(
        "/cars/" + SEGMENT.format("car_id"),
        {"GET": get_car, "PATCH": update_car, "DELETE": delete_car},
    ),
    _route("/cars/" + SEGMENT.format("car_id") + "/products", {"GET": list_products}),
    _route("/cars/" + SEGMENT.format("car_id") + "/location", {"GET": latest_location}),
    _route(
        "/cars/" + SEGMENT.format("car_id") + "/location/" + SEGMENT.format("search_date"),
        {"GET": location_at},
    ),
    _route("/cars/" + SEGMENT.format("car_id") + "/events", {"GET": list_car_events}),
    _route("/events", {"PUT": create_event}),
    _route("/events/" + SEGMENT.format("event_id"), {"GET": get_event}),
]

INT32 = re.compile(r"^-?\d{1,10}$")


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and its parameters; None when no route (or a non-integer id) matches."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        params = found.groupdict()
        for name, value in params.items():
            if name.endswith("_id") and not (INT32.match(value) and -(2**31) <= int(value) < 2**31):
                return None  # like an ASP.NET {id:int} constraint: the route does not exist
        return route, params
    return None
