"""The sync's call budget: calls spread evenly under a per-fleet cap, back-off on 429 and 5xx.

One sync runs per fleet at a time (the fleet's lease, fleetstore.sync), so a pacer per
run is a budget per fleet. Interactive pages never wait for it: they use their own clients.
A run asks several cars at once (FLEETSTORE_CONCURRENCY): the pacer is shared by those
calls, each taking the next free slot, so the cap holds however many are in flight.
"""

import threading
import time
from collections.abc import Callable

from flinkey import RateLimitedError, ServerError, UnavailableError

# Back-off after an overload answer: doubled each time, never above this.
MAX_BACKOFF_SECONDS = 60.0
# The first back-off (or one call's spacing, when longer): FLEETSTORE_BACKOFF_SECONDS.
FIRST_BACKOFF_SECONDS = 1.0


class Pacer:
    """Runs calls no closer together than 60 / `calls_per_minute` seconds, and counts them."""

    def __init__(self, calls_per_minute: int, *, retries: int = 3,
                 backoff: float = FIRST_BACKOFF_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        self.spacing = 60.0 / calls_per_minute
        self.retries = retries
        if backoff <= 0:
            raise ValueError("backoff must be positive")
        self.first_backoff = backoff
        self.calls = 0
        self._clock = clock
        self._sleep = sleep
        self._next_slot = clock()
        self._lock = threading.Lock()

    def call(self, fn: Callable, *args, **kwargs):
        """Return fn(*args, **kwargs) in the next free slot; retries on 429/5xx with back-off.

        For reads only (the sync never writes): a call without an answer is asked again.

        Raises what the last try raised once the retries are spent (the caller records the
        car as failed; the next run asks again).
        """
        backoff = max(self.spacing, self.first_backoff)
        for attempt in range(self.retries + 1):
            self._wait_for_slot()
            try:
                return fn(*args, **kwargs)
            except (RateLimitedError, ServerError, UnavailableError) as error:
                if attempt == self.retries:
                    raise
                wait = getattr(error, "retry_after", None) or backoff
                self._push_back(min(wait, MAX_BACKOFF_SECONDS))
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        raise AssertionError("unreachable")

    def _wait_for_slot(self) -> None:
        # The slot is taken under the lock and waited for outside it: callers in flight
        # line up one spacing apart instead of all sleeping on the same slot.
        with self._lock:
            now = self._clock()
            slot = max(self._next_slot, now)
            self._next_slot = slot + self.spacing
            self.calls += 1
        if slot > now:
            self._sleep(slot - now)

    def _push_back(self, seconds: float) -> None:
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
