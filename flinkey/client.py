"""FlinkeyClient: the flinkey API v3 over a shared session, every call through `_request`."""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

from .credentials import invalid_credentials
from .errors import (
    FlinkeyError,
    NotFoundError,
    ProtocolError,
    UnavailableError,
    UpstreamTimeout,
    error_for_response,
    is_token_refusal,
)
from .ids import ID_MAX
from .models import Car, Customer, Event, Location, Page, Product, parse_created_id, parse_list
from .odata import Query
from .sessions import USER_AGENT, normalize_verify, session_for
from .token import Token
from .watchdog import watching

__all__ = ["MAX_PAGE_SIZE", "RETRY_AFTER_CAP", "USER_AGENT", "FlinkeyClient"]

log = logging.getLogger("flinkey")

# A bound for page_size: the events list grows without limit and must never be fetched whole.
MAX_PAGE_SIZE = 1000

_TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a password
_WRITES = frozenset({"PUT", "PATCH", "DELETE"})
# Answers after which a GET is repeated (never a PUT/PATCH/DELETE/POST: PUT creates here).
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A gateway's Retry-After may say minutes; a dashboard request waits at most this long
# (and never past its budget), else it raises RateLimitedError at once.
RETRY_AFTER_CAP = 5.0
_BACKOFF_MAX = 2.0
# Less time than this left of the budget: not worth sending a request.
_MIN_CALL_SECONDS = 0.01
_LOCK_MAX = threading.TIMEOUT_MAX
# Tokens this client requested after a refusal, in a row, with no call of it accepted since:
# after this many, renewing cures nothing (flinkey refuses every token it hands out, or
# something on the way drops the Authorization header) and the refusal is raised. A token
# that was accepted and then refused was revoked: renewing cures that, as often as it happens.
MAX_FRUITLESS_RENEWALS = 6
# How often one call may be refused for its token and repeated: a safety net for clients
# without a budget (a web request's budget ends sooner). flinkey revoking tokens often
# (every third call, in the sandbox's fault) refuses every call in flight with the revoked
# token at once, and only two get through with each new token. Repeated calls go first
# within a client (`_request`): a fan-out of 8 needed at most 4 repeats (measured); with
# other clients and instances sharing the token, which take turns with it, up to ~25.
MAX_REFUSALS_PER_CALL = 50
# A client remembers this many refused tokens, never to use them again (a token another
# process stored in the shared cache may be one this client saw refused already).
_REFUSED_KEPT = 16
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


