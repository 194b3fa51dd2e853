"""FlinkeyClient: the flinkey API v3 over one requests session, every call through `_request`."""

from __future__ import annotations

import inspect
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

from .errors import (
    FlinkeyError,
    NotFoundError,
    ProtocolError,
    UnavailableError,
    UpstreamTimeout,
    error_for_response,
    is_token_refusal,
)
from .models import Car, Customer, Event, Location, Page, Product, parse_created_id, parse_list
from .odata import Query
from .token import Token

__all__ = ["MAX_PAGE_SIZE", "USER_AGENT", "FlinkeyClient"]

log = logging.getLogger("flinkey")

USER_AGENT = "fleetadmin/0.1"
# A bound for page_size: the events list grows without limit and must never be fetched whole.
MAX_PAGE_SIZE = 1000

_TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a password
_WRITES = frozenset({"PUT", "PATCH", "DELETE"})
# A gateway's Retry-After may say minutes; a dashboard request cannot wait that long.
# (urllib3 caps it from 2.6 on; older versions have no such option.)
_RETRY_AFTER_CAP = (
    {"retry_after_max": 5} if "retry_after_max" in inspect.signature(Retry).parameters else {}
)
# update_car's snake_case keys and the JSON-Patch paths the API documents for them.
_PATCH_PATHS = {
    "name": "/name",
    "description": "/description",
    "vin": "/vin",
    "license_plate": "/licensePlate",
    "brand": "/brand",
    "model": "/model",
}
_NO_PRODUCTS = "no products are assigned to this car."


class _GetOnlyRetry(Retry):
    """urllib3 Retry that repeats GETs only and never after a read timeout.

    Plain Retry re-sends any method after a connect error and any allowed method after a
    read timeout; here writes are never repeated, and a slow API is not waited on
    get_retries + 1 times over.
    """

    def increment(self, method=None, url=None, response=None, error=None, *args, **kwargs):
        if isinstance(error, ReadTimeoutError):
            # read=False makes urllib3 re-raise the timeout itself (requests: ReadTimeout).
            return Retry.increment(
                self.new(read=False), method, url, response, error, *args, **kwargs
            )
        if error is not None and not self._is_method_retryable(method):
            # An exhausted budget raises MaxRetryError, which requests maps as usual.
            return Retry.increment(self.new(total=0), method, url, response, error, *args, **kwargs)
        return super().increment(method, url, response, error, *args, **kwargs)


