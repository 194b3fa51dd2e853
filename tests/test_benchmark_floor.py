"""The fleet map benchmark's floor: the fewest round trips its batches can take.

The list calls travel inside each batch's location fan-out (maps.services.fleet_batch), so
they cost no round trip of their own; only the first batch's list call goes alone."""

from benchmarks.fleet_map import fan_out_rounds


def test_the_list_calls_in_the_fan_out_cost_no_round_trips_of_their_own():
    # 1,062 cars, concurrency 8: a first batch of 38 (its list call alone, then 38 positions,
    # the count and the next list call), ten of 100 (+ the next list call), the last of 24.
    batches = [1 + 38 + 1 + 1] + [100 + 1] * 10 + [24]
    assert fan_out_rounds(batches, concurrency=8) == 1 + 5 + 10 * 13 + 3


def test_one_batch_alone_is_its_list_call_and_its_rounds():
    assert fan_out_rounds([1 + 5], concurrency=8) == 2
    assert fan_out_rounds([], concurrency=8) == 0
