"""fleetadmin.upstream.fanout against the sandbox: cached answers, partial results, nothing
stale."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from config.testing import make_user, wait_until
from fleetadmin.upstream.fanout import (
    Reads,
    fan_out_cached,
    fan_out_together,
    location_ttl,
    moment_text,
)
from flinkey import UpstreamTimeout
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

CARS = [DEMO.car_id, DEMO.iq_only_car_id, DEMO.box_only_car_id]


def locations(user, keys, **kwargs):
    return fan_out_cached(
        user=user, kind="location", keys=keys,
        fetch=lambda client, key: client.get_location(key[0], at=key[1]),
        ttl=lambda key, value: location_ttl(key[1]), **kwargs,
    )


def fan_out_threads():
    return [thread for thread in threading.enumerate()
            if thread.name.startswith("flinkey-fan-out-")]


def location_calls(sandbox):
    return sum(1 for r in sandbox.requests if "/location" in r.path)


def test_a_second_load_makes_no_upstream_call(manager, flinkey_api):
    keys = [(car, None) for car in CARS]
    first = locations(manager, keys)
    assert list(first) == keys
    assert all(outcome.ok for outcome in first.values())
    assert first[(DEMO.car_id, None)].value.latitude is not None
    assert (first.fetched, first.hits) == (3, 0)
    assert location_calls(flinkey_api) == 3

    again = locations(manager, keys)
    assert (again.fetched, again.hits) == (0, 3)
    assert location_calls(flinkey_api) == 3
    assert again[(DEMO.car_id, None)].value == first[(DEMO.car_id, None)].value
    # A Box-only car's all-null answer is a value too, cached like any other.
    assert again[(DEMO.box_only_car_id, None)].value.latitude is None


def test_a_past_moment_is_cached_long_and_now_briefly(manager, flinkey_api, settings):
    settings.FLEETADMIN_LOCATION_CACHE_SECONDS = 0  # "now" not cached at all
    past = datetime.now(UTC) - timedelta(days=2)
    keys = [(DEMO.car_id, past), (DEMO.car_id, None)]
    locations(manager, keys)
    again = locations(manager, keys)
    assert again.hits == 1 and again.fetched == 1
    assert location_calls(flinkey_api) == 3

    now = datetime(2030, 1, 1, tzinfo=UTC)
    settings.FLEETADMIN_LOCATION_CACHE_SECONDS = 60
    assert location_ttl(None, now=now) == 60
    assert location_ttl(now - timedelta(minutes=5), now=now) == 60  # a later sample may come
    assert location_ttl(now - timedelta(days=1), now=now) == \
        settings.FLEETADMIN_PAST_LOCATION_CACHE_SECONDS >= 86400


def test_errors_are_not_cached(manager, flinkey_api):
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/location", status=500, count=3)
    keys = [(DEMO.car_id, None), (DEMO.iq_only_car_id, None)]
    first = locations(manager, keys)
    assert not first[(DEMO.car_id, None)].ok and first.failed == [(DEMO.car_id, None)]
    assert first[(DEMO.iq_only_car_id, None)].ok  # partial result
    again = locations(manager, keys)
    assert again[(DEMO.car_id, None)].ok
    assert (again.fetched, again.hits) == (1, 1)


def test_a_slow_car_never_holds_the_batch(manager, flinkey_api):
    flinkey_api.faults.hang_next(f"/cars/{DEMO.car_id}/location", seconds=10)
    keys = [(DEMO.car_id, None), (DEMO.iq_only_car_id, None)]
    started = datetime.now(UTC)
    result = locations(manager, keys, timeout=0.8)
    assert datetime.now(UTC) - started < timedelta(seconds=5)  # 0.8 s, not the 10 s hang
    assert isinstance(result[(DEMO.car_id, None)].error, UpstreamTimeout)
    assert result[(DEMO.iq_only_car_id, None)].ok


def test_a_call_given_up_on_does_not_retry_after_the_deadline(manager, flinkey_api):
    # The call hangs past the fan-out's deadline, then meets a 500 that a GET would retry:
    # the page has its answer by then, so flinkey must not be asked again.
    path = f"/cars/{DEMO.car_id}/location"
    flinkey_api.faults.hang_next(path, seconds=30)
    flinkey_api.faults.fail_next(path, status=500, count=3)
    before = set(fan_out_threads())
    result = locations(manager, [(DEMO.car_id, None)], timeout=0.5)
    assert isinstance(result[(DEMO.car_id, None)].error, UpstreamTimeout)
    # Still in the hung call, usually; on a loaded machine the client's own time budget
    # (a little under the fan-out's) may already have ended it: either way, no retry.
    abandoned = set(fan_out_threads()) - before
    flinkey_api.faults.release()  # the 500 now, after the deadline
    # The abandoned thread ends once its call is over, retries included.
    wait_until(lambda: not any(thread.is_alive() for thread in abandoned),
               what="the abandoned call to end")
    # The sandbox logs the hung request only once it wakes, in its own thread; with every
    # caller gone, nothing can be sent any more, so the count is final once it is logged.
    wait_until(lambda: flinkey_api.request_count(path_prefix=path) >= 1,
               what="the sandbox to log the hung call")
    assert flinkey_api.request_count(path_prefix=path) == 1


def test_customers_and_accounts_never_share_answers(manager, flinkey_api):
    other = make_user("hamburg")
    other.flinkey_credentials.customer_id = DEMO.other_customer_id
    other.flinkey_credentials.save()
    locations(manager, [(DEMO.car_id, None)])
    result = locations(other, [(DEMO.car_id, None)])
    assert result.hits == 0 and not result[(DEMO.car_id, None)].ok  # not this customer's car


def test_kinds_fanned_out_together_keep_their_own_answers(manager, flinkey_api):
    def reads(kind, fetch):
        return Reads(kind, [DEMO.car_id], lambda client, key: fetch(client, key),
                     lambda key, value: 60)

    car = reads("car", lambda client, key: client.get_car(key).name)
    where = reads("where", lambda client, key: client.get_location(key).latitude)
    cars, places = fan_out_together(user=manager, reads=[car, where])
    assert isinstance(cars[DEMO.car_id].value, str) and isinstance(places[DEMO.car_id].value, float)
    assert (cars.fetched, places.fetched) == (1, 1)
    flinkey_api.clear_requests()
    # The same key in another kind is another answer: cached apart, never mixed up.
    again, nothing = fan_out_together(user=manager, reads=[where, Reads("x", [], None, None)])
    assert again[DEMO.car_id].value == places[DEMO.car_id].value and again.hits == 1
    assert nothing == {} and flinkey_api.request_count() == 0


def test_moment_text_is_the_apis_utc_format():
    berlin = datetime(2025, 3, 4, 17, 5, 9, 123456).astimezone()
    assert moment_text(datetime(2025, 3, 4, 16, 5, 9, 999, tzinfo=UTC)) == "2025-03-04T16:05:09Z"
    assert moment_text(berlin).endswith("Z") and moment_text(None) == "now"
    with pytest.raises(ValueError):
        moment_text(datetime(2025, 3, 4))


def test_distinct_keys_never_share_a_cache_entry():
    from fleetadmin.upstream.fanout import _key_text

    keys = [5, "5", "a:b", "a%3Ab", ("a", "b"), "a b", "now", None, "True",
            (1, None), (1, "now")]
    texts = [_key_text(key) for key in keys]
    assert len(set(texts)) == len(texts)
    assert all(" " not in text for text in texts)
    with pytest.raises(TypeError):
        _key_text(True)
