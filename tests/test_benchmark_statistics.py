"""benchmarks.served's verdict on a speed trick: it pays only when the median of the
per-round ratios (with ÷ without) is at least 2 % below 1 and its 95 % interval lies
wholly below 1."""

import random

from benchmarks.served import median_interval, verdict


def test_a_clear_saving_pays():
    rng = random.Random(1)
    assert verdict([rng.gauss(0.88, 0.05) for _ in range(100)]) == "pays"


def test_a_clear_loss_costs():
    rng = random.Random(2)
    assert verdict([rng.gauss(1.12, 0.05) for _ in range(100)]) == "costs"


def test_a_saving_within_the_noise_does_not_pay():
    # Median 0.97, but rounds spread from 0.67 to 1.27: the interval reaches past 1.
    ratios = [0.97 + step / 10 for step in range(-3, 4)] * 9
    assert verdict(ratios) == "no difference that pays"


def test_a_tiny_saving_does_not_pay_however_sure():
    assert verdict([0.99] * 200) == "no difference that pays"


def test_the_interval_of_the_median_holds_the_median_and_narrows_with_more_rounds():
    rng = random.Random(4)
    few = [rng.gauss(1, 0.1) for _ in range(20)]
    many = [rng.gauss(1, 0.1) for _ in range(500)]
    for values in (few, many):
        low, high = median_interval(values)
        assert low <= sorted(values)[len(values) // 2] <= high
    assert median_interval(many)[1] - median_interval(many)[0] < (
        median_interval(few)[1] - median_interval(few)[0])
