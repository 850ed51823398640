"""The measured tables on the method pages that a generated ``results`` block cannot express
(several metrics per row, several sections, paired differences) stay typed by hand; these tests
hold every number in them to the results file it quotes, recomputed here at the table's own
precision, so they fail on drift like the generated blocks do."""

import json
from pathlib import Path

import pytest

from tenfold.claims.adapters import load_source, merge_records
from tenfold.claims.doc_tables import rounds_to, table_after
from tenfold.runtime.stats import mean_std

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs" / "methods"


def _check_cell(cell: str, values: list[float], where: str) -> None:
    """``"0.978 ± 0.020"`` (or a bare mean) against the mean ± sample std of ``values``."""
    st = mean_std(values)
    ok = all(rounds_to(x, v) for x, v in zip(cell.split(" ± "), (st["mean"], st["std"]),
                                               strict=False))
    assert ok, f"{where}: page {cell!r}, file {st['mean']:.4f} ± {st['std']:.4f}"


def _check_per_seed(cell: str, values: list[list[float]], where: str) -> None:
    """``"97.1 / 2.2, 98.6 / 0.5"`` (one group per seed, one number per metric) against
    ``values[seed][metric]``."""
    groups = [g.split(" / ") for g in cell.split(", ")]
    ok = len(groups) == len(values) and all(
        len(g) == len(v) and all(rounds_to(x, y) for x, y in zip(g, v, strict=True))
        for g, v in zip(groups, values, strict=True))
    assert ok, f"{where}: page {cell!r}, file {values}"


TRACKING_COLUMNS = {"MOTA": "mota", "IDF1": "idf1", "HOTA": "hota", "DetA": "deta",
                    "AssA": "assa", "ID sw.": "id_switches", "FP": "fp", "FN": "fn",
                    "wall s": "wall_s", "CPU s": "cpu_s", "time-limited programs": "time_limited"}


@pytest.mark.parametrize("anchor, section", [
    ("### Synthetic crowds", "synthetic-{targets}"),
    ("### TUD-Stadtmitte", "tud"),
    ("### PETS09-S2L1, public detections", "pets"),
])
def test_tracking_tables_match_tracking_json(anchor, section):
    header, rows = table_after((DOCS / "tracking.md").read_text(), anchor)
    assert rows and {"method", "MOTA", "IDF1"} <= set(header)
    checked = 0
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        source = "tracking.json#" + section.format(targets=cells.get("targets"))
        rec = merge_records(load_source(RESULTS, source))
        for column, metric in TRACKING_COLUMNS.items():
            if column in cells:
                values = list(rec.values(cells["method"], metric).values())
                assert values, f"{source}: no {cells['method']}/{metric}"
                _check_cell(cells[column], values, f"{source} {cells['method']} {column}")
                checked += 1
    assert checked >= 3 * len(rows)


def test_tracking_paired_mota_table_matches_the_per_seed_values():
    """``counting − peaks_*`` per seed, from the same density maps (tracking.json)."""
    header, rows = table_after((DOCS / "tracking.md").read_text(), "Paired MOTA differences")
    assert header[0] == "targets" and len(header) == 5 and len(rows) == 4
    for targets, vs_hungarian, every_h, vs_flow, every_f in rows:
        rec = merge_records(load_source(RESULTS, f"tracking.json#synthetic-{targets}"))
        ours = rec.values("counting", "mota")
        for baseline, cell, every in (("peaks_hungarian", vs_hungarian, every_h),
                                      ("peaks_flow", vs_flow, every_f)):
            theirs = rec.values(baseline, "mota")
            diffs = [ours[s] - theirs[s] for s in sorted(ours)]
            summary, per_seed = cell.split(" (")
            _check_cell(summary, diffs, f"{targets} targets, counting − {baseline}")
            _check_per_seed(per_seed.rstrip(")"), [[d] for d in diffs],
                            f"{targets} targets, counting − {baseline} per seed")
            assert every == str(all(d > 0 for d in diffs))


def test_tracking_learned_density_table_matches_pets_net():
    header, rows = table_after((DOCS / "tracking.md").read_text(), "### PETS09-S2L1, learned")
    assert header[:2] == ["method", "density"] and len(rows) == 6
    rec = merge_records(load_source(RESULTS, "tracking.json#pets_net"))
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        arm = f"{cells['method']}_{'net' if cells['density'] == 'network' else 'det'}"
        for column in ("MOTA", "IDF1", "ID sw.", "FP", "FN"):
            values = list(rec.values(arm, TRACKING_COLUMNS[column]).values())
            _check_cell(cells[column], values, f"pets_net {arm} {column}")


def test_tracking_cost_table_matches_the_scaling_rows():
    """The cost table against ``scaling`` (read from the JSON: no adapter reads that list)."""
    header, rows = table_after((DOCS / "tracking.md").read_text(), "### Cost against video")
    runs = json.loads((RESULTS / "tracking.json").read_text())["scaling"]
    assert len(rows) == len(runs)
    for row, run in zip(rows, runs, strict=True):
        c = dict(zip(header, row, strict=True))
        where = f"scaling {run['frames']} frames, chunk {run['chunk_length']}"
        chunk = "one program" if run["chunk_length"] == 0 else str(run["chunk_length"])
        assert (c["frames"], c["chunk"]) == (str(run["frames"]), chunk), where
        for column, value in (("programs", run["chunks"]), ("max variables/program",
                              run["max_variables"]), ("CPU s", run["cpu_s"]),
                              ("CPU s/frame", run["cpu_s_per_frame"]),
                              ("wall s/frame", run["wall_s"] / run["frames"]),
                              ("time-limited", run["time_limited"]), ("MOTA", run["mota"]),
                              ("IDF1", run["idf1"])):
            _check_cell(c[column], [value], f"{where} {column}")
        peak, before = c["peak RSS MB (before tracking)"].rstrip(")").split(" (")
        _check_cell(peak, [run["peak_rss_mb"]], f"{where} peak RSS")
        _check_cell(before, [run["peak_rss_before_tracking_mb"]], f"{where} RSS before")


