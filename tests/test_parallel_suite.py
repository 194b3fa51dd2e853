"""The suite on several xdist workers: each worker keeps its own keys in the shared Redis."""

import os

import pytest
from django.core.cache.backends.redis import RedisCache

from config.testing import (
    WorkerRedisCache,
    isolate_worker_caches,
    redis_database_to_ourselves,
    redis_reachable,
)

REDIS_URL = "redis://127.0.0.1:6379/8"  # the ops tests' own database (test_token_lock.py)


def test_a_workers_clear_leaves_the_other_workers_keys():
    if not redis_reachable(REDIS_URL):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with redis_database_to_ourselves(REDIS_URL):
        gw0 = WorkerRedisCache(REDIS_URL, {"KEY_PREFIX": "xdist-gw0"})
        gw1 = WorkerRedisCache(REDIS_URL, {"KEY_PREFIX": "xdist-gw1"})
        unprefixed = RedisCache(REDIS_URL, {})
        try:
            gw0.set_many({"token": "gw0's", "position": 1})
            gw1.set("token", "gw1's")
            unprefixed.set("token", "someone else's")
            assert gw0.clear() is True
            assert gw0.get_many(["token", "position"]) == {}
            assert gw1.get("token") == "gw1's"
            assert unprefixed.get("token") == "someone else's"
        finally:
            unprefixed.clear()


def test_each_worker_gets_its_own_prefix_and_the_redis_cache_its_own_clear(monkeypatch):
    redis = "django.core.cache.backends.redis.RedisCache"
    memory = "django.core.cache.backends.locmem.LocMemCache"
    caches = {"default": {"BACKEND": redis, "LOCATION": REDIS_URL},
              "other": {"BACKEND": memory, "KEY_PREFIX": "fa"}}
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    isolate_worker_caches(caches)
    assert caches == {
        "default": {"BACKEND": f"{WorkerRedisCache.__module__}.WorkerRedisCache",
                    "LOCATION": REDIS_URL, "KEY_PREFIX": "xdist-gw1"},
        "other": {"BACKEND": memory, "KEY_PREFIX": "fa-xdist-gw1"},
    }


def test_outside_xdist_the_caches_stay_as_configured(monkeypatch):
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    isolate_worker_caches(caches)
    assert caches == {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                  "LOCATION": REDIS_URL}}


def test_this_run_is_set_up_so():
    from django.conf import settings
    from django.core.cache import cache

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if worker:
        assert prefix.endswith(f"xdist-{worker}") and cache.key_prefix == prefix
        assert isinstance(cache, WorkerRedisCache) == isinstance(cache, RedisCache)
    else:
        assert "xdist" not in prefix
