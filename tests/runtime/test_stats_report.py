import math
import statistics

from tenfold.runtime.stats import format_mean_std, mean_std, paired_difference


def test_mean_std_matches_statistics_module():
    values = [0.81, 0.83, 0.8, 0.845]
    got = mean_std(values)
    assert math.isclose(got["mean"], statistics.mean(values))
    assert math.isclose(got["std"], statistics.stdev(values))
    assert got["n"] == 4
    assert mean_std([0.5])["std"] == 0.0


def test_paired_difference_counts_wins():
    d = paired_difference([3.0, 2.0, 5.0], [1.0, 2.5, 4.0])
    assert math.isclose(d["mean"], (2.0 - 0.5 + 1.0) / 3)
    assert d["wins"] == 2 and d["n"] == 3


def test_format_percent():
    assert format_mean_std({"mean": 0.8302, "std": 0.0033, "n": 3}, scale=100) == "83.02 ± 0.33"