class FlinkeyClient:
    """A client for one API manager (and optionally one customer) of the flinkey API v3."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        username: str,
        password: str,
        customer_id: int | None = None,
        token: Token | None = None,
        on_token: Callable[[Token], object] | None = None,
        timeout: float | tuple[float, float] = (3.05, 15.0),
        get_retries: int = 2,
        backoff_factor: float = 0.2,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL including /v3")
        for name, value in (("api_key", api_key), ("username", username)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
        if not isinstance(password, str):
            raise ValueError("password must be a string")
        if token is not None and not isinstance(token, Token):
            raise ValueError("token must be a flinkey.Token")
        if on_token is not None and not callable(on_token):
            raise ValueError("on_token must be callable")
        if isinstance(get_retries, bool) or not isinstance(get_retries, int) or get_retries < 0:
            raise ValueError("get_retries must be a non-negative int")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._username = username
        self._password = password
        self._customer_id = None if customer_id is None else _id(customer_id, "customer_id")
        self._token = token
        self._on_token = on_token
        self._timeout = _timeout(timeout)
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        retry = _GetOnlyRetry(
            total=get_retries,
            allowed_methods={"GET"},
            status_forcelist={502, 503, 504},
            backoff_factor=backoff_factor,
            raise_on_status=False,
            respect_retry_after_header=True,
            **_RETRY_AFTER_CAP,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return (
            f"FlinkeyClient({self._base_url!r}, username={self._username!r}, "
            f"customer_id={self._customer_id!r})"
        )

    def __enter__(self) -> FlinkeyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections; returns None."""
        self._session.close()

    @property
    def token(self) -> Token | None:
        """The token the client holds now (None before the first call)."""
        return self._token

    @property
    def customer_id(self) -> int | None:
        """The customer whose data resource calls read and change."""
        return self._customer_id

    # --- authentication -------------------------------------------------------------------

    def authenticate(self) -> Token:
        """Return a freshly issued token; raises AuthenticationError, UnavailableError, ..."""
        with self._lock:
            token = self._token = self._fetch_token()
        self._notify(token)
        return token

    def _current_token(self) -> Token:
        fetched = None
        with self._lock:
            if self._token is None or not self._token.is_fresh():
                fetched = self._token = self._fetch_token()
            token = self._token
        if fetched is not None:
            self._notify(fetched)
        return token

    def _renew_token(self, refused: Token) -> Token:
        fetched = None
        with self._lock:
            # Another thread may have renewed it while this call waited for its 401.
            if self._token is None or self._token is refused:
                fetched = self._token = self._fetch_token()
            token = self._token
        if fetched is not None:
            self._notify(fetched)
        return token

    def _fetch_token(self) -> Token:
        # requests form-encodes the dict as UTF-8, so &, =, +, % and non-ASCII survive.
        response = self._send(
            "POST",
            _TOKEN_PATH,
            headers={"flinkey-API-Key": self._api_key},
            data={"username": self._username, "password": self._password, "grant_type": "password"},
        )
        if not 200 <= response.status_code < 300:
            raise self._error(response, token_endpoint=True)
        return self._parse(response, Token.from_response)

    def _notify(self, token: Token) -> None:
        if self._on_token is None:
            return
        try:
            self._on_token(token)
        except Exception:
            # Sharing the token is an optimisation: a broken cache must not fail the call.
            log.warning("flinkey: the on_token callback failed", exc_info=True)

    # --- customers and cars ---------------------------------------------------------------

    def list_customers(self, query: Query | None = None) -> list[Customer]:
        """Return the customers the API manager reaches; raises FlinkeyError."""
        response = self._request("GET", "/customers", query=query, customer=False)
        return self._parse(response, lambda data: parse_list(data, Customer.from_api, "customers"))

    def list_cars(self, query: Query | None = None) -> list[Car]:
        """Return the customer's cars (all of them unless the query limits); raises FlinkeyError."""
        response = self._request("GET", "/cars", query=query)
        return self._parse(response, lambda data: parse_list(data, Car.from_api, "cars"))

    def page_cars(
        self, query: Query | None = None, *, page: int = 1, page_size: int = 25
    ) -> Page[Car]:
        """Return one page of cars; raises ValueError for a bad page, FlinkeyError."""
        return self._page("/cars", Car.from_api, query, page, page_size)

    def get_car(self, car_id: int) -> Car:
        """Return the car; raises NotFoundError, FlinkeyError."""
        response = self._request("GET", f"/cars/{_id(car_id, 'car_id')}")
        return self._parse(response, Car.from_api)

    def create_car(
        self,
        *,
        name: str,
        description: str | None = None,
        vin: str | None = None,
        license_plate: str | None = None,
        brand: str | None = None,
        model: str | None = None,
    ) -> int:
        """Return the id of the new car; raises ValueError for a blank name, FlinkeyError."""
        fields = {
            "description": description,
            "vin": vin,
            "license_plate": license_plate,
            "brand": brand,
            "model": model,
        }
        body = {"name": _name(name)}
        for key, value in fields.items():
            body[_PATCH_PATHS[key][1:]] = _optional_text(value, key)
        response = self._request("PUT", "/cars", json=body)
        return self._parse(response, parse_created_id)

    def update_car(self, car_id: int, changes: Mapping[str, str | None]) -> None:
        """Change the given fields (None/blank removes one); raises ValueError, FlinkeyError."""
        car_id = _id(car_id, "car_id")
        operations = []
        for key, value in changes.items():
            if key not in _PATCH_PATHS:
                raise ValueError(f"update_car cannot change {key!r}; known: {sorted(_PATCH_PATHS)}")
            if key == "name":
                value = _name(value)
            value = _optional_text(value, key)
            path = _PATCH_PATHS[key]
            if value is None:
                operations.append({"op": "remove", "path": path})
            else:
                operations.append({"op": "replace", "path": path, "value": value})
        if operations:
            self._request("PATCH", f"/cars/{car_id}", json=operations)

    def delete_car(self, car_id: int) -> None:
        """Delete the car; raises NotFoundError, FlinkeyError."""
        self._request("DELETE", f"/cars/{_id(car_id, 'car_id')}")

    def list_products(self, car_id: int, query: Query | None = None) -> list[Product]:
        """Return the car's flinkey devices ([] if none); raises NotFoundError, FlinkeyError."""
        try:
            response = self._request("GET", f"/cars/{_id(car_id, 'car_id')}/products", query=query)
        except NotFoundError as error:
            # The API answers 404 for a car without devices: that is an empty list, not a miss.
            if error.message.strip().lower() == _NO_PRODUCTS:
                return []
            raise
        return self._parse(response, lambda data: parse_list(data, Product.from_api, "products"))

    def get_location(self, car_id: int, at: datetime | None = None) -> Location:
        """Return the latest sample, or the one nearest to aware `at`; raises FlinkeyError."""
        path = f"/cars/{_id(car_id, 'car_id')}/location"
        if at is not None:
            path += "/" + _utc_text(at, "at", fraction=False)
        response = self._request("GET", path)
        return self._parse(response, Location.from_api)

    # --- events ---------------------------------------------------------------------------

    def page_events(
        self, car_id: int, query: Query | None = None, *, page: int = 1, page_size: int = 25
    ) -> Page[Event]:
        """Return one page of the car's events (always limited); raises FlinkeyError."""
        return self._page(
            f"/cars/{_id(car_id, 'car_id')}/events", Event.from_api, query, page, page_size
        )

    def get_event(self, event_id: int) -> Event:
        """Return the event; raises NotFoundError, FlinkeyError."""
        response = self._request("GET", f"/events/{_id(event_id, 'event_id')}")
        return self._parse(response, Event.from_api)

    def create_event(
        self,
        *,
        car_id: int,
        user_id: int,
        type: str,  # shadows the builtin: it is the API's and Event's name
        utc_date_time: datetime,
        date_time: datetime | None = None,
        user_agent: str,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> int:
        """Return the id of the new event; raises ValueError, FlinkeyError."""
        if type not in Event.TYPES:
            raise ValueError(f"type must be one of {Event.TYPES}, not {type!r}")
        utc_text = _utc_text(utc_date_time, "utc_date_time", fraction=True)
        if date_time is None:
            # No local time given: the wall clock in UTC is the best we know.
            date_time = utc_date_time.astimezone(UTC)
        if not isinstance(date_time, datetime):
            raise ValueError("date_time must be a datetime")
        if not isinstance(user_agent, str):
            raise ValueError("user_agent must be a string")
        body = {
            # dateTime is a wall-clock reading without offset: an aware value keeps its clock.
            "dateTime": _iso(date_time.replace(tzinfo=None)),
            "utcDateTime": utc_text,
            "userId": _id(user_id, "user_id"),
            "carId": _id(car_id, "car_id"),
            "type": type,
            "userAgent": user_agent,
            "latitude": _coordinate(latitude, "latitude", 90),
            "longitude": _coordinate(longitude, "longitude", 180),
        }
        response = self._request("PUT", "/events", json=body)
        return self._parse(response, parse_created_id)

    # --- the one request path -------------------------------------------------------------

    def _page(self, path, parse, query, page, page_size) -> Page:
        for name, value in (("page", page), ("page_size", page_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, not {value!r}")
        if page_size > MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be at most {MAX_PAGE_SIZE}")
        query = query or Query()
        if query.top is not None or query.skip is not None:
            raise ValueError("paged calls set $top/$skip themselves; leave them out of the query")
        # No $count is documented: one row more than the page tells whether a next page exists.
        query = replace(query, top=page_size + 1, skip=(page - 1) * page_size)
        response = self._request("GET", path, query=query)
        rows = self._parse(response, lambda data: parse_list(data, parse, path))
        return Page(tuple(rows[:page_size]), page, page_size, has_next=len(rows) > page_size)

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        json: object = None,
        customer: bool = True,
    ) -> requests.Response:
        """Return the 2xx response to an authenticated call; raises FlinkeyError (subclasses)."""
        if customer and self._customer_id is None:
            raise ValueError(f"{method} {path} needs a customer: pass customer_id to the client")
        token = self._current_token()
        response = self._send(method, path, **self._call_args(token, query, json, customer))
        if response.status_code == 401:
            error = self._error(response)
            if not is_token_refusal(error):
                raise error
            # The token was refused, so the call was not executed: renew once, repeat once.
            token = self._renew_token(token)
            response = self._send(method, path, **self._call_args(token, query, json, customer))
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        return response

    def _call_args(self, token, query, body, customer) -> dict[str, Any]:
        headers = {
            "flinkey-API-Key": self._api_key,
            "Authorization": f"Bearer {token.access_token}",
        }
        if customer:
            headers["Customer-ID"] = str(self._customer_id)
        args: dict[str, Any] = {"headers": headers}
        if query is not None:
            args["params"] = query.params()
        if body is not None:
            headers["Content-Type"] = "application/json"
            args["json"] = body
        return args

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                timeout=self._timeout,
                allow_redirects=False,  # a redirect would carry the API key to another host
                **kwargs,
            )
        except requests.exceptions.RequestException as exc:
            failure = self._unavailable(method, exc)
        else:
            log.debug(
                "flinkey %s %s -> %s (%.3f s)",
                method,
                path,
                response.status_code,
                time.monotonic() - started,
            )
            return response
        # Raised outside the except block so the requests exception (whose request holds
        # the API key, token and password) is not chained to what callers see.
        log.info("flinkey %s %s failed: %s", method, path, failure.message)
        raise failure

    def _unavailable(
        self, method: str, exc: requests.exceptions.RequestException
    ) -> UnavailableError:
        connect_timeout, read_timeout = self._timeout
        write = method in _WRITES
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return UpstreamTimeout(
                f"The flinkey API did not accept a connection within {connect_timeout:g} s."
            )
        if isinstance(exc, requests.exceptions.ReadTimeout) or _caused_by(exc, ReadTimeoutError):
            return UpstreamTimeout(
                f"The flinkey API did not answer within {read_timeout:g} s.",
                write_outcome_unknown=write,
            )
        # ConnectTimeoutError covers refused connections and DNS failures: nothing was sent.
        sent = not _caused_by(exc, ConnectTimeoutError)
        if isinstance(exc, requests.exceptions.ConnectionError) and not sent:
            return UnavailableError("The flinkey API could not be reached.")
        return UnavailableError(
            "The connection to the flinkey API broke before it answered.",
            write_outcome_unknown=write,
        )

    def _error(self, response: requests.Response, *, token_endpoint: bool = False) -> FlinkeyError:
        error = error_for_response(
            response.status_code,
            response.content,
            response.headers.get("Content-Type", ""),
            token_endpoint=token_endpoint,
        )
        error.message = self._redact(error.message)
        error.args = (error.message,)
        return error

    def _parse(self, response: requests.Response, parse: Callable[[Any], Any]) -> Any:
        # Errors are raised outside the except blocks: a JSONDecodeError keeps the whole
        # body (a token answer included) and must not ride along as __context__.
        failure: ProtocolError | None = None
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):
            failure = ProtocolError("the body is not JSON", response.status_code)
        else:
            try:
                return parse(data)
            except ProtocolError as error:
                failure = ProtocolError(error.detail, response.status_code)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                failure = ProtocolError(f"unexpected shape: {exc}", response.status_code)
        raise failure

    def _redact(self, text: str) -> str:
        # The API has no reason to echo a secret, but an error message may end up on a page.
        secrets = [self._api_key, self._password]
        if self._token is not None:
            secrets.append(self._token.access_token)
        for secret in sorted(filter(None, secrets), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


# --- argument checks and formatting ----------------------------------------------------------


def _id(value: object, name: str) -> int:
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, not {value!r}")
    return value


def _timeout(value: object) -> tuple[float, float]:
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2 or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in pair
    ):
        raise ValueError("timeout must be seconds > 0 or a (connect, read) pair of them")
    return (float(pair[0]), float(pair[1]))


def _name(value: object) -> str:
    # The API refuses a missing or blank name with 400; say so before a round trip.
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("a car's name must not be empty")
    if not isinstance(value, str):
        raise TypeError(f"name must be a string, not {type(value).__name__}")
    return value


def _optional_text(value: object, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string or None, not {type(value).__name__}")
    return value


def _iso(value: datetime, fraction: bool = True) -> str:
    timespec = "microseconds" if fraction and value.microsecond else "seconds"
    return value.isoformat(timespec=timespec)


def _utc_text(value: object, name: str, *, fraction: bool) -> str:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return _iso(utc if fraction else utc.replace(microsecond=0), fraction) + "Z"


def _coordinate(value: object, name: str, limit: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TypeError(f"{name} must be a number or None, not {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise ValueError(f"{name} must be between -{limit:g} and {limit:g}, not {value!r}")
    return number


def _caused_by(exc: BaseException, kinds: type[BaseException] | tuple) -> bool:
    # requests wraps urllib3's errors in args (and MaxRetryError in .reason): search them all.
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return True
        stack.extend(current.args)
        stack.extend((getattr(current, "reason", None), current.__cause__, current.__context__))
    return False
