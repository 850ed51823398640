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


def test_report_counts_lower_is_better_wins_without_ties():
    """For a lower-is-better metric a win is a seed strictly below the baseline: a tie is no win
    (``n - wins`` of the higher-is-better count would call the tie a win)."""
    from tenfold.runtime.report import _lower_wins

    per_seed = {"0": {"base": {"err": 0.3}, "new": {"err": 0.3}},   # tie
                "1": {"base": {"err": 0.3}, "new": {"err": 0.2}},   # win
                "2": {"base": {"err": 0.3}, "new": {"err": 0.4}}}   # loss
    diffs = [per_seed[s]["new"]["err"] - per_seed[s]["base"]["err"] for s in per_seed]
    assert paired_difference([0.3, 0.2, 0.4], [0.3, 0.3, 0.3])["n"] - sum(
        d > 0 for d in diffs) == 2
    assert _lower_wins({"per_seed": per_seed}, "new", "base", "err") == 1
