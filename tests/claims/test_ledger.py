"""Ledger rows from hand-made results files: orientation, pairing, scale, not-run reasons."""

import json

import pytest

from tenfold.claims import verdict as V
from tenfold.claims.ledger import build_ledger
from tenfold.claims.model import Claim, Paper
from tenfold.claims.schema import SCHEMA, ResultsSchemaError


def write(tmp_path, name, per_seed):
    data = {"schema": SCHEMA, "benchmark": "toy", "command": f"python benchmarks/{name}",
            "commit": "c0ffee", "machine": {"gpu": "toy GPU"}, "date": "2026-12-03",
            "settings": {}, "seeds": sorted(int(s) for s in per_seed),
            "per_seed": {str(s): arms for s, arms in per_seed.items()}}
    (tmp_path / name).write_text(json.dumps(data))


def claim(**over):
    base = dict(id="toy", method="toy", claim="A beats B.", metric="acc", higher_is_better=True,
                kind="difference", arm="a", baseline="b", paper=Paper(1.0, "Table 1"),
                protocol="toy", results=("toy.json",))
    base.update(over)
    return Claim(**base)


def test_paired_difference_with_scale(tmp_path):
    # a - b per seed: 0.010, 0.012, 0.008 -> x100 = 1.0, 1.2, 0.8 points
    write(tmp_path, "toy.json", {0: {"a": {"acc": 0.810}, "b": {"acc": 0.800}},
                                 1: {"a": {"acc": 0.812}, "b": {"acc": 0.800}},
                                 2: {"a": {"acc": 0.808}, "b": {"acc": 0.800}},
                                 3: {"a": {"acc": 0.9}}})  # seed 3 unpaired: left out
    (row,) = build_ledger([claim(scale=100)], tmp_path)
    assert row.seeds == [0, 1, 2]
    assert row.effects == pytest.approx([1.0, 1.2, 0.8])
    assert row.verdict == V.REPRODUCED and row.wins == 3
    assert row.method_mean == pytest.approx(81.0) and row.baseline_mean == pytest.approx(80.0)
    assert row.record.command == "python benchmarks/toy.json"
    (row,) = build_ledger([claim(scale=100, paper=Paper(5.0, "T"))], tmp_path)
    assert row.verdict == V.DIRECTION_ONLY


def test_lower_is_better_difference_is_oriented(tmp_path):
    # forgetting: method 1, baseline 10 -> the method forgets 9 less: effect +9
    write(tmp_path, "toy.json", {s: {"a": {"af": 1.0 + d}, "b": {"af": 10.0}}
                                 for s, d in enumerate((0.0, 0.5, -0.5))})
    (row,) = build_ledger([claim(metric="af", higher_is_better=False,
                                 paper=Paper(9.0, "T"))], tmp_path)
    assert row.effects == pytest.approx([9.0, 8.5, 9.5])
    assert row.verdict == V.REPRODUCED
    (row,) = build_ledger([claim(metric="af", higher_is_better=True,
                                 paper=Paper(9.0, "T"))], tmp_path)
    assert row.verdict == V.OPPOSITE


def test_ratio_of_times(tmp_path):
    write(tmp_path, "toy.json", {0: {"a": {"ms": 2.0}, "b": {"ms": 3.0}}})
    (row,) = build_ledger([claim(kind="ratio", metric="ms", higher_is_better=False,
                                 paper=Paper(1.5, "T"))], tmp_path)
    assert row.effects == pytest.approx([1.5]) and row.verdict == V.REPRODUCED
    (row,) = build_ledger([claim(kind="ratio", metric="ms", higher_is_better=False,
                                 paper=Paper(1.6, "T"))], tmp_path)
    assert row.verdict == V.DIRECTION_ONLY


def test_value_claim_lower_is_better(tmp_path):
    write(tmp_path, "toy.json", {0: {"a": {"mae": 0.30}}, 1: {"a": {"mae": 0.31}},
                                 2: {"a": {"mae": 0.32}}})
    ok = claim(kind="value", baseline=None, metric="mae", higher_is_better=False,
               paper=Paper(0.366, "T"))
    assert build_ledger([ok], tmp_path)[0].verdict == V.REPRODUCED
    worse = claim(kind="value", baseline=None, metric="mae", higher_is_better=False,
                  paper=Paper(0.2, "T", (0.19, 0.21)))
    assert build_ledger([worse], tmp_path)[0].verdict == V.NOT_REPRODUCED
    # two seeds 0.30, 0.32: the t-interval (12.7 x 0.01) reaches 0.21 -> cannot tell
    write(tmp_path, "toy.json", {0: {"a": {"mae": 0.30}}, 1: {"a": {"mae": 0.32}}})
    assert build_ledger([worse], tmp_path)[0].verdict == V.WITHIN_NOISE


def test_not_run_reasons(tmp_path):
    declared = claim(results=(), not_run="needs a GPU")
    missing = claim(results=("absent.json",))
    rows = build_ledger([declared, missing], tmp_path)
    assert [r.verdict for r in rows] == [V.NOT_RUN, V.NOT_RUN]
    assert rows[0].reason == "needs a GPU"
    assert "absent.json" in rows[1].reason


def test_a_claim_naming_an_absent_method_is_an_error(tmp_path):
    write(tmp_path, "toy.json", {0: {"a": {"acc": 1.0}}})
    with pytest.raises(ResultsSchemaError, match="no seed with both a and b"):
        build_ledger([claim()], tmp_path)
    with pytest.raises(ResultsSchemaError, match="has no zzz/acc"):
        build_ledger([claim(arm="zzz")], tmp_path)
    with pytest.raises(ResultsSchemaError, match="results folder not found"):
        build_ledger([claim()], tmp_path / "nope")


@pytest.mark.parametrize(("over", "message"), [
    ({"id": "Bad Id"}, "claim id"),
    ({"kind": "value"}, "has no baseline"),
    ({"baseline": None}, "needs a baseline"),
    ({"results": ()}, "say why it is not run"),
    ({"paper": Paper(1.0, "T", (2.0, 3.0))}, "does not contain"),
    ({"scale": 0.0}, "scale"),
    ({"kind": "sum"}, "kind"),
])
def test_claim_validation(over, message):
    with pytest.raises(ValueError, match=message):
        claim(**over)
