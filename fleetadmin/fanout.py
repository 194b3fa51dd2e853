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
- Values are cached for `ttl(key, value)` seconds; errors are never cached (the next load
  asks again). Values must be picklable (the client's frozen dataclasses are).
- The cache key holds the API's base URL, the API account (an HMAC: nothing readable),
  the customer, `kind` and the key: two customers, or two API managers who may see
  different customers, never share an answer. With `CACHE_URL` pointing at Redis, every
  instance shares them.
- Setting up the client may raise `fleetadmin.flinkey.SetupNeeded` (no credentials, no
  customer); that is raised, not put in the outcomes: nothing can be asked then.

`location_ttl(at)` is the policy for location samples: "now" for
`FLEETADMIN_LOCATION_CACHE_SECONDS`; a moment older than `FLEETADMIN_LOCATION_SETTLED_SECONDS`
never changes (the nearest stored sample to it is fixed once later samples exist), so for
`FLEETADMIN_PAST_LOCATION_CACHE_SECONDS`; a recent moment like "now".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from fleetadmin.flinkey import CredentialsMissing, api_base_url, client_for, credentials_of
from flinkey import FlinkeyClient, Outcome, fan_out

__all__ = ["FanOutResult", "fan_out_cached", "location_ttl", "moment_text"]


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


def fan_out_cached[K: Hashable, V](
    *,
    user,
    kind: str,
    keys: Iterable[K],
    fetch: Callable[[FlinkeyClient, K], V],
    ttl: Callable[[K, V], float | None],
    client: FlinkeyClient | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
) -> FanOutResult[K, V]:
    """Return an Outcome per distinct key: cached, or `fetch(client, key)` run concurrently.

    `client` defaults to `client_for(user)` (built only when something must be fetched);
    `concurrency` and `timeout` default to the FLEETADMIN_FANOUT_* settings. Raises
    SetupNeeded when the user cannot call flinkey and a key is not cached.
    """
    keys = list(dict.fromkeys(keys))  # distinct, order kept
    result: FanOutResult[K, V] = FanOutResult()
    if not keys:
        return result
    prefix = _scope(user, kind)
    cache_keys = {key: f"{prefix}:{_key_text(key)}" for key in keys}
    cached = cache.get_many(list(cache_keys.values()))
    missing = []
    found: dict[K, Outcome] = {}
    for key in keys:
        stored = cached.get(cache_keys[key], _ABSENT)
        if stored is _ABSENT:
            missing.append(key)
        else:
            found[key] = Outcome(key, value=stored[0])  # wrapped: a cached None is a value
    result.hits = len(found)
    fetched: dict[K, Outcome] = {}
    if missing:
        client = client or client_for(user)
        outcomes = fan_out(
            lambda key: fetch(client, key),
            missing,
            concurrency=concurrency or settings.FLEETADMIN_FANOUT_CONCURRENCY,
            timeout=timeout if timeout is not None else settings.FLEETADMIN_FANOUT_TIMEOUT,
            deadline=client.deadline,
        )
        result.fetched = len(missing)
        by_ttl: dict[int, dict[str, tuple]] = {}
        for outcome in outcomes:
            fetched[outcome.item] = outcome
            if not outcome.ok:
                continue  # errors are never cached: the next load asks again
            seconds = ttl(outcome.item, outcome.value)
            if seconds is not None and seconds > 0:
                by_ttl.setdefault(int(seconds), {})[cache_keys[outcome.item]] = (outcome.value,)
        for seconds, values in by_ttl.items():
            cache.set_many(values, timeout=seconds)
    for key in keys:
        result[key] = found[key] if key in found else fetched[key]
    return result


_ABSENT = object()


def _scope(user, kind: str) -> str:
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete:
        raise CredentialsMissing
    account = "\0".join([api_base_url(), credentials.api_key, credentials.username])
    digest = salted_hmac("fleetadmin-fanout", account, algorithm="sha256").hexdigest()[:32]
    return f"fanout:{kind}:{digest}:{credentials.customer_id}"


def moment_text(moment: datetime | None) -> str:
    """Return `moment` as the API's UTC `yyyy-MM-ddTHH:mm:ssZ` ("now" for None)."""
    if moment is None:
        return "now"
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_text(key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    texts = []
    for part in parts:
        if part is None or isinstance(part, datetime):
            texts.append(moment_text(part))
        elif isinstance(part, int | str):
            texts.append(str(part).replace(":", "%3A").replace(" ", "%20"))
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
