"""Retries, timeouts, refused connections, redirects and bodies the client cannot read."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from config.testing import wait_until
from flinkey import (
    BadRequestError,
    FlinkeyError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    UnavailableError,
    UpstreamTimeout,
)
from flinkey_sandbox import DEMO

from .conftest import TOKEN_BODY, Recorder, json_answer, routes

WRITES = {
    "PUT": lambda c: c.create_car(name="Retry?"),
    "PATCH": lambda c: c.update_car(DEMO.car_id, {"brand": "Opel"}),
    "DELETE": lambda c: c.delete_car(DEMO.car_id),
}


# --- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_is_retried_on_server_errors(client, sandbox, status):
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=status, count=2)
    assert len(client.list_cars()) == 62
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 3


def test_get_retries_are_bounded(make_client, sandbox):
    client = make_client(get_retries=1)
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=503, count=5)
    with pytest.raises(ServerError) as caught:
        client.list_cars()
    assert caught.value.status == 503
    assert caught.value.message == "Service Unavailable."
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 2


def test_retries_back_off(make_client, sandbox):
    client = make_client(backoff_factor=0.1)
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=500, count=2)
    started = time.monotonic()
    client.list_cars()
    assert time.monotonic() - started >= 0.1 + 0.2


@pytest.mark.parametrize("status", [400, 404, 409])
def test_get_is_not_retried_on_client_errors(client, sandbox, status):
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=status, count=1)
    with pytest.raises(FlinkeyError):
        client.list_cars()
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1


@pytest.mark.parametrize("status", [500, 503, 429])
@pytest.mark.parametrize("method", WRITES)
def test_writes_are_never_retried(client, sandbox, method, status):
    client.authenticate()
    cars_before = len(client.list_cars())
    sandbox.faults.fail_next("/cars", status=status, count=2, method=method)
    sandbox.clear_requests()
    with pytest.raises(FlinkeyError) as caught:
        WRITES[method](client)
    assert caught.value.status == status
    assert sandbox.request_count(method=method) == 1
    assert len(client.list_cars()) == cars_before


def test_create_event_is_never_retried(client, sandbox):
    client.authenticate()
    sandbox.faults.fail_next("/events", status=502, count=1, method="PUT")
    sandbox.clear_requests()
    with pytest.raises(ServerError):
        client.create_event(
            car_id=DEMO.car_id,
            user_id=DEMO.user_id,
            type="CarOpened",
            utc_date_time=datetime.now(UTC),
            user_agent="tests",
        )
    assert sandbox.request_count(method="PUT") == 1


# --- timeouts and refused connections -------------------------------------------------------


def test_a_hanging_get_is_an_upstream_timeout_and_not_repeated(make_client, sandbox):
    client = make_client(timeout=(1.0, 0.4))
    client.authenticate()
    sandbox.faults.hang_next("/cars", seconds=5, count=3)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        client.list_cars()
    # Woken by the read timeout, not by the 5 s hang's end ...
    assert time.monotonic() - started < 4
    # ... and sent once, never repeated after it (the sandbox logs a request when it ends).
    sandbox.faults.release()
    wait_until(lambda: sandbox.request_count(method="GET", path_prefix="/cars"),
               what="the hanging request to end")
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1
    assert caught.value.write_outcome_unknown is False
    assert caught.value.status is None
    assert "0.4 s" in caught.value.message


@pytest.mark.parametrize("method", WRITES)
def test_a_hanging_write_is_a_timeout_with_unknown_outcome(make_client, sandbox, method):
    client = make_client(timeout=(1.0, 0.3))
    client.authenticate()
    sandbox.faults.hang_next("/cars", seconds=2, method=method)
    with pytest.raises(UpstreamTimeout) as caught:
        WRITES[method](client)
    assert caught.value.write_outcome_unknown is True
    assert isinstance(caught.value, UnavailableError)


def test_a_hanging_token_request_is_a_timeout(make_client, sandbox):
    client = make_client(timeout=(1.0, 0.3))
    sandbox.faults.hang_next("/oauth2/token", seconds=2)
    with pytest.raises(UpstreamTimeout) as caught:
        client.list_cars()
    assert caught.value.write_outcome_unknown is False


@pytest.mark.parametrize(
    "call", [lambda c: c.list_cars(), lambda c: c.create_car(name="x")], ids=["GET", "PUT"]
)
def test_connection_refused_is_unavailable(make_client, closed_port, call):
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}/v3")
    with pytest.raises(UnavailableError) as caught:
        call(client)
    assert type(caught.value) is UnavailableError
    assert caught.value.write_outcome_unknown is False
    assert caught.value.message == "The flinkey API could not be reached."


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/cars", lambda c: c.list_cars()),
        ("/cars", lambda c: c.create_car(name="x")),
        ("/oauth2/token", lambda c: c.authenticate()),
    ],
    ids=["GET", "PUT", "token"],
)
def test_a_redirect_is_an_error_and_not_followed(client, sandbox, path, call):
    if path != "/oauth2/token":
        client.authenticate()
    with Recorder(lambda request: json_answer([])) as target:
        sandbox.faults.redirect_next(path, location=target.url + "/cars")
        with pytest.raises(FlinkeyError) as caught:
            call(client)
        assert target.records == []  # the API key never reached the other host
    assert caught.value.status == 307
    assert "redirect" in caught.value.message
    assert type(caught.value) is FlinkeyError


# --- bodies the client cannot read ----------------------------------------------------------

UNREADABLE = "The flinkey API sent an answer fleetadmin cannot read."


def answering(path: str, answer):
    return routes({("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY), ("GET", path): answer})


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"<html><body>Gateway</body></html>",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
        b"null",
        b"{}",
        b'"cars"',
        b"[1, 2]",
        b'[{"name": "no id"}]',
        b'[{"id": "seven", "name": "x"}]',
        b'[{"id": true, "name": "x"}]',
        b'[{"id": 1, "name": 5}]',
        b'[{"id": 1}]',
        b'[{"id": 1, "name": "x", "vin": ["list"]}]',
    ],
)
def test_unreadable_car_lists_are_protocol_errors(recorder_client, body):
    client, _ = recorder_client(
        answering("/v3/cars", (200, {"Content-Type": "application/json"}, body))
    )
    with pytest.raises(ProtocolError) as caught:
        client.list_cars()
    assert isinstance(caught.value, FlinkeyError)
    assert (caught.value.status, caught.value.message) == (200, UNREADABLE)
    # The JSONDecodeError holds the whole body; it must not ride along.
    assert caught.value.__context__ is None and caught.value.__cause__ is None


@pytest.mark.parametrize(
    "payload",
    [
        {"latitude": "north", "longitude": "11.5"},
        {"latitude": True},
        {"date": "yesterday"},
        {"odometerDate": 1700000000},
        [],
    ],
)
def test_unreadable_locations_are_protocol_errors(recorder_client, payload):
    client, _ = recorder_client(answering("/v3/cars/1/location", json_answer(payload)))
    with pytest.raises(ProtocolError):
        client.get_location(1)


def test_a_tolerable_location_is_read(recorder_client):
    payload = {
        "latitude": "48.1371",
        "longitude": 11,
        "date": "2026-01-01T10:00:00.1234567",
        "odometer": None,
        "odometerDate": "2026-01-01T11:00:00+01:00",
    }
    client, _ = recorder_client(answering("/v3/cars/1/location", json_answer(payload)))
    location = client.get_location(1)
    assert (location.latitude, location.longitude, location.odometer) == (48.1371, 11.0, None)
    assert location.recorded_at.isoformat() == "2026-01-01T10:00:00.123456+00:00"
    assert location.odometer_recorded_at.isoformat() == "2026-01-01T10:00:00+00:00"


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "x"},
        {},
        [],
        {"id": None},
    ],
)
def test_unreadable_creation_answers_are_protocol_errors(recorder_client, payload):
    client, _ = recorder_client(
        routes(
            {
                ("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY),
                ("PUT", "/v3/cars"): json_answer(payload, status=201),
            }
        )
    )
    with pytest.raises(ProtocolError) as caught:
        client.create_car(name="x")
    assert caught.value.status == 201


@pytest.mark.parametrize(
    "payload",
    [
        {"expires_in": "3600"},
        {"access_token": 5, "expires_in": "3600"},
        {"access_token": "abc"},
        {"access_token": "abc", "expires_in": "soon"},
        {"access_token": "abc", "expires_in": "inf"},
        ["abc"],
    ],
)
def test_unreadable_token_answers_are_protocol_errors(recorder_client, payload):
    client, _ = recorder_client(routes({("POST", "/v3/oauth2/token"): json_answer(payload)}))
    with pytest.raises(ProtocolError):
        client.list_cars()


# --- error bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body", "cls", "message"),
    [
        (404, "text/html", b"<html><h1>Not Found</h1></html>", NotFoundError, None),
        (500, "text/plain", b"", ServerError, None),
        (503, "application/octet-stream", b"\x00\x01\x02\xff", ServerError, None),
        (502, "text/plain", b"x" * 5000, ServerError, None),
        (
            400,
            "application/problem+json",
            b'{"title": "One or more validation errors."}',
            BadRequestError,
            "One or more validation errors.",
        ),
        (
            400,
            "application/json",
            b'{"error_description": "Bad grant type."}',
            BadRequestError,
            "Bad grant type.",
        ),
        (
            404,
            "text/plain; charset=utf-8",
            "Kein Fahrzeug für Müller.".encode(),
            NotFoundError,
            "Kein Fahrzeug für Müller.",
        ),
        (404, "application/json", b'"Quoted sentence."', NotFoundError, "Quoted sentence."),
        (409, "text/plain", b"Conflict.", FlinkeyError, "Conflict."),
        (418, "application/json", b"{}", FlinkeyError, None),
    ],
)
def test_error_bodies(recorder_client, status, content_type, body, cls, message):
    client, _ = recorder_client(
        answering("/v3/cars", (status, {"Content-Type": content_type}, body))
    )
    with pytest.raises(FlinkeyError) as caught:
        client.list_cars()
    assert type(caught.value) is cls
    assert caught.value.status == status
    expected = message or f"The flinkey API answered with HTTP {status} and no readable message."
    assert caught.value.message == expected
    assert str(caught.value) == expected


# --- broken connections ---------------------------------------------------------------------


def breaking_once(answer):
    """A responder that drops the connection without answering the first non-token request."""
    dropped: list[str] = []

    def respond(request):
        if request.path.endswith("/oauth2/token"):
            return json_answer(TOKEN_BODY)
        if not dropped:
            dropped.append(request.method)
            raise ConnectionAbortedError("dropped on purpose")  # the handler closes the socket
        return answer

    return respond


def test_a_get_whose_connection_broke_is_repeated(recorder_client):
    client, server = recorder_client(breaking_once(json_answer([{"id": 1, "name": "Golf"}])))
    assert [car.id for car in client.list_cars()] == [1]
    assert [r.method for r in server.records] == ["POST", "GET", "GET"]


def test_a_write_whose_connection_broke_is_not_repeated(recorder_client):
    client, server = recorder_client(breaking_once(json_answer({"id": 5}, status=201)))
    with pytest.raises(UnavailableError) as caught:
        client.create_car(name="Once")
    assert caught.value.write_outcome_unknown is True
    assert [r.method for r in server.records] == ["POST", "PUT"]


# --- 429 and Retry-After --------------------------------------------------------------------


def rate_limited(retry_after: str | None, times: int = 1):
    """A responder answering GET/PUT /v3/cars with 429 `times` times, then normally."""
    refused: list[int] = []

    def respond(request):
        if request.path.endswith("/oauth2/token"):
            return json_answer(TOKEN_BODY)
        if len(refused) < times:
            refused.append(1)
            status, headers, body = json_answer({"statusCode": 429, "message": "Slow down."}, 429)
            if retry_after is not None:
                headers = {**headers, "Retry-After": retry_after}
            return status, headers, body
        if request.method == "PUT":
            return json_answer({"id": 5}, status=201)
        return json_answer([{"id": 1, "name": "Golf"}])

    return respond


def test_a_429_get_waits_for_retry_after_seconds(client, sandbox):
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=429)  # Retry-After: 1
    started = time.monotonic()
    assert len(client.list_cars()) == 62
    assert 1.0 <= time.monotonic() - started < 5  # the second asked for, and not much more
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 2


def test_a_429_get_waits_for_a_retry_after_date(recorder_client):
    moment = formatdate(time.time() + 2, usegmt=True)  # whole seconds: waits 1 to 2 s
    client, server = recorder_client(rate_limited(moment))
    client.authenticate()
    started = time.monotonic()
    assert [car.id for car in client.list_cars()] == [1]
    assert 0.5 <= time.monotonic() - started < 6  # the 1 to 2 s asked for, not much more
    assert [r.method for r in server.records] == ["POST", "GET", "GET"]


def test_a_long_retry_after_is_raised_at_once(recorder_client):
    client, server = recorder_client(rate_limited("120"))
    client.authenticate()
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        client.list_cars()
    assert time.monotonic() - started < 10  # at once, not after 120 s
    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)
    assert caught.value.message == "Slow down."
    assert isinstance(caught.value, FlinkeyError)
    assert [r.method for r in server.records] == ["POST", "GET"]


def test_429_retries_are_bounded(recorder_client):
    client, server = recorder_client(rate_limited("0", times=5))
    with pytest.raises(RateLimitedError) as caught:
        client.list_cars()
    assert caught.value.retry_after == 0.0
    assert [r.method for r in server.records] == ["POST", "GET", "GET", "GET"]


def test_a_429_without_retry_after_backs_off_and_says_so(recorder_client):
    client, server = recorder_client(rate_limited(None, times=5), get_retries=1)
    with pytest.raises(RateLimitedError) as caught:
        client.list_cars()
    assert caught.value.retry_after is None
    assert [r.method for r in server.records] == ["POST", "GET", "GET"]


def test_a_429_put_is_raised_with_its_retry_after(recorder_client):
    client, server = recorder_client(rate_limited("1"))
    with pytest.raises(RateLimitedError) as caught:
        client.create_car(name="Later")
    assert caught.value.retry_after == 1.0
    assert [r.method for r in server.records] == ["POST", "PUT"]


def test_a_retry_after_beyond_the_budget_is_raised_at_once(recorder_client):
    client, server = recorder_client(rate_limited("5"), budget=0.8)
    client.authenticate()
    started = time.monotonic()
    with pytest.raises(RateLimitedError):
        client.list_cars()
    assert time.monotonic() - started < 3  # at once, not after the 5 s asked for
    assert [r.method for r in server.records] == ["POST", "GET"]


# --- the time budget ------------------------------------------------------------------------


def test_a_slow_answer_is_cut_at_the_budget(make_client, sandbox):
    client = make_client(timeout=(1.0, 5.0), budget=0.6)
    client.authenticate()
    sandbox.faults.hang_next("/cars", seconds=10)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        client.list_cars()
    assert time.monotonic() - started < 3  # the 0.6 s budget, not the 5 s read timeout
    assert "time allowed" in caught.value.message
    assert caught.value.write_outcome_unknown is False
    # Wake the hanging request and let the sandbox log it here, not in the next test.
    sandbox.faults.clear()
    wait_until(lambda: sandbox.request_count(method="GET"), what="the hung GET logged")


@pytest.mark.parametrize(
    ("method", "call"),
    [("GET", lambda c: c.list_cars()), ("PUT", lambda c: c.create_car(name="Too late"))],
)
def test_a_spent_budget_sends_nothing(make_client, sandbox, method, call):
    # A valid token handed in (fetched outside the budget: on a loaded machine the token
    # request alone can take 0.2 s), so that only the spent budget can stop the call.
    client = make_client(budget=0.2, token=make_client().authenticate())
    wait_until(lambda: client.time_left() == 0, what="the budget spent")
    sandbox.clear_requests()
    with pytest.raises(UpstreamTimeout) as caught:
        call(client)
    assert caught.value.write_outcome_unknown is False  # nothing was sent
    assert sandbox.requests == []


def test_retries_stay_within_the_budget(make_client, sandbox):
    client = make_client(backoff_factor=5.0, budget=0.8)
    client.authenticate()
    sandbox.faults.fail_next("/cars", status=503, count=3)
    started = time.monotonic()
    with pytest.raises(ServerError):
        client.list_cars()  # a 5 s back-off does not fit: no retry
    assert time.monotonic() - started < 3
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1


def test_budget_bookkeeping(make_client):
    unlimited = make_client()
    assert unlimited.deadline is None and unlimited.time_left() is None
    limited = make_client(budget=5)
    assert 4 < limited.time_left() <= 5
    assert limited.deadline == pytest.approx(time.monotonic() + limited.time_left(), abs=0.05)
    for bad in (-1, True, "5", float("nan")):
        with pytest.raises(ValueError, match="budget"):
            make_client(budget=bad)


def test_a_budget_of_zero_is_spent_from_the_start(make_client, sandbox):
    # What a web request whose upstream budget is used up builds: a client that says so.
    client = make_client(budget=0)
    assert client.time_left() == 0
    with pytest.raises(UpstreamTimeout):
        client.list_cars()
    assert sandbox.requests == []


# --- an answer trickling in: the whole exchange is bounded, not each socket read ------------

# Seconds beyond the budget a cut-off exchange may take on a loaded machine: generous, yet
# every bound stays below the 5 s read timeout and far below the trickle's own end (tens of
# seconds), so passing means "cut at the deadline", never "timed out" or "read to the end".
SLACK = 2.0


def _trickling_event_put(client):
    return client.create_event(car_id=DEMO.iq_only_car_id, user_id=DEMO.user_id,
                               type="CarOpened", utc_date_time=datetime(2026, 3, 1, tzinfo=UTC),
                               user_agent="trickle test")


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [("GET", f"/cars/{DEMO.car_id}", lambda c: c.get_car(DEMO.car_id)),
     ("PUT", "/events", _trickling_event_put)],
)
def test_a_trickling_answer_is_cut_at_the_budget(make_client, sandbox, method, path, call):
    # 20 bytes a second: every read gets something long before the 5 s read timeout.
    client = make_client(timeout=(1.0, 5.0), budget=1.5)
    client.authenticate()
    sandbox.faults.trickle_next(path, bytes_per_second=20, method=method)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        call(client)
    assert time.monotonic() - started < 1.5 + SLACK
    assert "did not finish its answer" in caught.value.message
    assert "time allowed" in caught.value.message
    # The PUT was applied before its answer began: its outcome is unknown, never "failed".
    assert caught.value.write_outcome_unknown is (method == "PUT")
    assert sandbox.request_count(method=method, path_prefix=path) == 1  # never repeated
    # The cut connection is not reused: the next call is answered normally.
    assert make_client().get_car(DEMO.car_id).id == DEMO.car_id


def test_without_a_budget_connect_and_read_timeout_bound_the_whole_exchange(make_client,
                                                                             sandbox):
    client = make_client(timeout=(0.25, 0.5))
    client.authenticate()
    sandbox.faults.trickle_next("/cars", bytes_per_second=20)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        client.list_cars()
    assert time.monotonic() - started < 0.75 + SLACK
    assert "within 0.75 s." in caught.value.message


def test_a_trickling_token_answer_is_cut_too(make_client, sandbox):
    client = make_client(timeout=(1.0, 5.0), budget=0.5)
    sandbox.faults.trickle_next("/oauth2/token", bytes_per_second=20)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.list_cars()
    assert time.monotonic() - started < 0.5 + SLACK


def test_an_answer_within_the_time_is_not_cut(make_client, sandbox):
    client = make_client(timeout=(1.0, 5.0), budget=5)
    client.authenticate()
    sandbox.faults.trickle_next(f"/cars/{DEMO.car_id}", bytes_per_second=100_000)
    assert client.get_car(DEMO.car_id).id == DEMO.car_id
