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


def test_bar_chart_shows_the_numbers_and_unit_of_the_report_table():
    """One unit per metric kind: every bar (mean and error bar) of the chart equals the number
    in the report's table cell of that method, and the axis says the table's unit."""
    import matplotlib.pyplot as plt

    from tenfold.runtime.figures import bar_figure
    from tenfold.runtime.report import _fmt, label

    for metric, values in [("test_acc", {"a": (0.8123, 0.0101), "b": (0.9012, 0.0202)}),
                           ("mota", {"a": (0.512, 0.03), "b": (0.734, 0.01)}),
                           ("fid", {"a": (41.5, 2.0), "b": (37.25, 1.5)})]:
        summary = {"primary_metric": metric, "methods": list(values), "seeds": [0, 1, 2],
                   "recipe": "r", "dataset": "d",
                   "aggregate": {m: {metric: {"mean": mu, "std": sd, "n": 3}}
                                 for m, (mu, sd) in values.items()}}
        fig = bar_figure(summary)
        ax = fig.axes[0]
        heights = [bar.get_height() for bar in ax.patches]
        errors = [seg[1][1] - seg[0][1] for seg in ax.collections[0].get_segments()]
        plt.close(fig)
        for (method, _), height, error in zip(values.items(), heights, errors, strict=True):
            cell = _fmt(summary["aggregate"][method][metric], metric)   # "81.23 ± 1.01"
            shown_mean, shown_std = (float(x) for x in cell.split(" ± "))
            digits = 2 if "acc" in metric else 4
            assert round(height, digits) == shown_mean, (metric, method, height, cell)
            assert round(error / 2, digits) == shown_std, (metric, method, error, cell)
        assert ax.get_ylabel() == label(metric)
    assert label("test_acc") == "test_acc (%)" and label("fid") == "fid"
