"""The shared cache (Redis) as what it is, an optimisation: unreachable, the pages work without it.

`CACHE_URL=redis://…` selects `ResilientRedisCache` (`cache_config` builds the CACHES entry
from the URL). It is Django's RedisCache, except that an operation that cannot reach Redis
(connection refused or lost, a timeout, an answer that is not Redis) does not raise:

- It is served by a **stand-in** instead: a per-process, bounded local-memory cache (Django's
  LocMemCache). What Redis holds is a miss; what this process stores meanwhile stays in this
  process. So everything built on the cache keeps its meaning, per process: the flinkey token
  lock (`cache.add`) becomes a per-process lock and a token is shared by this process's
  requests, the call budget counts per process, positions are reused within the process.
- The outage is **remembered** for `retry_seconds` (CACHE_RETRY_SECONDS): meanwhile no
  operation tries Redis, so no request waits for a connect timeout (and those are short,
  CACHE_CONNECT_TIMEOUT / CACHE_READ_TIMEOUT). Then one operation tries again; the others
  keep using the stand-in until it has answered.
- The log says so **once** per outage (a warning when the first operation fails) and once
  when Redis answers again; then the stand-in is emptied (its entries, a lock or a counter,
  must not come back at the next outage).
- `cache_status()` tells /readyz whether the shared cache is reachable now.

State is per process and per Redis location (Django makes a backend object per thread; the
outage and the stand-in belong to the process). `incr` is made atomic (Django's checks for
the key, then increments: a key expiring in between would come back without its expiry).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from urllib.parse import urlsplit

import environ
import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)

# What "the cache cannot be reached" means: the connection (refused, reset, timed out, not
# Redis at the other end, a replica that went read-only in a failover, still loading).
# Other errors (a wrong type stored under a key) are faults of ours and are raised.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               redis.exceptions.InvalidResponse, redis.exceptions.ReadOnlyError)

DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
BACKEND = "fleetadmin.ops.cache_backend.ResilientRedisCache"

# Django's own redis client checks for the key, then increments: Redis's INCRBY on a key
# that expired in between makes a new one that never expires. One script, one step.
_INCR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then " \
                 "return redis.call('incrby', KEYS[1], ARGV[1]) end return nil"


def cache_config(url: str, *, connect_timeout: float = 0.5, read_timeout: float = 2.0,
                 retry_seconds: float = 5.0, standin_entries: int = 20000) -> dict:
    """Return the CACHES entry for CACHE_URL `url`: Django's, with Redis made resilient.

    Options given in the URL's query (e.g. `?socket_timeout=5`) win over the arguments.
    """
    config = environ.Env.cache_url_config(url)
    if config["BACKEND"] != DJANGO_REDIS:
        return config
    config["BACKEND"] = BACKEND
    options = config.setdefault("OPTIONS", {})
    options.setdefault("socket_connect_timeout", connect_timeout)
    options.setdefault("socket_timeout", read_timeout)
    options.setdefault("retry_seconds", retry_seconds)
    options.setdefault("standin_entries", standin_entries)
    return config


def cache_status(alias: str = "default") -> str:
    """Return "ok", or "unreachable" when the cache `alias` is a ResilientRedisCache whose
    Redis does not answer.

    Asks Redis (PING) unless an outage is remembered; other backends say "ok" (they raise
    on failure, which /readyz's own probe sees).
    """
    from django.core.cache import caches

    backend = caches[alias]
    if isinstance(backend, ResilientRedisCache):
        return "ok" if backend.reachable() else "unreachable"
    return "ok"


def where(location: str) -> str:
    """Return host:port/db of a Redis URL, for log lines: never the password it may hold."""
    parts = urlsplit(location)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or parts.path}{port}{parts.path if parts.hostname else ''}"


class _AtomicIncrClient(RedisCacheClient):
    """Django's Redis client with `incr` as one step (see _INCR_EXISTING)."""

    def incr(self, key, delta):
        result = self.get_client(key, write=True).eval(_INCR_EXISTING, 1, key, delta)
        if result is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(result)


class _Outage:
    """Whether one Redis location is reachable, for every thread of this process."""

    def __init__(self, name: str, retry_seconds: float) -> None:
        self.name = name
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self.since: float | None = None  # time.monotonic() of the first failure, or None
        self._retry_at = 0.0
        self.standin: LocMemCache | None = None  # set by the first backend object

    def try_redis(self) -> bool:
        """True when an operation should go to Redis now (not in an outage, or its turn)."""
        if self.since is None:  # the usual case, without taking the lock
            return True
        with self._lock:
            if self.since is None:
                return True
            now = time.monotonic()
            if now < self._retry_at:
                return False
            # This caller tries; the others keep to the stand-in until it knows.
            self._retry_at = now + self.retry_seconds
            return True

    def failed(self, error: Exception) -> None:
        with self._lock:
            first = self.since is None
            if first:
                self.since = time.monotonic()
            self._retry_at = time.monotonic() + self.retry_seconds
        if first:
            # The error's text names host and port (never a password: redis-py's messages
            # do not carry the URL's).
            log.warning(
                "the shared cache (Redis at %s) cannot be reached (%s: %s); pages work "
                "without it, each process on its own (its own cache, token lock and call "
                "budget); trying again every %g s", self.name, type(error).__name__, error,
                self.retry_seconds)

    def answered(self, started: float) -> None:
        """An operation that started at `started` (monotonic) got Redis's answer."""
        if self.since is None:
            return
        with self._lock:
            # An answer to something sent before the outage began proves nothing.
            if self.since is None or started < self.since:
                return
            seconds = time.monotonic() - self.since
            self.since = None
        log.warning("the shared cache (Redis at %s) answers again, after %.0f s without it",
                    self.name, seconds)
        if self.standin is not None:
            self.standin.clear()


_OUTAGES: dict[str, _Outage] = {}
_OUTAGES_LOCK = threading.Lock()


class ResilientRedisCache(RedisCache):
    """Django's RedisCache that falls back to a per-process stand-in while Redis is away."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        retry_seconds = float(options.pop("retry_seconds", 5.0))
        standin_entries = int(options.pop("standin_entries", 20000))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _AtomicIncrClient
        location = ";".join(self._servers)
        with _OUTAGES_LOCK:
            outage = _OUTAGES.get(location)
            if outage is None:
                outage = _OUTAGES[location] = _Outage(
                    ", ".join(where(server) for server in self._servers), retry_seconds)
                # LocMemCache objects of one name share their storage: one per process.
                name = hashlib.sha256(location.encode()).hexdigest()[:16]
                outage.standin = LocMemCache(f"fleetadmin-redis-standin-{name}", {
                    "TIMEOUT": params.get("TIMEOUT", 300),
                    "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                    "VERSION": params.get("VERSION", 1),
                    "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                    "OPTIONS": {"MAX_ENTRIES": standin_entries},
                })
        self._outage = outage

    def _either(self, name: str, *args, **kwargs):
        """Run operation `name` on Redis, or on the stand-in while Redis cannot be reached."""
        outage = self._outage
        if outage.try_redis():
            started = time.monotonic()
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNREACHABLE as error:
                outage.failed(error)
            else:
                outage.answered(started)
                return result
        return getattr(outage.standin, name)(*args, **kwargs)

    def reachable(self) -> bool:
        """Ask Redis now (PING), unless an outage is remembered; True when it answered."""
        outage = self._outage
        if not outage.try_redis():
            return False
        started = time.monotonic()
        try:
            self._cache.get_client(None, write=True).ping()
        except UNREACHABLE as error:
            outage.failed(error)
            return False
        outage.answered(started)
        return True

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._either("delete", key, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._either("delete_many", keys, version)

    def clear(self):
        self._outage.standin.clear()
        return self._either("clear")
