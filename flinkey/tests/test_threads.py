"""One client used by many threads at once: one token request, one on_token per token."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from config.testing import wait_until
from flinkey import Token, UpstreamTimeout
from flinkey_sandbox import DEMO

THREADS = 16


def token_requests(sandbox) -> int:
    return sandbox.request_count(method="POST", path_prefix="/oauth2/token")


def settle(sandbox, token_requests_expected: int) -> None:
    """Wake hanging requests and wait until the sandbox has logged them (it logs on answering),
    so they do not land in the next test's log."""
    sandbox.faults.clear()
    wait_until(lambda: token_requests(sandbox) >= token_requests_expected, timeout=3,
               what=f"{token_requests_expected} token requests logged")
    assert token_requests(sandbox) == token_requests_expected


def run_together(call, n: int = THREADS) -> list[BaseException]:
    """Run `call` on n threads started together; return what they raised."""
    barrier = threading.Barrier(n)
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - collected for the test
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return failures


def test_threads_needing_a_token_cause_one_token_request(make_client, sandbox):
    seen: list[Token] = []
    client = make_client(on_token=seen.append)
    sandbox.faults.latency = 0.05  # the token request is in flight while the others arrive
    assert run_together(lambda: client.get_location(DEMO.car_id)) == []
    assert token_requests(sandbox) == 1
    assert seen == [client.token]
    assert sandbox.request_count(method="GET") == THREADS


def test_threads_refused_with_an_expired_token_renew_it_once(make_client, sandbox):
    seen: list[Token] = []
    client = make_client(on_token=seen.append)
    client.list_cars()
    sandbox.expire_tokens()
    sandbox.clear_requests()
    sandbox.faults.latency = 0.05
    assert run_together(lambda: client.get_location(DEMO.car_id)) == []
    assert token_requests(sandbox) == 1
    assert len(seen) == 2 and seen[-1] is client.token


def test_a_failed_token_fetch_is_shared_by_the_threads_that_waited(make_client, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="flinkey")
    client = make_client(timeout=(1.0, 0.3))
    sandbox.faults.hang_next("/oauth2/token", seconds=2, count=THREADS)
    started = time.monotonic()
    failures = run_together(lambda: client.list_cars())
    # One token timeout for all of them (0.3 s), not one per waiting thread in turn (4.8 s).
    assert time.monotonic() - started < 3
    assert len(failures) == THREADS
    assert all(isinstance(failure, UpstreamTimeout) for failure in failures)
    assert len({id(failure) for failure in failures}) == THREADS  # each its own instance
    # (The sandbox logs a request when it answers, after the hang: count the client's log.)
    assert caplog.text.count("POST /oauth2/token failed") == 1
    # The next call tries again.
    sandbox.faults.clear()
    assert len(client.list_cars()) == 62
    settle(sandbox, 2)  # the one that hung, and the one just now


def test_waiting_for_the_token_respects_the_budget(make_client, sandbox):
    client = make_client(timeout=(1.0, 5.0), budget=0.4)
    sandbox.faults.hang_next("/oauth2/token", seconds=10)
    started = time.monotonic()
    failures = run_together(lambda: client.list_cars(), n=4)
    assert time.monotonic() - started < 3  # the 0.4 s budget, not the 5 s read timeout
    assert len(failures) == 4
    assert all(isinstance(failure, UpstreamTimeout) for failure in failures)
    settle(sandbox, 1)


@pytest.mark.parametrize("method", ["authenticate"])
def test_authenticate_from_many_threads_notifies_each_token_once(make_client, sandbox, method):
    seen: list[Token] = []
    client = make_client(on_token=seen.append)
    assert run_together(lambda: getattr(client, method)(), n=4) == []
    assert token_requests(sandbox) == 4  # authenticate always asks
    assert len({token.access_token for token in seen}) == len(seen) == 4
