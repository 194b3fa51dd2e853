"""fan_out: one call per car, a bounded number at a time, partial results, a deadline kept."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from config.testing import wait_until
from flinkey import Ahead, FlinkeyError, NotFoundError, Outcome, UpstreamTimeout, fan_out
from flinkey_sandbox import DEMO


def test_forty_calls_at_concurrency_eight_take_five_rounds(make_client, sandbox):
    client = make_client()
    cars = [car.id for car in client.list_cars()][:40]
    assert len(cars) == 40
    sandbox.faults.latency = 0.1
    started = time.monotonic()
    outcomes = fan_out(client.get_car, cars, concurrency=8)
    elapsed = time.monotonic() - started
    # 40 / 8 = 5 rounds of 0.1 s, not 40 of them (4 s).
    assert 0.5 <= elapsed < 2.5
    assert [outcome.item for outcome in outcomes] == cars  # input order
    assert all(outcome.ok for outcome in outcomes)
    assert [outcome.value.id for outcome in outcomes] == cars


def test_never_more_calls_in_flight_than_the_concurrency():
    lock = threading.Lock()
    in_flight = peak = 0
    # The first four calls wait for each other: four in flight at once is then certain (on a
    # busy machine, overlapping sleeps alone may not get there), and a pool of fewer than four
    # breaks the barrier, which fails the test.
    first_round = threading.Barrier(4, timeout=5)

    def call(item: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        if item < 4:
            first_round.wait()
        time.sleep(0.02)  # the work: calls that overlap, to show a fifth never joins
        with lock:
            in_flight -= 1
        return item * 2

    outcomes = fan_out(call, range(30), concurrency=4)
    assert peak == 4
    assert [outcome.value for outcome in outcomes] == [n * 2 for n in range(30)]


def test_one_failing_car_does_not_fail_the_rest(client, sandbox):
    client.authenticate()
    missing = 999_999
    outcomes = fan_out(client.get_location, [DEMO.car_id, missing, DEMO.bare_car_id])
    good, gone, bare = outcomes
    assert good.ok and good.value.latitude is not None
    assert isinstance(gone.error, NotFoundError) and gone.value is None
    assert isinstance(bare.error, FlinkeyError)  # no devices: no location (404)


def test_any_exception_is_captured_as_the_items_error():
    def call(item):
        if item == "boom":
            raise RuntimeError("not an API error")
        return item.upper()

    outcomes = fan_out(call, ["a", "boom", "c"])
    assert [o.value for o in outcomes] == ["A", None, "C"]
    assert isinstance(outcomes[1].error, RuntimeError) and not outcomes[1].ok


def test_the_deadline_is_kept_and_late_items_are_timeouts(make_client, sandbox):
    client = make_client()
    cars = [car.id for car in client.list_cars()][:6]
    sandbox.faults.hang_next(f"/cars/{cars[0]}", seconds=10)
    sandbox.faults.latency = 0.1
    started = time.monotonic()
    outcomes = fan_out(client.get_car, cars, concurrency=2, timeout=0.35)
    elapsed = time.monotonic() - started
    assert elapsed < 3  # returned on time, the call hanging for 10 s abandoned
    assert outcomes[0].error is not None
    assert isinstance(outcomes[0].error, UpstreamTimeout)
    assert "did not answer" in outcomes[0].error.message  # it had started
    assert outcomes[0].error.write_outcome_unknown is False  # a read, as for a GET
    done = [o for o in outcomes if o.ok]
    assert 2 <= len(done) <= 4  # the other worker finished about three in 0.35 s
    late = [o for o in outcomes[1:] if not o.ok]
    assert all(isinstance(o.error, UpstreamTimeout) for o in late)
    assert any("not started" in o.error.message for o in late)
    # Wake the abandoned call so the sandbox logs it in this test, not the next.
    sandbox.faults.clear()
    wait_until(lambda: sandbox.request_count(path_prefix=f"/cars/{cars[0]}"),
               what="the abandoned call logged")


def test_a_deadline_as_a_monotonic_moment(make_client):
    client = make_client(budget=0.3)
    release = threading.Event()
    outcomes = fan_out(lambda item: release.wait(5), [1, 2], deadline=client.deadline)
    release.set()
    assert all(isinstance(o.error, UpstreamTimeout) for o in outcomes)


def test_a_passed_deadline_starts_nothing():
    calls: list[int] = []
    outcomes = fan_out(calls.append, [1, 2, 3], deadline=time.monotonic() - 1)
    assert calls == []
    assert [o.item for o in outcomes] == [1, 2, 3]
    assert all("not started" in o.error.message for o in outcomes)


def test_the_earlier_of_timeout_and_deadline_wins():
    started = time.monotonic()
    fan_out(lambda item: time.sleep(10), [1], timeout=5, deadline=started + 0.1)
    fan_out(lambda item: time.sleep(10), [1], timeout=0.1, deadline=started + 5)
    assert time.monotonic() - started < 4  # 0.1 s twice, not 5 s for either


def test_calls_see_the_callers_context_variables():
    request_id = contextvars.ContextVar("request_id", default=None)
    request_id.set("abc")
    outcomes = fan_out(lambda item: request_id.get(), [1, 2, 3], concurrency=3)
    assert [o.value for o in outcomes] == ["abc"] * 3


def test_edge_cases():
    assert fan_out(str, []) == []
    assert fan_out(str, iter([1])) == [Outcome(1, value="1")]
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="concurrency"):
            fan_out(str, [1], concurrency=bad)
    with pytest.raises(AttributeError):
        Outcome(1).value = 2  # frozen


# --- Ahead: one call sent now, its answer taken later ---------------------------------------


def test_ahead_runs_while_the_caller_works_and_gives_the_value():
    release = threading.Event()
    started = threading.Event()

    def call(x, *, y):
        started.set()
        release.wait(5)
        return x + y

    ahead = Ahead(call, 1, y=2)
    assert started.wait(5)  # on its way before anyone asks for the result
    release.set()
    assert ahead.result() == 3
    assert ahead.result() == 3  # asked again: the same answer, no second call


def test_ahead_raises_the_calls_exception_where_the_result_is_taken(client, sandbox):
    ahead = Ahead(client.get_car, 999_999)
    with pytest.raises(NotFoundError):
        ahead.result()


def test_ahead_sees_the_callers_context_variables():
    request_id = contextvars.ContextVar("request_id", default=None)
    request_id.set("abc")
    assert Ahead(request_id.get).result() == "abc"
