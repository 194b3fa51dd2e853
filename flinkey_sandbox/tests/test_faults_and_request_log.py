"""Fault injection (latency, 5xx, hangs, redirects, token expiry) and the request log."""

import socket
import threading
import time

import pytest

from flinkey_sandbox import DEMO, RequestRecord
from flinkey_sandbox import api as endpoints

from .helpers import JSON, assert_text


def test_latency_is_added_to_every_request(api, sandbox):
    api.access_token()
    sandbox.faults.latency = 0.2
    started = time.monotonic()
    assert api.get("/cars", {"$top": "1"}).status == 200
    assert time.monotonic() - started >= 0.2


def test_failure_rate_answers_internal_server_error(api, sandbox):
    api.access_token()
    sandbox.faults.failure_rate = 1.0
    assert_text(api.get("/cars"), 500, "Internal server error.")
    sandbox.faults.failure_rate = 0.5
    statuses = [api.get("/customers", customer=None).status for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(200) > 5


def test_failure_rate_is_reproducible_after_reset(api, sandbox):
    def run():
        client = type(api)(sandbox)
        client.access_token()
        sandbox.faults.failure_rate = 0.5
        return [client.get("/customers", customer=None).status for _ in range(12)]

    first = run()
    sandbox.reset()
    assert run() == first


def test_fail_next_counts_down_per_prefix_and_method(api, sandbox):
    api.access_token()
    sandbox.faults.fail_next("/cars", status=503, count=2, method="GET")
    assert api.get("/customers", customer=None).status == 200  # other prefix untouched
    assert api.call("PUT", "/cars", json_body={"name": "x"}).status == 201  # other method
    first, second, third = (api.get(f"/cars/{DEMO.car_id}") for _ in range(3))
    assert_text(first, 503, "Service Unavailable.")
    assert second.status == 503
    assert third.status == 200


def test_fail_next_defaults_to_one_internal_server_error(api, sandbox):
    api.access_token()
    sandbox.faults.fail_next("/cars")
    assert_text(api.get("/cars"), 500, "Internal server error.")
    assert api.get("/cars").status == 200


def test_fail_next_401_carries_the_token_json(api, sandbox):
    api.access_token()
    sandbox.faults.fail_next("/cars", status=401)
    reply = api.get("/cars")
    assert reply.status == 401
    assert reply.content_type == JSON
    assert reply.json() == {
        "statusCode": 401,
        "message": "Unauthorized. Access token is missing or invalid.",
    }


def test_fail_next_on_the_token_request(api, sandbox):
    sandbox.faults.fail_next("/oauth2/token", status=502)
    assert api.token().status == 502
    assert api.token().status == 200


def test_fail_next_429_looks_like_the_gateway(api, sandbox):
    api.access_token()
    sandbox.faults.fail_next("/cars", status=429)
    reply = api.get("/cars")
    assert reply.status == 429
    assert reply.headers["retry-after"] == "1"
    assert reply.json()["statusCode"] == 429


def test_hang_next_delays_the_answer_past_a_client_timeout(api, sandbox):
    api.access_token()
    sandbox.faults.hang_next("/cars", seconds=10)
    with pytest.raises((TimeoutError, socket.timeout)):
        api.get("/cars", timeout=0.3)
    started = time.monotonic()
    assert api.get("/cars", timeout=20).status == 200  # only once
    assert time.monotonic() - started < 5  # not hung for 10 s


def test_hanging_requests_are_released_by_clearing_the_faults(api, sandbox):
    api.access_token()
    sandbox.faults.hang_next("/cars", seconds=30)
    result = {}

    def slow():
        started = time.monotonic()
        result["status"] = api.get("/cars", timeout=10).status
        result["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=slow)
    worker.start()
    # Held: still waiting well after an unhindered request would have been answered, and
    # not yet answered as far as the server knows (records are written before answering).
    worker.join(timeout=0.5)
    assert worker.is_alive(), "the request was not held"
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 0
    released = time.monotonic()
    sandbox.faults.clear()
    worker.join(timeout=5)
    assert not worker.is_alive(), "the request was not released"
    assert time.monotonic() - released < 2.0  # woken, not timed out after 30 s
    assert result["status"] == 200 and result["seconds"] >= 0.5
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1


def test_redirect_next_answers_307_with_location(api, sandbox):
    api.access_token()
    target = "http://127.0.0.1:1/elsewhere"
    sandbox.faults.redirect_next("/cars", location=target)
    reply = api.get("/cars")
    assert reply.status == 307
    assert reply.headers["location"] == target
    assert api.get("/cars").status == 200


def test_reset_clears_faults(api, sandbox):
    sandbox.faults.latency = 5
    sandbox.faults.failure_rate = 1
    sandbox.faults.token_lifetime = 1
    sandbox.faults.fail_next("/", count=100)
    sandbox.reset()
    assert sandbox.faults.latency == 0 and sandbox.faults.failure_rate == 0
    assert api.token().json()["expires_in"] == "3600"
    assert api.get("/cars").status == 200


def test_fault_count_must_be_positive(sandbox):
    with pytest.raises(ValueError):
        sandbox.faults.fail_next("/cars", count=0)


def test_unexpected_exception_is_internal_server_error_and_server_survives(
    api, sandbox, monkeypatch
):
    route = next(r for r in endpoints.ROUTES if r.pattern.pattern == "^/cars$")

    def boom(env, request):
        raise RuntimeError("secret traceback detail")

    monkeypatch.setitem(route.methods, "GET", boom)
    reply = api.get("/cars")
    assert_text(reply, 500, "Internal server error.")
    assert b"Traceback" not in reply.body and b"secret" not in reply.body
    monkeypatch.undo()
    assert api.get("/cars").status == 200


def test_request_log_records_method_path_query_status_customer(api, sandbox):
    api.access_token()
    api.get("/cars", {"$top": "2", "$filter": "name ne null"})
    api.get("/cars/999999")
    api.get("/customers", customer=None)
    records = sandbox.requests
    assert records[0] == RequestRecord("POST", "/oauth2/token", {}, 200, None)
    assert records[1] == RequestRecord(
        "GET", "/cars", {"$top": "2", "$filter": "name ne null"}, 200, DEMO.customer_id
    )
    method, path, query, status, customer_id = records[2]
    assert (method, path, status, customer_id) == ("GET", "/cars/999999", 404, DEMO.customer_id)
    assert records[3].customer_id is None and records[3].path == "/customers"


def test_request_log_includes_refused_and_faulted_requests(api, sandbox):
    api.get("/cars", api_key="wrong", token=None)
    sandbox.faults.fail_next("/cars", status=503)
    api.get("/cars", token=None)
    assert [r.status for r in sandbox.requests] == [401, 503]


def test_request_count_filters_by_method_and_prefix(api, sandbox):
    api.access_token()
    api.get("/cars")
    api.get(f"/cars/{DEMO.car_id}/products")
    api.call("PUT", "/cars", json_body={"name": "x"})
    assert sandbox.request_count() == 4
    assert sandbox.request_count(method="GET") == 2
    assert sandbox.request_count(method="get", path_prefix="/cars") == 2
    assert sandbox.request_count(path_prefix="/cars") == 3
    assert sandbox.request_count(method="POST", path_prefix="/oauth2/token") == 1
    sandbox.clear_requests()
    assert sandbox.request_count() == 0 and sandbox.requests == []


def test_request_log_is_thread_safe(api, sandbox):
    api.access_token()
    threads = [
        threading.Thread(target=lambda: api.get("/customers", customer=None)) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sandbox.request_count(path_prefix="/customers") == 20


def test_keep_alive_connection_serves_several_requests(api, sandbox):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    headers = {
        "flinkey-API-Key": DEMO.api_key,
        "Authorization": "Bearer " + api.access_token(),
        "Customer-ID": str(DEMO.customer_id),
        "Content-Type": "application/json",
    }
    try:
        for body in (b'{"name": "a"}', b'{"name": "b"}'):
            connection.request("PUT", "/v3/cars", body=body, headers=headers)
            response = connection.getresponse()
            assert response.status == 201
            response.read()
        connection.request("GET", "/v3/cars/999999", headers=headers)
        assert connection.getresponse().status == 404
    finally:
        connection.close()


def _hold(sandbox, send, path):
    """Start `send()` in a thread and wait until the sandbox holds it in a hang on `path`."""
    sandbox.faults.hang_next(path, seconds=30)
    result = {}
    worker = threading.Thread(target=lambda: result.update(reply=send()))
    worker.start()
    worker.join(timeout=0.4)
    assert worker.is_alive(), "the request was not held"
    return worker, result


def test_a_write_held_across_reset_does_not_reach_the_fresh_store(api, sandbox, monkeypatch):
    api.access_token()
    worker, result = _hold(
        sandbox, lambda: api.call("PUT", "/cars", json_body={"name": "Geisterauto"}), "/cars"
    )
    # A reset that takes a moment after waking the held request (the token store is the
    # last thing it clears): the request must not slip into the fresh state meanwhile.
    expire_all = sandbox.tokens.expire_all
    monkeypatch.setattr(sandbox.tokens, "expire_all", lambda: (time.sleep(0.3), expire_all()))
    sandbox.reset()
    worker.join(timeout=5)
    assert not worker.is_alive()
    reply = result["reply"]
    assert_text(reply, 503, "Service Unavailable.")
    names = [car["name"] for car in sandbox.store.cars[DEMO.customer_id].values()]
    assert "Geisterauto" not in names


def test_a_token_request_held_across_reset_issues_no_token_for_the_fresh_state(api, sandbox):
    worker, result = _hold(sandbox, api.token, "/oauth2/token")
    sandbox.reset()
    worker.join(timeout=5)
    assert not worker.is_alive()
    reply = result["reply"]
    assert reply.status == 503
    fresh = type(api)(sandbox)
    assert fresh.get("/cars").status == 200  # new requests are served as usual


def test_a_request_held_across_reset_is_not_in_the_fresh_request_log(api, sandbox):
    api.access_token()
    worker, result = _hold(sandbox, lambda: api.get("/cars"), "/cars")
    sandbox.reset()
    worker.join(timeout=5)
    assert result["reply"].status == 503
    assert sandbox.requests == []


def _raw_get(sandbox, path: str, token: str) -> socket.socket:
    port = int(sandbox.url.split(":")[2].split("/")[0])
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(
        f"GET /v3{path} HTTP/1.1\r\nHost: x\r\nflinkey-API-Key: {DEMO.api_key}\r\n"
        f"Customer-ID: {DEMO.customer_id}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    return conn


def test_trickle_next_writes_the_whole_answer_a_few_bytes_a_second(api, sandbox):
    token = api.access_token()
    sandbox.faults.trickle_next(f"/cars/{DEMO.car_id}", bytes_per_second=4)
    conn = _raw_get(sandbox, f"/cars/{DEMO.car_id}", token)
    started = time.monotonic()
    received = b""
    reads = 0
    while len(received) < 12:
        received += conn.recv(100)
        reads += 1
    # Bytes keep coming (no read waits long), but the status line alone takes seconds.
    assert received.startswith(b"HTTP/1.1 20")
    assert reads >= 3 and time.monotonic() - started >= 2.0
    conn.close()
    # One answer only; the request itself was handled (a write would be applied) and logged.
    assert sandbox.request_count(method="GET", path_prefix=f"/cars/{DEMO.car_id}") == 1
    started = time.monotonic()
    assert api.get(f"/cars/{DEMO.car_id}").status == 200
    # Answered at once, not queued behind the trickle (which takes minutes at 4 bytes a second).
    assert time.monotonic() - started < 10


def test_trickling_answers_stop_at_reset(api, sandbox):
    token = api.access_token()
    sandbox.faults.trickle_next("/cars", bytes_per_second=0.5)
    conn = _raw_get(sandbox, "/cars", token)
    assert conn.recv(100) == b"H"
    sandbox.faults.clear()
    conn.settimeout(3)
    assert conn.recv(100) in (b"", b"T")  # closed at once (at most the byte under way)


def test_trickle_rate_must_be_positive(sandbox):
    with pytest.raises(ValueError):
        sandbox.faults.trickle_next("/cars", bytes_per_second=0)
