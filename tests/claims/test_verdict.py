"""Known answers for the verdict rules (docs/ledger.md), on hand-made numbers."""

import math

import pytest

from tenfold.claims import verdict as V


def test_interval_matches_the_t_table():
    # mean 2, sd 1, n 3: half width t(0.975, 2) / sqrt(3) = 4.302653 / 1.732051
    iv = V.interval([1.0, 2.0, 3.0])
    assert iv.mean == pytest.approx(2.0)
    assert iv.std == pytest.approx(1.0)
    assert iv.hi - iv.mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert iv.mean - iv.lo == pytest.approx(iv.hi - iv.mean)
    # n = 10, sd of 0..9 = 3.02765, t(0.975, 9) = 2.262157
    iv = V.interval([float(i) for i in range(10)])
    assert iv.hi - iv.mean == pytest.approx(2.262157 * 3.0276504 / math.sqrt(10), rel=1e-6)


def test_one_value_collapses_the_interval():
    iv = V.interval([1.45])
    assert (iv.lo, iv.hi, iv.n) == (1.45, 1.45, 1)


def test_interval_rejects_empty_and_nan():
    with pytest.raises(ValueError, match="at least one"):
        V.interval([])
    with pytest.raises(ValueError, match="finite"):
        V.interval([1.0, math.nan])


@pytest.mark.parametrize(("effects", "paper", "rng", "expected"), [
    ([], 1.0, None, V.NOT_RUN),
    ([-1.0, -1.2, -0.8], 1.0, None, V.OPPOSITE),            # interval below 0
    ([1.0, -1.0, 0.5], 1.0, None, V.WITHIN_NOISE),          # interval holds 0
    ([-1.0, -1.2, -0.8], None, None, V.OPPOSITE),           # no number does not hide a loss
    ([1.0, 1.2, 0.8], None, None, V.NO_NUMBER),             # direction shown, no size to check
    ([1.0, 1.2, 0.8], 1.0, None, V.REPRODUCED),             # paper inside our interval
    ([3.0, 3.2, 2.8], 1.0, None, V.REPRODUCED),             # larger than the paper's
    ([1.0, 1.1, 0.9], 5.0, None, V.DIRECTION_ONLY),         # hi = 1.25 < 5
    ([1.0, 1.1, 0.9], 5.0, (1.2, 8.8), V.REPRODUCED),       # the paper's spread reaches down
    ([0.2], 1.0, None, V.DIRECTION_ONLY),                   # one seed: the point decides
    ([0.0], 1.0, None, V.WITHIN_NOISE),
])
def test_comparison_verdicts(effects, paper, rng, expected):
    assert V.compare_verdict(effects, paper, rng) == expected


def test_ratio_null_is_one():
    assert V.compare_verdict([1.45], 1.43, null=1.0) == V.REPRODUCED
    assert V.compare_verdict([1.29], 1.43, (1.43, 1.59), null=1.0) == V.DIRECTION_ONLY
    assert V.compare_verdict([0.9], 1.43, null=1.0) == V.OPPOSITE
    assert V.compare_verdict([1.1, 0.9, 1.0], 1.43, null=1.0) == V.WITHIN_NOISE


@pytest.mark.parametrize(("values", "paper", "rng", "expected"), [
    ([], 83.0, None, V.NOT_RUN),
    ([82.0, 83.0], None, None, V.NO_NUMBER),
    ([83.5, 83.7, 83.9], 83.6, None, V.REPRODUCED),         # mean 83.7 >= 83.6
    ([82.5, 82.4, 82.3], 83.0, (82.3, 83.7), V.REPRODUCED),  # reaches the paper's spread
    ([80.0, 84.0], 83.0, None, V.WITHIN_NOISE),             # mean 82 below, interval reaches it
    ([71.1, 71.2, 71.3], 73.0, (72.6, 73.4), V.NOT_REPRODUCED),
    ([95.78], 98.3, (98.1, 98.5), V.NOT_REPRODUCED),        # one seed below
])
def test_value_verdicts(values, paper, rng, expected):
    assert V.value_verdict(values, paper, rng) == expected


def test_paper_range_must_contain_the_value():
    with pytest.raises(ValueError, match="range"):
        V.value_verdict([1.0], 2.0, (0.0, 1.0))


def test_vocabulary_is_fixed():
    assert V.VERDICTS == ("reproduced", "direction only", "within noise", "not reproduced",
                          "opposite", "not run", "no number in the paper")