class FlinkeyClient:
    """A client for one API manager (and optionally one customer) of the flinkey API v3.

    Safe to use from many threads at once (fan-out): they share its token, and a token
    is fetched by one of them while the others wait. Connections come from the process's
    shared session for this base URL (see `flinkey.close_sessions`).
    """

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
        token_guard: Callable[[Callable[[], Token], Callable[[Token | None], bool]], Token]
        | None = None,
        on_call: Callable[[str, str, int | None, float], object] | None = None,
        before_call: Callable[[str, str], object] | None = None,
        timeout: float | tuple[float, float] = (3.05, 15.0),
        get_retries: int = 2,
        backoff_factor: float = 0.2,
        budget: float | None = None,
        verify: bool | str | os.PathLike = True,
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
        for name, value in (
            ("on_token", on_token), ("token_guard", token_guard), ("on_call", on_call),
            ("before_call", before_call),
        ):
            if value is not None and not callable(value):
                raise ValueError(f"{name} must be callable")
        if isinstance(get_retries, bool) or not isinstance(get_retries, int) or get_retries < 0:
            raise ValueError("get_retries must be a non-negative int")
        if not _seconds_or_none(backoff_factor, allow_zero=True) or backoff_factor is None:
            raise ValueError("backoff_factor must be seconds >= 0")
        # 0 is a budget already spent (a web request's last seconds gone): every call then
        # raises UpstreamTimeout without sending anything.
        if not _seconds_or_none(budget, allow_zero=True):
            raise ValueError("budget must be None or seconds >= 0")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._username = username
        self._password = password
        # Refused on every call rather than here: callers handle FlinkeyError around calls.
        self._credentials_error = invalid_credentials(api_key, username, password)
        self._customer_id = None if customer_id is None else _id(customer_id, "customer_id")
        self._token = token
        self._on_token = on_token
        self._token_guard = token_guard
        self._on_call = on_call
        self._before_call = before_call
        self._timeout = _timeout(timeout)
        self._get_retries = get_retries
        self._backoff_factor = float(backoff_factor)
        self._verify = normalize_verify(verify)
        # The budget runs from construction: one web request builds one client, so its
        # calls together end before the web server's worker timeout.
        self._deadline = None if budget is None else time.monotonic() + float(budget)
        self._lock = threading.Lock()
        # Counts finished token fetches: a thread that waited while another's fetch was in
        # flight, and it failed, shares that failure.
        self._token_fetches = 0
        self._token_failure: FlinkeyError | None = None
        # Refused access tokens (insertion-ordered, the newest _REFUSED_KEPT), and how many
        # renewals after a refusal were not followed by any accepted call.
        self._refused: dict[str, None] = {}
        self._fruitless_renewals = 0
        # Calls refused for their token and not yet through: new calls wait for them, so
        # the few accepted calls a revoked token's successor gets go to those first
        # (otherwise an unlucky call can lose to fresh ones dozens of times in a row).
        self._repeating = 0
        self._repeats_done = threading.Condition(threading.Lock())

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
        """Do nothing: connections belong to the process (`flinkey.close_sessions`)."""

    @property
    def deadline(self) -> float | None:
        """The `time.monotonic()` moment the budget ends, or None without a budget."""
        return self._deadline

    def time_left(self) -> float | None:
        """Return the seconds left of the budget (never below 0), or None without a budget."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

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
        return self._obtain_token(lambda current: False)

    def _current_token(self) -> Token:
        token = self._token
        if token is not None and token.is_fresh():
            return token
        return self._obtain_token(lambda current: current is not None and current.is_fresh())

    def _renew_token(self, refused: Token, refusal: FlinkeyError) -> Token:
        """Return a token other than every refused one; raise `refusal` if renewing is futile.

        Threads refused together share one renewal: the first renews, the others find the
        new token under the lock and repeat their calls with it. Another thread (or, through
        token_guard, another process) may have renewed while this call waited for its 401;
        compared by value, since a guard hands in copies.
        """
        return self._obtain_token(
            lambda current: current is not None and current.access_token not in self._refused,
            refusal=refusal,
            refused=refused,
        )

    def _accepted(self) -> None:
        # A call got past the token check: renewing works, so the next refusal is a
        # revocation to renew after, however many came before.
        self._fruitless_renewals = 0

    def _obtain_token(
        self,
        usable: Callable[[Token | None], bool],
        *,
        refusal: FlinkeyError | None = None,
        refused: Token | None = None,
    ) -> Token:
        # One lock per client: N threads needing a token send one token request, and
        # on_token hears of each new token once.
        fetches_seen = self._token_fetches
        left = self.time_left()
        if not self._lock.acquire(timeout=-1 if left is None else min(left, _LOCK_MAX)):
            raise self._budget_spent()
        try:
            if refused is not None:
                # Under the lock: `usable` reads this while other threads add to it.
                self._refused[refused.access_token] = None
                while len(self._refused) > _REFUSED_KEPT:
                    del self._refused[next(iter(self._refused))]
            if usable(self._token):
                return self._token
            if self._token_fetches != fetches_seen and self._token_failure is not None:
                # The fetch this thread waited for failed: share its error, don't queue
                # one more token request (and timeout) per waiting thread.
                raise copy.copy(self._token_failure).with_traceback(None)
            fetched: list[Token] = []

            def fetch() -> Token:
                if refusal is not None:
                    # Only tokens this client asks for count: one another client or process
                    # renewed (token_guard's cache) is no sign that renewing is futile.
                    if self._fruitless_renewals >= MAX_FRUITLESS_RENEWALS:
                        # Every token it asked for since its last accepted call was refused:
                        # one more would be too. The refusal is what callers are told.
                        raise copy.copy(refusal).with_traceback(None)
                    self._fruitless_renewals += 1
                fetched.append(self._fetch_token())
                return fetched[-1]

            try:
                # The guard (fleetadmin: a lock in the shared cache) may hand back a token
                # another process obtained meanwhile instead of calling fetch.
                token = fetch() if self._token_guard is None else self._token_guard(fetch, usable)
            except FlinkeyError as error:
                self._token_failure = error
                raise
            finally:
                self._token_fetches += 1
            self._token_failure = None
            self._token = token
        finally:
            self._lock.release()
        if fetched and token is fetched[-1]:
            self._notify(token)
        return token

    def _fetch_token(self) -> Token:
        # requests form-encodes the dict as UTF-8, so &, =, +, % and non-ASCII survive.
        response = self._exchange(
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

    def list_events(self, car_id: int, query: Query) -> list[Event]:
        """Return the car's events the query asks for; its $top is required (1..MAX_PAGE_SIZE).

        For callers that want exactly N rows and no "is there more" (e.g. the newest event:
        $top=1); paging goes through page_events. Raises ValueError, FlinkeyError.
        """
        if not isinstance(query, Query) or query.top is None or not 1 <= query.top <= MAX_PAGE_SIZE:
            raise ValueError(f"list_events needs a query with 1 <= top <= {MAX_PAGE_SIZE}")
        path = f"/cars/{_id(car_id, 'car_id')}/events"
        response = self._request("GET", path, query=query)
        return self._parse(response, lambda data: parse_list(data, Event.from_api, path))

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
        self._wait_for_repeats()
        token = self._current_token()
        refusals = 0
        try:
            while True:
                response = self._exchange(
                    method, path, **self._call_args(token, query, json, customer)
                )
                if response.status_code != 401:
                    self._accepted()
                    break
                error = self._error(response)
                if not is_token_refusal(error):
                    raise error
                # The token was refused, so the call was not executed (a write neither):
                # repeat it with the renewed token, as often as renewing cures the refusal
                # (flinkey may revoke the new token too before this call gets through).
                # _renew_token raises the refusal once renewals stop curing it.
                refusals += 1
                if refusals == 1:
                    self._repeats_started()
                if refusals > MAX_REFUSALS_PER_CALL:
                    raise error
                token = self._renew_token(token, error)
        finally:
            if refusals:
                self._repeats_ended()
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        return response

    def _wait_for_repeats(self) -> None:
        # A new call waits while refused calls are being repeated (within the budget).
        with self._repeats_done:
            while self._repeating:
                left = self.time_left()
                if left is not None and left <= 0:
                    raise self._budget_spent()
                self._repeats_done.wait(None if left is None else min(left, _LOCK_MAX))

    def _repeats_started(self) -> None:
        with self._repeats_done:
            self._repeating += 1

    def _repeats_ended(self) -> None:
        with self._repeats_done:
            self._repeating -= 1
            if not self._repeating:
                self._repeats_done.notify_all()

    def _call_args(self, token, query, body, customer) -> dict[str, Any]:
        # Everything that belongs to the account goes into this request's headers: the
        # session is shared by every client in the process.
        headers = {"flinkey-API-Key": self._api_key}
        if customer:
            headers["Customer-ID"] = str(self._customer_id)
        args: dict[str, Any] = {"headers": headers, "auth": _Bearer(token.access_token)}
        if query is not None:
            args["params"] = query.params()
        if body is not None:
            headers["Content-Type"] = "application/json"
            args["json"] = body
        return args

    def _exchange(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Return the answer to one request, GETs retried; raises UnavailableError."""
        retries_left = self._get_retries if method == "GET" else 0
        attempt = 0
        while True:
            failure: UnavailableError | None = None
            try:
                response = self._send(method, path, **kwargs)
            except _Unanswered as unanswered:
                failure, retryable = unanswered.error, unanswered.retryable
                delay = self._backoff(attempt)
            else:
                retryable = response.status_code in _RETRY_STATUSES
                retry_after = _retry_after(response)
                delay = self._backoff(attempt) if retry_after is None else retry_after
                if retry_after is not None and retry_after > RETRY_AFTER_CAP:
                    retryable = False  # minutes of waiting: say so instead (RateLimitedError)
            if not retryable or retries_left == 0 or not self._fits_budget(delay):
                if failure is not None:
                    raise failure
                return response
            log.info("flinkey %s %s: retrying in %.2f s", method, path, delay)
            retries_left -= 1
            attempt += 1
            if delay > 0:
                time.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return min(self._backoff_factor * (2**attempt), _BACKOFF_MAX)

    def _fits_budget(self, delay: float) -> bool:
        left = self.time_left()
        return left is None or delay + _MIN_CALL_SECONDS < left

    def _budget_spent(self) -> UpstreamTimeout:
        # Nothing was sent, so not even a write can have happened.
        return UpstreamTimeout(
            "The time allowed for the flinkey API calls of this request ran out "
            "before the next call could be sent."
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._credentials_error is not None:
            raise copy.copy(self._credentials_error).with_traceback(None)
        if self._before_call is not None:
            # May refuse the request (a FlinkeyError, e.g. a spent call budget): nothing is
            # sent, so not even a write can have happened. Every attempt passes here.
            self._before_call(method, path)
        connect_timeout, read_timeout = self._timeout
        left = self.time_left()
        if left is not None:
            if left < _MIN_CALL_SECONDS:
                raise self._budget_spent()
            connect_timeout, read_timeout = min(connect_timeout, left), min(read_timeout, left)
        # requests' timeouts are per socket read: the watch bounds the whole exchange (a
        # byte a second would get past them), by the budget and by connect + read timeout.
        whole = connect_timeout + read_timeout
        whole = whole if left is None else min(whole, left)
        session = session_for(self._base_url, self._verify)
        started = time.monotonic()
        failure: _Unanswered | None = None
        with watching(whole) as watch:
            try:
                response = session.request(
                    method,
                    self._base_url + path,
                    timeout=(connect_timeout, read_timeout),
                    allow_redirects=False,  # a redirect would carry the API key to another host
                    # per call: REQUESTS_CA_BUNDLE would override the session's
                    verify=self._verify,
                    **kwargs,
                )
            except requests.exceptions.RequestException as exc:
                failure = self._unavailable(method, exc, (connect_timeout, read_timeout), left)
        if watch.expired:
            # Cut off mid-answer: whatever arrived may be truncated, and never counts.
            failure = self._overdue(method, watch, left)
        if failure is None:
            seconds = time.monotonic() - started
            log.debug("flinkey %s %s -> %s (%.3f s)", method, path, response.status_code, seconds)
            self._report_call(method, path, response.status_code, seconds)
            return response
        self._report_call(method, path, None, time.monotonic() - started)
        # Raised outside the except block so the requests exception (whose request holds
        # the API key, token and password) is not chained to what callers see.
        log.info("flinkey %s %s failed: %s", method, path, failure.error.message)
        raise failure

    def _report_call(self, method: str, path: str, status: int | None, seconds: float) -> None:
        # `path` is the API path without base URL or query: nothing secret, nothing personal.
        if self._on_call is None:
            return
        try:
            self._on_call(method, path, status, seconds)
        except Exception:
            # Counting calls is bookkeeping: it must never fail the call itself.
            log.warning("flinkey: the on_call callback failed", exc_info=True)

    def _overdue(self, method: str, watch, left: float | None) -> _Unanswered:
        shortened = left is not None and watch.seconds == left
        return _Unanswered(
            UpstreamTimeout(
                f"The flinkey API did not finish its answer within {watch.seconds:.3g} s"
                + (" (all that was left of the time allowed for this request)" if shortened
                   else "")
                + ".",
                # A write whose request was written may have been applied.
                write_outcome_unknown=method in _WRITES and watch.sent,
            ),
            retryable=False,
        )

    def _unavailable(
        self,
        method: str,
        exc: requests.exceptions.RequestException,
        timeout: tuple[float, float],
        left: float | None,
    ) -> _Unanswered:
        connect_timeout, read_timeout = timeout
        write = method in _WRITES
        cut = " (all that was left of the time allowed for this request)"
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            shortened = left is not None and connect_timeout == left
            return _Unanswered(
                UpstreamTimeout(
                    f"The flinkey API did not accept a connection within {connect_timeout:.3g} s"
                    + (cut if shortened else "")
                    + "."
                ),
                retryable=not shortened,
            )
        if isinstance(exc, requests.exceptions.ReadTimeout) or _caused_by(exc, ReadTimeoutError):
            # Never repeated: one slow answer costs one timeout, not get_retries + 1.
            shortened = left is not None and read_timeout == left
            return _Unanswered(
                UpstreamTimeout(
                    f"The flinkey API did not answer within {read_timeout:.3g} s"
                    + (cut if shortened else "")
                    + ".",
                    write_outcome_unknown=write,
                ),
                retryable=False,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return _Unanswered(
                UnavailableError(
                    "The flinkey API's TLS certificate could not be verified "
                    "(or the TLS handshake failed)."
                ),
                retryable=False,
            )
        if isinstance(exc, requests.exceptions.InvalidHeader | requests.exceptions.InvalidURL):
            return _Unanswered(
                UnavailableError("The request to the flinkey API could not be built."),
                retryable=False,
            )
        # ConnectTimeoutError covers refused connections and DNS failures: nothing was sent.
        sent = not _caused_by(exc, ConnectTimeoutError)
        if isinstance(exc, requests.exceptions.ConnectionError) and not sent:
            return _Unanswered(UnavailableError("The flinkey API could not be reached."), True)
        return _Unanswered(
            UnavailableError(
                "The connection to the flinkey API broke before it answered.",
                write_outcome_unknown=write,
            ),
            retryable=True,
        )

    def _error(self, response: requests.Response, *, token_endpoint: bool = False) -> FlinkeyError:
        error = error_for_response(
            response.status_code,
            response.content,
            response.headers.get("Content-Type", ""),
            token_endpoint=token_endpoint,
            retry_after=_retry_after(response),
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


class _Unanswered(Exception):  # internal carrier, never escapes the client
    """A request that got no answer: the error to raise, and whether a GET may be repeated."""

    def __init__(self, error: UnavailableError, retryable: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable


class _Bearer(AuthBase):
    """The token as requests' `auth`, not as a plain header: given no `auth`, requests looks
    in ~/.netrc for the host, and an entry there would replace our Authorization header with
    its Basic credentials. The look-up is also file-system calls on every request, each
    letting another thread take the GIL before this request has left (cars.views.Listing
    renders while its call is on the way).
    """

    def __init__(self, access_token: str) -> None:
        self._header = f"Bearer {access_token}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request


def _retry_after(response: requests.Response) -> float | None:
    # Seconds or an HTTP date (RFC 9110 §10.2.3); anything unreadable counts as absent.
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


# --- argument checks and formatting ----------------------------------------------------------


def _seconds_or_none(value: object, *, allow_zero: bool) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return value >= 0 if allow_zero else value > 0


def _id(value: object, name: str) -> int:
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value)
    # flinkey's ids are int32 (.ids): a larger number can name nothing and is never sent.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ID_MAX:
        raise ValueError(f"{name} must be an int from 0 to {ID_MAX}, not {value!r}")
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
