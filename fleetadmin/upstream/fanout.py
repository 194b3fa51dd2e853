"""One upstream read per item (car, sample), concurrently, through Django's cache.

flinkey has no bulk calls: a fleet map is one location call per car, a route one call per
sample, a "cars left open" report one events call per car. Every such screen goes through
`fan_out_cached`:

    results = fan_out_cached(
        user=request.user,
        kind="location",                          # a namespace: what `fetch` asks for
        keys=[(car_id, at), ...],                 # hashable; tuples of int/str/datetime/None
        fetch=lambda client, key: client.get_location(key[0], at=key[1]),
        ttl=lambda key, value: 60,                # seconds to keep a value; None: not at all
    )
    results[(car_id, at)].ok / .value / .error    # a flinkey.Outcome per key, in key order
    results.fetched, results.hits                 # upstream calls made, answers from the cache

What it does, and why:
- Cached answers are taken first (one `get_many`); only the rest go upstream, on
  `FLEETADMIN_FANOUT_CONCURRENCY` threads (`flinkey.fan_out`) sharing one client, so its
  pooled keep-alive connections, token, GET retries and 429 Retry-After handling apply.
- A deadline (`timeout`, default `FLEETADMIN_FANOUT_TIMEOUT` seconds) bounds the whole
  batch: a car that has not answered by then gets an `UpstreamTimeout` outcome and the page
  is answered with the others (partial results), never held by one slow car.
- Values are cached for `ttl(key, value)` seconds; errors are not cached (the next load
  asks again), except flinkey's "not found" for the thing asked, kept for
  `FLEETADMIN_NOT_FOUND_CACHE_SECONDS`: asking again would only cost the same 404. Values
  must be picklable (the client's frozen dataclasses are).
- Nothing is taken from the cache before `fleetadmin.upstream.reach.prove(user)` has shown that the
  user's OWN credentials reach the customer (a token obtained with exactly them, and the
  customer among its `/customers`; remembered for `FLEETADMIN_REACH_RECHECK_SECONDS`): a
  wrong password for a cached fleet reads nothing. `prove` raises SetupNeeded (no
  credentials, no customer, a customer out of reach), AuthenticationError (refused) or
  another FlinkeyError; that is raised, not put in the outcomes.
- The cache key holds the proven `Fleet` (API URL + customer, as an HMAC), `kind` and the
  key: everyone working for that customer shares the answers (across instances with
  `CACHE_URL` on Redis); two customers never do. The client that fetches is built from the
  very credentials the proof was made of (`proof.client()`), never read again, and an answer
  is stored under the customer of that client: a customer switched while a page loads
  cannot file one customer's answers under the other's key.

`fan_out_together(user=..., reads=[Reads(kind, keys, fetch, ttl), ...])` does the same for
several kinds at once, in one fan-out: a few calls of another kind (the fleet map's next
list page) take the slots the last round of the first leaves idle, not a round of their own.

`location_ttl(at)` is the policy for location samples: "now" for
`FLEETADMIN_LOCATION_CACHE_SECONDS`; a moment older than `FLEETADMIN_LOCATION_SETTLED_SECONDS`
never changes (the nearest stored sample to it is fixed once later samples exist), so for
`FLEETADMIN_PAST_LOCATION_CACHE_SECONDS`; a recent moment like "now".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache

from fleetadmin.upstream.reach import Fleet, Proof, prove
from fleetadmin.web.problems import is_missing
from flinkey import FlinkeyClient, NotFoundError, Outcome, fan_out

__all__ = ["FanOutResult", "Reads", "fan_out_cached", "fan_out_together", "forget",
           "location_ttl", "moment_text"]


class FanOutResult[K: Hashable, V](dict[K, Outcome]):
    """`{key: flinkey.Outcome}` in the order of the keys, plus what it cost upstream.

    `fetched`: keys asked upstream (one call each, retries not counted); `hits`: keys
    answered from the cache; `failed`: the keys whose outcome is an error.
    """

    fetched: int = 0
    hits: int = 0

    @property
    def failed(self) -> list[K]:
        """Return the keys whose call failed (or did not finish by the deadline)."""
        return [key for key, outcome in self.items() if not outcome.ok]


@dataclass(frozen=True)
class Reads[K: Hashable, V]:
    """One kind of read for `fan_out_together`: what `fan_out_cached` takes, as one value."""

    kind: str
    keys: Iterable[K]
    fetch: Callable[[FlinkeyClient, K], V]
    ttl: Callable[[K, V], float | None]


def fan_out_cached[K: Hashable, V](
    *,
    user,
    kind: str,
    keys: Iterable[K],
    fetch: Callable[[FlinkeyClient, K], V],
    ttl: Callable[[K, V], float | None],
    proof: Proof | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
) -> FanOutResult[K, V]:
    """Return an Outcome per distinct key: cached, or `fetch(client, key)` run concurrently.

    `proof` defaults to `fleetadmin.upstream.reach.prove(user)` (a caller making several reads for
    one
    answer passes one proof to all, so they are of one customer); the client is built from
    it only when something must be fetched. `concurrency` and `timeout` default to the
    FLEETADMIN_FANOUT_* settings. Raises what `prove` raises.
    """
    (result,) = fan_out_together(user=user, reads=[Reads(kind, keys, fetch, ttl)],
                                 proof=proof, concurrency=concurrency, timeout=timeout)
    return result


def fan_out_together(
    *,
    user,
    reads: Iterable[Reads],
    proof: Proof | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
) -> list[FanOutResult]:
    """Return a FanOutResult per `Reads`, as `fan_out_cached` would, from one fan-out.

    Several kinds of reads share the concurrency slots and the deadline: a short one (say,
    the next page of a list) fills slots the last round of a long one leaves idle instead
    of costing a round trip of its own. Calls start in the order given: what the answer
    needs most goes first, since the deadline leaves the last ones out first.
    """
    plans = [_Plan(read) for read in reads]
    if not any(plan.keys for plan in plans):
        return [plan.result() for plan in plans]  # nothing to ask: no credentials needed
    # Before anything is read from the cache: this request's own credentials must reach
    # the fleet (raises otherwise), and the keys name that fleet.
    proof = proof or prove(user)
    for plan in plans:
        plan.name_keys(proof.fleet)
    cached = cache.get_many([text for plan in plans for text in plan.cache_keys.values()])
    missing = [(plan, key) for plan in plans for key in plan.take_cached(cached)]
    if missing:
        timeout = timeout if timeout is not None else settings.FLEETADMIN_FANOUT_TIMEOUT
        # Bound by the deadline too, so a call the fan-out gave up on does not go on retrying
        # (or start another) after the page has its answer.
        client = proof.client(within=timeout)
        outcomes = fan_out(
            lambda item: item[0].read.fetch(client, item[1]),
            missing,
            concurrency=concurrency or settings.FLEETADMIN_FANOUT_CONCURRENCY,
            timeout=timeout,
            deadline=client.deadline,
        )
        # Filed under the customer the answers came from: the client's (the proof's, as it
        # was built from the proof's credentials), never the one stored for the user now.
        source = Fleet(proof.fleet.api_url, client.customer_id)
        by_ttl: dict[int, dict[str, tuple]] = {}
        for (plan, key), outcome in zip(missing, outcomes, strict=True):
            seconds, stored = plan.keep(key, Outcome(key, outcome.value, outcome.error))
            if seconds:
                by_ttl.setdefault(seconds, {})[plan.key_in(source, key)] = stored
        for seconds, values in by_ttl.items():
            cache.set_many(values, timeout=seconds)
    return [plan.result() for plan in plans]


class _Plan:
    """One `Reads` on its way through `fan_out_together`: its cache keys and outcomes."""

    def __init__(self, read: Reads) -> None:
        self.read = read
        self.keys = list(dict.fromkeys(read.keys))  # distinct, order kept
        self.cache_keys: dict = {}
        self.outcomes: dict = {}
        self.hits = 0

    def key_in(self, fleet: Fleet, key) -> str:
        return _cache_key(fleet, self.read.kind, key)

    def name_keys(self, fleet: Fleet) -> None:
        self.cache_keys = {key: self.key_in(fleet, key) for key in self.keys}

    def take_cached(self, cached: dict) -> list:
        """Keep the answers found in `cached`; return the keys still to fetch."""
        missing = []
        for key, text in self.cache_keys.items():
            stored = cached.get(text, _ABSENT)
            if stored is _ABSENT:
                missing.append(key)
            elif len(stored) == 2:  # (_NOT_FOUND, flinkey's sentence)
                self.outcomes[key] = Outcome(key, error=NotFoundError(stored[1], 404))
            else:
                self.outcomes[key] = Outcome(key, value=stored[0])  # a cached None is a value
        self.hits = len(self.outcomes)
        return missing

    def keep(self, key, outcome: Outcome) -> tuple[int, tuple]:
        """Keep a fetched outcome; return the seconds to cache it (0: not at all) and what."""
        self.outcomes[key] = outcome
        if not outcome.ok:
            # flinkey's "not found" for the thing asked is an answer, kept briefly so that
            # asking again costs nothing; any other failure is asked again next time.
            if is_missing(outcome.error):
                return settings.FLEETADMIN_NOT_FOUND_CACHE_SECONDS, (_NOT_FOUND,
                                                                     outcome.error.message)
            return 0, ()
        seconds = self.read.ttl(key, outcome.value)
        return (int(seconds) if seconds is not None and seconds > 0 else 0), (outcome.value,)

    def result(self) -> FanOutResult:
        result = FanOutResult((key, self.outcomes[key]) for key in self.keys)
        result.hits = self.hits
        result.fetched = len(result) - self.hits
        return result


_ABSENT = object()
# A cached "not found" is (_NOT_FOUND, message); a cached value is (value,).
_NOT_FOUND = "not-found"


def forget(*, fleet: Fleet, kind: str, keys: Iterable[Hashable]) -> None:
    """Drop the fleet's cached answers of `kind` for `keys` (after a change made them wrong)."""
    cache.delete_many([_cache_key(fleet, kind, key) for key in keys])


