"""The report's ledger section: stored verdicts of the recipes run, with each run's number."""

from pathlib import Path

from tenfold.claims.report import ledger_section

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def summary(recipe="spagan", dataset="cora"):
    return {"recipe": recipe, "dataset": dataset, "seeds": [0, 1],
            "per_seed": {"0": {"spagan": {"test_acc": 0.84, "best_epoch": 3},
                               "gat": {"test_acc": 0.83}},
                         "1": {"spagan": {"test_acc": 0.85}, "gat": {"test_acc": 0.83}}}}


def _row(text, claim_id):
    return next(line for line in text.splitlines() if f"**{claim_id}**" in line)


def test_rows_of_the_recipes_run_with_this_runs_numbers():
    text = ledger_section([("runs/spagan/x", summary())], RESULTS)
    assert text.startswith("## The papers' claims")
    # value: mean of 84 and 85; difference: +1.00 and +2.00 points -> +1.50
    assert "84.50% " in _row(text, "spagan-cora")
    assert "spagan 84.50 vs gat 83.00: +1.50 points" in _row(text, "spagan-cora-vs-gat")
    assert _row(text, "spagan-cora").split(" | ")[3] in ("within noise", "reproduced")
    assert "not measured by this run" in _row(text, "spagan-citeseer")   # a cora run
    assert "not run: PubMed" in _row(text, "spagan-pubmed")
    assert "**gat-cora**" not in text                                    # not a recipe run


def test_a_netgraft_run_in_fractions_is_shown_in_percent_like_its_files():
    """netgraft's runs and results files both hold fractions; the claim's ``scale`` shows both
    in % (points)."""
    run = {"recipe": "netgraft", "dataset": "mnist", "seeds": [0, 1],
           "per_seed": {s: {"netgraft": {"test_acc_n1": a, "params_ratio": 0.3},
                            "kd_kl": {"test_acc_n1": b, "params_ratio": 0.3}}
                        for s, a, b in (("0", 0.62, 0.52), ("1", 0.64, 0.52))}}
    row = _row(ledger_section([("runs/netgraft/x", run)], RESULTS), "netgraft-mnist-n1-vs-kd")
    assert "netgraft 63.00 vs kd_kl 52.00: +11.00 points" in row


def test_nothing_for_recipes_without_claims_and_a_note_without_results(tmp_path):
    assert ledger_section([("r", summary(recipe="no-such-recipe"))], RESULTS) == ""
    text = ledger_section([("r", summary())], tmp_path / "none")
    assert "ledger unavailable" in text and "results folder not found" in text


def test_a_smoke_report_opens_with_the_ledger_rows_of_its_recipe(tmp_path, mirror):
    """End to end: a gnn-baselines smoke run on Cora, then the report; its first section is
    the ledger, and the run's own GAT number (mean of its seeds) stands beside the stored one."""
    import json

    from tenfold.runtime.launch import start_run
    from tenfold.runtime.report import write_report

    path = start_run("gnn-baselines", preset="smoke", dataset="cora", seeds=[0, 1],
                     overrides=["methods=gat", "epochs=10"], out=tmp_path / "runs")
    report = write_report([path], tmp_path / "report.md").read_text()
    assert report.index("## The papers' claims") < report.index("## gnn-baselines")
    summary = json.loads((path / "summary.json").read_text())
    mean = 100 * sum(summary["per_seed"][s]["gat"]["test_acc"] for s in ("0", "1")) / 2
    row = _row(report, "gat-cora").split(" | ")
    assert row[2].startswith("82.42% ")                         # the stored benchmark
    assert row[4].startswith(f"{mean:.2f}% ") and "`cora`" in row[4]   # this run
    assert "not measured by this run" in _row(report, "gat-citeseer")
