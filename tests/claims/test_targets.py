"""Our issues' targets in the ledger: the target rule on hand-made numbers (known answers),
and rows built from hand-made results files (orientation, every-seed, reported, not run)."""

import json

import pytest

from tenfold.claims.ledger import build_ledger
from tenfold.claims.model import Claim, Paper
from tenfold.claims.papers import all_claims, all_targets, targets_of
from tenfold.claims.render import markdown, measured_text, status_line, update_text
from tenfold.claims.schema import SCHEMA
from tenfold.claims.verdict import (
    MET,
    NOT_MET,
    NOT_RUN,
    REPORTED,
    WITHIN_NOISE,
    interval,
    target_verdict,
)


@pytest.mark.parametrize(("values", "threshold", "every", "want"), [
    ([1.0, 2.0, 3.0], 2.0, False, MET),             # mean 2.0 reaches 2.0
    ([1.0, 2.0, 3.0], 2.0, True, WITHIN_NOISE),     # ... but seed 0 does not
    ([2.0, 2.5, 3.0], 2.0, True, MET),
    ([1.0, 2.0, 3.0], 3.0, False, WITHIN_NOISE),    # mean 2 < 3 <= hi = 2 + 4.30 * 1 / 1.73
    ([1.0, 1.1, 0.9], 3.0, False, NOT_MET),         # hi = 1.25 < 3
    ([5.0], 6.0, False, NOT_MET),                   # one seed: no interval
    ([5.0], None, False, REPORTED),
    ([], 1.0, False, NOT_RUN),
])
def test_target_rule_known_answers(values, threshold, every, want):
    assert target_verdict(values, threshold, every) == want


def test_within_noise_edge_is_the_t_interval():
    ci = interval([1.0, 2.0, 3.0])
    assert ci.hi == pytest.approx(2.0 + 4.302653 / 3 ** 0.5, rel=1e-6)
    assert target_verdict([1.0, 2.0, 3.0], ci.hi) == WITHIN_NOISE
    assert target_verdict([1.0, 2.0, 3.0], ci.hi + 1e-9) == NOT_MET


def _write(tmp_path, per_seed):
    data = {"schema": SCHEMA, "benchmark": "toy", "command": "python benchmarks/toy.py",
            "commit": "abc", "machine": {"processor": "cpu", "cpu_threads": 1}, "date": "d",
            "settings": {}, "seeds": sorted(int(s) for s in per_seed), "per_seed": per_seed}
    (tmp_path / "toy.json").write_text(json.dumps(data))


def _target(**kw):
    base = dict(id="t", method="twp", claim="c", metric="ms", higher_is_better=False,
                kind="ratio", arm="one", baseline="two", target="issue #0",
                paper=Paper(1.40, "one ≥ 1.40× faster"), protocol="p", results=("toy.json",),
                unit="×")
    return Claim(**{**base, **kw})


def test_a_lower_is_better_ratio_target_is_the_speed_up(tmp_path):
    _write(tmp_path, {"0": {"one": {"ms": 100.0}, "two": {"ms": 150.0}},
                      "1": {"one": {"ms": 100.0}, "two": {"ms": 130.0}}})
    row = build_ledger([_target()], tmp_path)[0]
    assert row.effects == pytest.approx([1.5, 1.3])            # two / one
    assert row.verdict == MET                                  # mean 1.40 reaches 1.40
    assert "two / one ≥ 1.40× (lower is better) [issue #0" in markdown([row])
    faster = build_ledger([_target(paper=Paper(1.45, "x"))], tmp_path)[0]
    assert faster.verdict == WITHIN_NOISE


def test_a_lower_is_better_value_target_shows_its_interval_in_the_metrics_sign(tmp_path):
    _write(tmp_path, {"0": {"one": {"ms": 1.9}}, "1": {"one": {"ms": 2.0}},
                      "2": {"one": {"ms": 2.1}}})
    row = build_ledger([_target(kind="value", baseline=None, paper=Paper(2.5, "≤ 2.5"),
                                unit=" ms")], tmp_path)[0]
    assert row.verdict == MET                                  # mean 2.0 ≤ 2.5
    text = measured_text(row)
    half = 4.302653 * 0.1 / 3 ** 0.5                          # t(0.975, 2) · sd / √n
    assert text == f"2.00 ms (95 % CI {2 - half:.2f} to {2 + half:.2f}, 3 seeds)"  # not negated


def test_targets_are_not_counted_among_claims_and_have_their_own_block(tmp_path):
    _write(tmp_path, {"0": {"one": {"ms": 1.0}, "two": {"ms": 2.0}}})
    target = _target()
    row = build_ledger([target], tmp_path)[0]
    assert status_line([row]) == "1 targets: 1 met"
    text = "<!-- ledger:start twp targets -->x<!-- ledger:end -->"
    out = update_text(text, [row])
    assert "| target | threshold |" in out and "**t**" in out
    summary = update_text("<!-- ledger:start targets --><!-- ledger:end -->", [row])
    assert "| twp | 1 | 1 met |" in summary
    from tenfold.errors import ConfigError

    with pytest.raises(ConfigError, match="no targets of twp"):
        update_text(text, [])


def test_declared_targets_are_traceable_and_kept_apart_from_claims():
    targets = all_targets()
    assert targets and all(t.target.startswith("issue") for t in targets)
    assert not any(c.target for c in all_claims())
    for t in targets:
        assert t.results or t.not_run, t.id       # a results file, or why there is none
    assert {t.method for t in targets} >= {"osgan", "factorgcn", "twp", "netgraft", "snapmix",
                                           "tracking", "impression"}
    assert targets_of("gnn-baselines") == ()


def test_every_declared_target_is_measured_by_the_stored_results():
    from pathlib import Path

    rows = build_ledger(all_targets(), Path(__file__).resolve().parents[2] / "benchmarks"
                        / "results")
    unrun = [r.claim.id for r in rows if r.verdict == NOT_RUN and not r.claim.not_run]
    assert not unrun, f"targets whose results file is missing: {unrun}"


def test_a_target_is_a_threshold_not_a_range():
    with pytest.raises(ValueError, match="threshold, not a range"):
        _target(paper=Paper(1.4, "x", (1.3, 1.5)))
    with pytest.raises(ValueError, match="every_seed applies to targets only"):
        _target(target="", every_seed=True)