def _cache_key(fleet: Fleet, kind: str, key) -> str:
    return f"fanout:{kind}:{fleet.key}:{_key_text(key)}"


def moment_text(moment: datetime | None) -> str:
    """Return `moment` as the API's UTC `yyyy-MM-ddTHH:mm:ssZ` ("now" for None)."""
    if moment is None:
        return "now"
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_text(key) -> str:
    # One text per key and one key per text: each part says its type (5 and "5" differ) and
    # a str is percent-encoded whole, so no part can contain the ":" between parts (and
    # every cache backend accepts the result).
    parts = key if isinstance(key, tuple) else (key,)
    texts = []
    for part in parts:
        if part is None or isinstance(part, datetime):
            texts.append("t" + moment_text(part))
        elif isinstance(part, int) and not isinstance(part, bool):
            texts.append(f"i{part}")
        elif isinstance(part, str):
            texts.append("s" + quote(part, safe=""))
        else:
            raise TypeError(f"fan-out keys hold int, str, datetime or None, not {type(part)}")
    return ":".join(texts)


def location_ttl(at: datetime | None, *, now: datetime | None = None) -> int:
    """Return how long a location sample for moment `at` (None: the latest) may be cached."""
    if at is not None:
        now = now or datetime.now(UTC)
        if at < now - timedelta(seconds=settings.FLEETADMIN_LOCATION_SETTLED_SECONDS):
            return settings.FLEETADMIN_PAST_LOCATION_CACHE_SECONDS
    return settings.FLEETADMIN_LOCATION_CACHE_SECONDS
