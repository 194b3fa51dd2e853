"""The client's hooks for its host: on_call (each HTTP exchange) and token_guard (the fetch)."""

import socket

import pytest

from flinkey import FlinkeyClient, FlinkeyError, UnavailableError
from flinkey_sandbox import DEMO


def test_on_call_hears_every_exchange_with_path_status_and_seconds(make_client, sandbox):
    calls = []
    client = make_client(on_call=lambda *call: calls.append(call))
    client.list_cars()
    client.get_car(DEMO.large_event_car_id)
    methods_paths = [(method, path) for method, path, _status, _seconds in calls]
    assert methods_paths[0] == ("POST", "/oauth2/token")
    assert ("GET", "/cars") in methods_paths
    assert ("GET", f"/cars/{DEMO.large_event_car_id}") in methods_paths
    assert all(status == 200 for _m, _p, status, _s in calls)
    assert all(isinstance(seconds, float) and seconds >= 0 for *_rest, seconds in calls)
    # Paths only: never the base URL, a query or a secret.
    assert all(path.startswith("/") and "?" not in path for _m, path, _s, _t in calls)


def test_on_call_reports_unanswered_calls_with_status_none():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    calls = []
    client = FlinkeyClient(
        f"http://127.0.0.1:{port}/v3", api_key="k", username="u", password="p",
        customer_id=1, get_retries=0, timeout=(1.0, 1.0),
        on_call=lambda *call: calls.append(call),
    )
    with pytest.raises(UnavailableError):
        client.list_cars()
    assert [(method, path, status) for method, path, status, _s in calls] == [
        ("POST", "/oauth2/token", None)
    ]


def test_a_failing_on_call_does_not_fail_the_call(make_client, sandbox, caplog):
    def broken(*_call):
        raise RuntimeError("bookkeeping broke")

    assert make_client(on_call=broken).list_cars()
    assert "on_call" in caplog.text


def test_token_guard_wraps_each_fetch_and_on_token_hears_fetched_tokens(make_client, sandbox):
    guarded, seen = [], []

    def guard(fetch, usable):
        guarded.append(usable(None))
        return fetch()

    client = make_client(token_guard=guard, on_token=seen.append)
    client.list_cars()
    client.list_cars()
    assert guarded == [False]
    assert len(seen) == 1 and seen[0] is client.token
    assert sandbox.request_count(path_prefix="/oauth2/token") == 1


def test_a_token_the_guard_hands_in_is_used_without_a_token_request(make_client, sandbox):
    issued = make_client().authenticate()  # obtained elsewhere, e.g. by another instance
    sandbox.clear_requests()
    seen = []
    client = make_client(token_guard=lambda fetch, usable: issued, on_token=seen.append)
    assert client.list_cars()
    assert client.token is issued
    assert seen == []  # not a new token: nothing to share
    assert sandbox.request_count(path_prefix="/oauth2/token") == 0


def test_hooks_must_be_callable(sandbox):
    for name in ("on_call", "token_guard", "before_call"):
        with pytest.raises(ValueError, match=name):
            FlinkeyClient(sandbox.url, api_key="k", username="u", password="p",
                          **{name: "not callable"})


def test_before_call_hears_every_attempt_and_may_refuse_it(make_client, sandbox):
    asked = []
    client = make_client(before_call=lambda method, path: asked.append((method, path)))
    sandbox.faults.fail_next("/cars", status=503, count=1)  # one GET retried
    client.list_cars()
    assert asked == [("POST", "/oauth2/token"), ("GET", "/cars"), ("GET", "/cars")]

    class Refused(FlinkeyError):
        pass

    def refuse(method, path):
        raise Refused("no more calls", status=429)

    sandbox.clear_requests()
    refusing = make_client(before_call=refuse, token=client.token)
    with pytest.raises(Refused):
        refusing.delete_car(DEMO.car_id)
    assert sandbox.requests == []  # nothing was sent
