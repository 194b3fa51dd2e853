"""The sync's pacer: calls spread evenly under the cap; back-off on 429 and 5xx."""

import threading
import time as real_time

import pytest

from fleetstore.pacing import Pacer
from flinkey import NotFoundError, RateLimitedError, ServerError


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.calls_at = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_calls_are_spread_evenly_under_the_cap():
    time = FakeTime()
    pacer = Pacer(120, clock=time.clock, sleep=time.sleep)

    for _ in range(5):
        pacer.call(lambda: time.calls_at.append(time.now))

    assert time.calls_at == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert pacer.calls == 5


def test_a_429_waits_its_retry_after_and_a_5xx_backs_off_then_the_call_goes_through():
    time = FakeTime()
    pacer = Pacer(60, clock=time.clock, sleep=time.sleep)
    answers = [RateLimitedError("slow down", 429, retry_after=7),
               ServerError("Internal server error.", 500)]

    def call():
        time.calls_at.append(time.now)
        if answers:
            raise answers.pop(0)
        return "ok"

    assert pacer.call(call) == "ok"
    assert time.calls_at == [0.0, 7.0, 9.0]  # Retry-After 7 s, then the doubled back-off 2 s
    assert pacer.calls == 3


def test_retries_end_and_other_errors_are_not_retried():
    time = FakeTime()
    pacer = Pacer(60, retries=2, clock=time.clock, sleep=time.sleep)

    def failing():
        raise ServerError("Internal server error.", 503)

    with pytest.raises(ServerError):
        pacer.call(failing)
    assert pacer.calls == 3

    def missing():
        raise NotFoundError("Car not found.", 404)

    with pytest.raises(NotFoundError):
        pacer.call(missing)
    assert pacer.calls == 4


def test_callers_in_flight_at_once_each_get_their_own_slot():
    """The sync asks several cars at once through one pacer: no two calls share a slot."""
    slots = []
    lock = threading.Lock()

    def sleep(seconds):  # the clock stands still; a real pause lets the threads interleave
        with lock:
            slots.append(round(seconds, 6))
        real_time.sleep(0.005)

    pacer = Pacer(60, clock=lambda: 0.0, sleep=sleep)
    threads = [threading.Thread(target=lambda: [pacer.call(lambda: None) for _ in range(5)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert pacer.calls == 20
    assert sorted(slots) == [float(second) for second in range(1, 20)]  # the first waits 0 s
