"""netgraft's results files hold accuracies as fractions, like its runs; the ledger shows them in
% (points) through the claims' ``scale``. A file written on the wrong scale fails here: its
accuracies leave [0, 1], and the rendered numbers no longer match the file's own ×100."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tenfold.claims import all_claims, all_targets, build_ledger
from tenfold.claims.adapters import UnadaptableFile, load_source, merge_records, read_results
from tenfold.claims.doc_tables import rounds_to, table_after
from tenfold.claims.render import measured_text
from tenfold.runtime.stats import mean_std

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
FILES = sorted(RESULTS.glob("netgraft*.json"))


def _is_accuracy(metric: str) -> bool:
    return metric.startswith(("test_acc", "hybrid_"))


def test_every_netgraft_file_keeps_its_accuracies_in_0_1():
    checked = {}
    for path in FILES:
        try:
            sections = read_results(path)
        except UnadaptableFile:   # the cost model and the sweeps: their rows are read below
            data = json.loads(path.read_text())
            values = [v for row in data.get("rows", []) for v in
                      (*row["val_acc"].values(), row["mean_over_n"])]
        else:
            values = [v for rec in sections.values() for arms in rec.per_seed.values()
                      for metrics in arms.values() for k, v in metrics.items() if _is_accuracy(k)]
        assert all(0.0 <= v <= 1.0 for v in values), f"{path.name}: an accuracy outside [0, 1]"
        checked[path.name] = len(values)
    assert len(checked) >= 7 and checked["netgraft_cifar_cost.json"] == 0
    assert all(n > 0 for name, n in checked.items() if name != "netgraft_cifar_cost.json")


def _claims():
    return [c for c in all_claims() + all_targets() if c.method == "netgraft"]


def test_every_netgraft_claim_shows_its_fractions_in_percent():
    claims = _claims()
    assert len(claims) >= 17
    for c in claims:
        assert c.scale == 100, c.id          # accuracies and params_ratio: fractions in files
        assert c.unit in ("%", " points"), c.id


def _file_means(name: str, arm: str, metric: str) -> dict[int, float]:
    """``{seed: value}`` straight from the JSON, not through the adapter."""
    data = json.loads((RESULTS / name).read_text())
    return {int(s): arms[arm][metric] for s, arms in data["per_seed"].items()
            if metric in arms.get(arm, {})}


@pytest.mark.parametrize("claim_id", ["netgraft-mnist-n1-vs-kd", "netgraft-cifar10-n1",
                                      "netgraft-target-digits-n10-vs-teacher",
                                      "netgraft-target-mnist-size"])
def test_the_rendered_number_is_the_files_fraction_times_100(claim_id):
    (claim,) = [c for c in _claims() if c.id == claim_id]
    (row,) = build_ledger([claim], RESULTS)
    arm = _file_means(claim.results[0], claim.arm, claim.metric)
    arm_mean = 100 * sum(arm.values()) / len(arm)
    assert 0 <= arm_mean <= 100           # a percentage: the file held a fraction
    text = measured_text(row)
    if claim.kind == "value":
        assert text.startswith(f"{arm_mean:.2f}% ("), text
        return
    base = _file_means(claim.results[0], claim.baseline, claim.metric)
    base_mean = 100 * sum(base[s] for s in arm) / len(arm)
    assert 0 <= base_mean <= 100
    diff = arm_mean - base_mean
    sign = "+" if diff >= 0 else "−"
    assert text.startswith(f"{claim.arm} {arm_mean:.2f} vs {claim.baseline} {base_mean:.2f}: "
                           f"{sign}{abs(diff):.2f} points ("), text


def test_the_benchmark_table_keeps_fractions_to_four_decimals():
    spec = importlib.util.spec_from_file_location("netgraft_bench",
                                                  ROOT / "benchmarks" / "netgraft.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "benchmarks"))     # it imports the benchmarks' harness
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    summary = {"aggregate": {"netgraft": {"test_acc_n1": {"mean": 0.62983, "std": 0.0915, "n": 3},
                                          "macs": {"mean": 3522880.0, "std": 0.0, "n": 3}}}}
    assert module.table(summary) == {"netgraft": {"test_acc_n1": "0.6298 ± 0.0915",
                                                  "macs": "3522880.00 ± 0.00"}}
    assert not hasattr(module, "in_percent")


def _percent_cell(cell: str, fractions: list[float], where: str) -> None:
    """A page cell (``"63.0 ± 9.2"`` or ``"99.43"``) is the file's fractions x100 (mean, and
    sample std when shown) rounded to the cell's decimals (either way at an exact tie)."""
    parts = cell.split(" ± ")
    st = mean_std([100 * x for x in fractions])
    for shown, exact in zip(parts, (st["mean"], st["std"]), strict=False):
        assert rounds_to(shown, exact), (
            f"{where}: page {cell!r}, file x100 {st['mean']:.4f} ± {st['std']:.4f}")


_HYBRIDS = {"block 1": "hybrid_block1", "block 2": "hybrid_block2", "block 3": "hybrid_block3",
            "net, k = 2": "hybrid_net2", "net, k = 3": "hybrid_net3"}


@pytest.mark.parametrize("anchor, name", [
    ("### digits (embedded), default step budget", "netgraft_digits.json"),
    ("### MNIST (mirror), default step budget", "netgraft_mnist.json"),
    ("**Reduced run (1 seed", "netgraft_cifar10_reduced_cpu.json"),
    ("**Quarter width, 3 seeds", "netgraft_cifar10_quarter_cpu.json"),
])
def test_the_pages_percent_tables_are_the_files_fractions_x100(anchor, name):
    """The typed tables of docs/methods/netgraft.md (accuracy in %) against the files
    (fractions): every method's test accuracy per N and, where shown, the hybrids'."""
    text = (ROOT / "docs" / "methods" / "netgraft.md").read_text()
    rec = merge_records(load_source(RESULTS, name))
    rows = table_after(text, anchor, "| method | N = 1 |")[1]
    head = text[text.index(anchor):].split("| method | ", 1)[1].split("\n", 1)[0]
    shots = [int(c.split("=")[1]) for c in head.split(" | ") if c.startswith("N =")]
    assert rows and shots
    for row in rows:
        method = row[0].split("`")[1]
        for n, cell in zip(shots, row[1:], strict=False):
            values = list(rec.values(method, f"test_acc_n{n}").values())
            _percent_cell(cell, values, f"{name} {method} N = {n}")
    if "netgraft_cifar10" in name:
        return
    for row in table_after(text, anchor, "| hybrid | N = 1 |")[1]:
        metric = next(m for label, m in _HYBRIDS.items() if row[0].startswith(label))
        for n, cell in zip((1, 5, 10), row[1:], strict=True):
            values = list(rec.values("netgraft", f"{metric}_n{n}").values())
            _percent_cell(cell, values, f"{name} {metric} N = {n}")
