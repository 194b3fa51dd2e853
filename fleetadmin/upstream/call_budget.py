"""A budget of flinkey calls per user and per fleet, per minute, shared by every instance.

flinkey rate-limits an API account as a whole: one person's screens that fan out (a fleet
map, a route, "left open") could otherwise spend it for everyone on that account. So every
HTTP request to flinkey is charged, before it is sent, to two budgets per fixed one-minute
window (UTC minutes):

- the **user**'s (`FLEETADMIN_USER_CALLS_PER_MINUTE`), so one person cannot starve the
  others of their fleet;
- the **fleet**'s, i.e. the API URL and customer (`FLEETADMIN_FLEET_CALLS_PER_MINUTE`), so
  many people (or a background sync) together stay below flinkey's limit.

A spent budget raises `CallBudgetSpent` (a FlinkeyError: the error table turns it into a
429 page saying when to try again; a fan-out records it per item, and stops asking: the
meter remembers for the rest of the window). A call refused by the user's budget is not
charged to the fleet's. 0 switches a budget off.

Counted in Django's cache with `add` + `incr` (both atomic in Redis; see
fleetadmin.ops.cache_backend), so every instance shares the count. While Redis is unreachable
the cache is a per-process stand-in: each process then counts on its own (the pages go on;
the budget is per process until Redis is back).

Public API (for anything else that calls flinkey, e.g. a sync of the fleet store):

    meter = call_budget.meter(user_id=request.user.pk, fleet=call_budget.fleet(url, customer))
    meter.charge()          # before each call; raises CallBudgetSpent when a budget is spent
    meter.left()            # calls left in this window (the smaller budget; None: unlimited)

`fleetadmin.upstream.clients.client_from` charges every client's calls this way (its `before_call`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from flinkey import FlinkeyError

__all__ = ["WINDOW_SECONDS", "CallBudgetSpent", "Meter", "fleet", "meter"]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A window's counter outlives its minute a little (clocks of instances differ slightly).
_KEEP_SECONDS = 2 * WINDOW_SECONDS


class CallBudgetSpent(FlinkeyError):
    """A call not sent: the user's or the fleet's budget for this minute is spent.

    `.scope` is "user" or "fleet"; `.retry_after` the seconds until the next window.
    """

    def __init__(self, scope: str, retry_after: float) -> None:
        super().__init__(f"fleetadmin's {scope} budget of flinkey calls for this minute is "
                         f"spent; nothing was sent.", status=None)
        self.scope = scope
        self.retry_after = max(1, int(retry_after + 0.999))
        self.write_outcome_unknown = False  # nothing was sent

    def __repr__(self) -> str:
        return f"CallBudgetSpent(scope={self.scope!r}, retry_after={self.retry_after!r})"


def fleet(base_url: str, customer_id: int | None) -> str | None:
    """Return the fleet's budget name for an API URL and customer (None without a customer).

    An HMAC, so a cache key names no customer and no URL in the clear.
    """
    if customer_id is None:
        return None
    return salted_hmac("fleetadmin-call-budget", f"{base_url}\0{int(customer_id)}",
                       algorithm="sha256").hexdigest()[:32]


def meter(*, user_id: int | None, fleet: str | None) -> Meter:
    """Return a meter charging the user's and the fleet's budgets (either may be None)."""
    return Meter(user_id, fleet)


@dataclass
class _Budget:
    scope: str
    name: str
    limit: int


class Meter:
    """Charges calls to a user's and a fleet's budgets; one per client (a web request)."""

    def __init__(self, user_id: int | None, fleet_name: str | None) -> None:
        budgets = []
        if user_id is not None:
            budgets.append(_Budget("user", f"u{int(user_id)}",
                                   settings.FLEETADMIN_USER_CALLS_PER_MINUTE))
        if fleet_name is not None:
            budgets.append(_Budget("fleet", f"f{fleet_name}",
                                   settings.FLEETADMIN_FLEET_CALLS_PER_MINUTE))
        self._budgets = [budget for budget in budgets if budget.limit > 0]
        # Once refused, refused until the window ends without asking the cache again: a
        # fan-out's remaining items fail at once.
        self._refused: tuple[int, CallBudgetSpent] | None = None

    def charge(self, calls: int = 1) -> None:
        """Count `calls` about to be sent; raise CallBudgetSpent if a budget is spent.

        The user's budget is asked first: a refused user costs the fleet nothing.
        """
        window, left = _window()
        if self._refused is not None and self._refused[0] == window:
            raise CallBudgetSpent(self._refused[1].scope, left)
        for budget in self._budgets:
            if _count(_key(budget, window), calls) > budget.limit:
                refusal = CallBudgetSpent(budget.scope, left)
                self._refused = (window, refusal)
                raise refusal

    def left(self) -> int | None:
        """Return the calls left in this window (the smaller budget), or None: unlimited."""
        window, _seconds = _window()
        lefts = [max(0, budget.limit - _read(_key(budget, window))) for budget in self._budgets]
        return min(lefts) if lefts else None

    def refusal(self) -> CallBudgetSpent | None:
        """Return what `charge` would raise now that a budget is used up, else None.

        For a screen that fanned out and wants to say why calls failed.
        """
        window, left = _window()
        for budget in self._budgets:
            if _read(_key(budget, window)) >= budget.limit:
                return CallBudgetSpent(budget.scope, left)
        return None

    def __call__(self, method: str, path: str) -> None:
        """The client's `before_call` hook: one charge per HTTP request."""
        self.charge()


def _window() -> tuple[int, float]:
    """Return this minute's number and the seconds left in it."""
    now = time.time()
    return int(now // WINDOW_SECONDS), WINDOW_SECONDS - now % WINDOW_SECONDS


def _key(budget: _Budget, window: int) -> str:
    return f"call-budget:{budget.name}:{window}"


def _count(key: str, calls: int) -> int:
    """Add `calls` to the counter `key` (made if missing); return its new value."""
    try:
        return _count_in_cache(key, calls)
    except Exception:
        # A cache backend that raises when its server is down (fleetadmin's Redis backend
        # does not: it has a stand-in of its own): count in this process instead.
        if not _local_fallback_logged.is_set():
            _local_fallback_logged.set()
            log.warning("call budget: the cache failed; counting in this process",
                        exc_info=True)
        return _count_locally(key, calls)


def _count_in_cache(key: str, calls: int) -> int:
    try:
        return cache.incr(key, calls)
    except ValueError:  # no counter yet in this window
        pass
    if cache.add(key, calls, timeout=_KEEP_SECONDS):
        return calls
    # Another request made it between our incr and our add.
    try:
        return cache.incr(key, calls)
    except ValueError:
        # Gone again (evicted, or the cache failed over to its stand-in between the two):
        # count this call alone rather than refuse it.
        return calls


def _read(key: str) -> int:
    try:
        return cache.get(key) or 0
    except Exception:  # a backend that raises while down: the count of this process
        with _local_lock:
            return _local_counts.get(key, 0)


_local_counts: dict[str, int] = {}
_local_lock = threading.Lock()
_local_fallback_logged = threading.Event()


def _count_locally(key: str, calls: int) -> int:
    window = key.rsplit(":", 1)[1]
    with _local_lock:
        for old in [name for name in _local_counts if not name.endswith(":" + window)]:
            del _local_counts[old]  # past minutes: their counts are of no use any more
        _local_counts[key] = _local_counts.get(key, 0) + calls
        return _local_counts[key]
