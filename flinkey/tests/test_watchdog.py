"""The watchdog's keeper thread: woken only when it has to be."""

import time

from flinkey import watchdog
from flinkey.watchdog import Watch


def test_the_keeper_is_woken_only_for_a_watch_that_expires_first(monkeypatch):
    # Every flinkey call adds a watch just before its request is sent. Waking the keeper
    # for one that expires after the watch it is already waiting for only makes it take
    # the GIL while that request is being sent (and the page is rendering).
    keeper = watchdog._Keeper()
    woken = []
    notify = keeper._wake.notify
    monkeypatch.setattr(keeper._wake, "notify", lambda *args: woken.append(1) or notify(*args))

    keeper.add(Watch(30))  # the first: the keeper has nothing to wait for yet
    keeper.add(Watch(60))  # later than the one it waits for: no wake-up
    keeper.add(Watch(90))
    assert len(woken) == 1
    earlier = Watch(0.05)
    keeper.add(earlier)  # before the one it waits for: woken, or it would sleep past it
    assert len(woken) == 2

    give_up = time.monotonic() + 5
    while not earlier.expired and time.monotonic() < give_up:
        time.sleep(0.01)
    assert earlier.expired