TWP_FILES = ("twp_cora_gcn_task.json", "twp_citeseer_gcn_task.json", "twp_sbm_gcn_task.json",
             "twp_cora_gcn_task_beta0.json", "twp_cora_gcn_class.json", "twp_cora_gat_task.json")


@pytest.mark.parametrize("name", TWP_FILES)
def test_twp_paired_tables_match_the_files_paired_differences(name):
    """The paired ΔAP table after each generated AP / AF pair: every method paired with
    fine-tune in the file, with its mean ± std difference and wins."""
    text = (DOCS / "twp.md").read_text()
    after_af = text[text.index(f"<!-- ledger:start results {name} af -->"):]
    header, rows = table_after(after_af, "| method | paired ΔAP")
    assert header == ["method", "paired ΔAP vs fine-tune (wins)"]
    data = json.loads((RESULTS / name).read_text())
    paired = data["paired_vs_finetune"]
    assert [m for m, _ in rows] and {m for m, _ in rows} == set(paired)
    per_seed = data["per_seed"]
    for method, cell in rows:
        ap = paired[method]["ap"]
        # the stored difference is the per-seed one, recomputed here from the per-seed APs
        diffs = [per_seed[s][method]["ap"] - per_seed[s]["finetune"]["ap"] for s in per_seed]
        assert ap["mean"] == pytest.approx(mean_std(diffs)["mean"])
        assert ap["wins"] == sum(d > 0 for d in diffs)
        shown = f"{ap['mean']:+.1f} ± {ap['std']:.1f} ({ap['wins']}/{ap['n']})"
        assert cell.replace("−", "-") == shown, f"{name} {method}: page {cell!r}, file {shown!r}"


_E100 = "twp_computers_gat_task_whole_e100_beta0_s*.json"
_E100_MORE = "twp_computers_gat_task_whole_e100_beta0_mas_lwf_joint_s*.json"
_E200 = "twp_computers_gat_task_whole_e200_s*.json"
_SUB = "twp_computers_gat_task_sub_e60.json"
_ARMS = {"fine-tune": "finetune", "EWC": "ewc", "MAS": "mas", "LwF": "lwf", "joint": "joint",
         "TWP": "twp"}


@pytest.mark.parametrize("anchor, source, by_label", [
    ("### Amazon Computers, GAT (the paper's second table)", _SUB,
     {"TWP, β = 0 (": "twp_computers_gat_task_sub_e60_beta0.json"}),
    ("### Amazon Computers, GAT, task-IL, whole graph (the official protocol), 100", _E100, {}),
    ("### Amazon Computers, GAT, whole graph, 100 epochs: MAS, LwF, joint", _E100_MORE, {}),
    ("### Amazon Computers, GAT, whole graph, 200 epochs (the paper's protocol)", _E200, {}),
    ("### Amazon Computers, GAT, whole graph, 200 epochs, differentiable",
     "twp_computers_gat_task_gpu_beta001.json", {}),
])
def test_twp_computers_tables_match_their_files(anchor, source, by_label):
    """Mean ± std and per-seed AP / AF of each row (the paper's column is the paper's)."""
    header, rows = table_after((DOCS / "twp.md").read_text(), anchor)
    assert rows and header[:3] == ["method", "AP (%)", "AF (%)"]
    for row in rows:
        label = row[0]
        arm = next(a for prefix, a in _ARMS.items() if label.startswith(prefix))
        src = next((f for prefix, f in by_label.items() if label.startswith(prefix)), source)
        rec = merge_records(load_source(RESULTS, src))
        ap, af = rec.values(arm, "ap"), rec.values(arm, "af")
        assert ap and sorted(ap) == sorted(af), f"{src}: {arm}"
        where = f"{src} {arm}"
        _check_cell(row[1], list(ap.values()), f"{where} AP")
        _check_cell(row[2], list(af.values()), f"{where} AF")
        seeds = sorted(ap)
        if header[3].startswith("per-seed AF"):
            _check_per_seed(row[3], [[af[s]] for s in seeds], f"{where} per-seed AF")
        else:
            assert header[3].startswith("per seed (AP / AF)")
            _check_per_seed(row[3], [[ap[s], af[s]] for s in seeds], f"{where} per seed")


def test_twp_lambda_t_sweep_matches_its_files():
    header, rows = table_after((DOCS / "twp.md").read_text(), "### λ_t sweep")
    assert header == ["λ_t", "AP (%)", "AF (%)", "file"] and len(rows) == 5
    for lam, ap_cell, af_cell, file_cell in rows:
        name = file_cell.strip("`")
        arm = "twp-no-topo" if lam.startswith("0 ") else "twp"   # λ_t = 0: TWP without topology
        rec = merge_records(load_source(RESULTS, name))
        _check_cell(ap_cell, list(rec.values(arm, "ap").values()), f"{name} {arm} AP")
        _check_cell(af_cell, list(rec.values(arm, "af").values()), f"{name} {arm} AF")
