"""No token stampede: one token request per account across processes sharing the cache."""

import socket
import threading
import time

import pytest

from config.testing import redis_database_to_ourselves, redis_reachable
from fleetadmin.upstream.clients import _token_cache_key, api_base_url, client_from, credentials_of

# A Redis database of the ops tests' own (CI and development machines run Redis locally).
REDIS_URL = "redis://127.0.0.1:6379/8"


@pytest.fixture
def shared_cache(settings, flinkey_api):
    """The Redis cache every instance of a deployment shares (as CACHE_URL sets it)."""
    if not redis_reachable(REDIS_URL):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (the token lock needs a shared cache)")
    from django.core.cache import cache

    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
    }}
    with redis_database_to_ourselves(REDIS_URL):  # tests/test_cluster.py flushes it too
        cache.clear()
        yield cache
        cache.clear()


def run_at_once(count, work):
    """Run `work` in `count` threads released together; return their results or errors."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        try:
            results[index] = work()
        except Exception as error:  # reported by the assertion below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_twenty_concurrent_requests_send_one_token_request(manager, shared_cache, flinkey_api):
    credentials = credentials_of(manager)
    # Each thread stands for a request on some instance: its own client, the shared cache.
    results = run_at_once(20, lambda: len(client_from(credentials).list_cars()))
    assert all(isinstance(result, int) and result > 0 for result in results), results
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1
    assert flinkey_api.request_count(method="GET", path_prefix="/cars") == 20


def test_a_dead_lock_holder_delays_but_does_not_block(manager, shared_cache, flinkey_api,
                                                      settings):
    settings.FLINKEY_CONNECT_TIMEOUT = settings.FLINKEY_READ_TIMEOUT = 0.5  # lock: 2 s
    credentials = credentials_of(manager)
    key = _token_cache_key(api_base_url(), credentials)
    shared_cache.add(key + ":lock", "a process that died", timeout=60)
    started = time.monotonic()
    assert client_from(credentials).list_cars()
    waited = time.monotonic() - started
    assert 1.5 < waited < 10
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1
    # The token it fetched is shared: the next client asks for none.
    client_from(credentials).list_cars()
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1


def test_a_refused_shared_token_is_renewed_once_across_clients(manager, shared_cache,
                                                               flinkey_api):
    credentials = credentials_of(manager)
    client_from(credentials).list_cars()
    flinkey_api.expire_tokens()  # the shared token is now refused
    results = run_at_once(8, lambda: len(client_from(credentials).list_cars()))
    assert all(isinstance(result, int) for result in results), results
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 2


def test_instances_fanning_out_while_tokens_are_revoked_share_each_renewal(
        manager, shared_cache, flinkey_api):
    from flinkey import Query, fan_out

    credentials = credentials_of(manager)
    cars = [car.id for car in client_from(credentials).list_cars()][:24]
    flinkey_api.clear_requests()
    flinkey_api.faults.revoke_token_every = 3  # flinkey revoking tokens often

    def fan_out_on_an_instance():
        # One web request on some instance: its own client, the token through the cache.
        client = client_from(credentials)
        outcomes = fan_out(lambda car_id: client.list_events(car_id, Query(top=1)), cars)
        return [outcome.error for outcome in outcomes if not outcome.ok]

    results = run_at_once(3, fan_out_on_an_instance)
    assert results == [[], [], []]
    # Each revoked token renewed once across the instances, never once per instance.
    assert (flinkey_api.request_count(path_prefix="/oauth2/token")
            <= flinkey_api.faults.tokens_revoked)


def test_the_lock_is_released_after_a_failed_fetch(manager, shared_cache, flinkey_api):
    from flinkey import AuthenticationError

    credentials = credentials_of(manager)
    credentials.password = "wrong"
    key = _token_cache_key(api_base_url(), credentials)
    with pytest.raises(AuthenticationError):
        client_from(credentials).list_cars()
    assert shared_cache.get(key + ":lock") is None


def test_an_unreachable_cache_does_not_stop_the_pages(manager, flinkey_api, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
    }}
    assert client_from(credentials_of(manager)).list_cars()
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1
