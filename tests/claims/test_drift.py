"""The README's and the docs' generated ledger blocks agree with benchmarks/results; a
hand-edited number or a changed results file is caught (shown on a copy, never on the tree)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tenfold.claims import all_claims, all_targets, build_ledger
from tenfold.claims.render import BLOCK, drift, ledger_files, update_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rows():
    return build_ledger(all_claims() + all_targets(), ROOT / "benchmarks" / "results")


def test_the_tree_has_blocks_for_every_method(rows):
    keys = {m["key"] for f in ledger_files(ROOT) for m in BLOCK.finditer(f.read_text())}
    for method in {c.method for c in all_claims()}:
        assert method in keys, f"no generated table for {method} in the docs"
        assert f"{method} status" in keys, f"no README status cell for {method}"


def test_every_method_with_targets_has_its_targets_block():
    keys = {m["key"] for f in ledger_files(ROOT) for m in BLOCK.finditer(f.read_text())}
    for method in {t.method for t in all_targets()}:
        assert f"{method} targets" in keys, f"no generated targets table for {method}"


def test_readme_and_docs_agree_with_the_results_files(rows):
    stale = drift(ROOT, rows)
    assert not stale, ("generated ledger blocks disagree with benchmarks/results; run "
                       f"`python -m tenfold.claims --update`: {stale}")


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "docs" / "methods").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", root / "README.md")
    for f in ledger_files(ROOT):
        if f.parent != ROOT:
            shutil.copy(f, root / f.relative_to(ROOT))
    shutil.copytree(ROOT / "benchmarks" / "results", root / "benchmarks" / "results")
    return root


def test_a_hand_edited_number_fails(tmp_path, rows):
    root = _copy(tmp_path)
    page = root / "docs" / "methods" / "spagan.md"
    text = page.read_text()
    assert "83.04%" in text
    page.write_text(text.replace("83.04%", "83.64%", 1))  # a "better" number typed by hand
    assert drift(root, rows) == ["docs/methods/spagan.md: block 'spagan'"]
    cli = subprocess.run([sys.executable, "-m", "tenfold.claims", "--check", "--root",
                          str(root)], capture_output=True, text=True)
    assert cli.returncode == 1 and "docs/methods/spagan.md" in cli.stdout
    fixed = subprocess.run([sys.executable, "-m", "tenfold.claims", "--update", "--root",
                            str(root)], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    assert page.read_text() == text
    assert drift(root, rows) == []


def test_a_changed_results_file_fails(tmp_path, rows):
    root = _copy(tmp_path)
    path = root / "benchmarks" / "results" / "gnn_baselines.json"
    data = json.loads(path.read_text())
    data["runs"][0]["results"]["cora"]["gat"]["test_acc_per_seed"][0] = 0.5
    path.write_text(json.dumps(data))
    new_rows = build_ledger(all_claims() + all_targets(), root / "benchmarks" / "results")
    stale = drift(root, new_rows)
    assert "README.md: block 'gnn-baselines status'" in stale
    assert "docs/methods/gnn-baselines.md: block 'gnn-baselines'" in stale


def test_export_writes_schema_1_copies_with_the_same_numbers(tmp_path):
    from tenfold.claims.adapters import read_results

    out = tmp_path / "schema1"
    run = subprocess.run([sys.executable, "-m", "tenfold.claims", "--export", str(out),
                          "--root", str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    results = ROOT / "benchmarks" / "results"
    original = read_results(results / "twp_cora_gcn_task.json")[""]
    copy = read_results(out / "twp_cora_gcn_task.json")[""]      # read by the schema reader
    assert copy.per_seed == original.per_seed and copy.command == original.command
    spagan = read_results(out / "spagan_reproduce__citeseer-cpu.json")[""]
    stored = read_results(results / "spagan_reproduce.json")["citeseer-cpu"]
    assert spagan.per_seed == stored.per_seed
    assert "not adapted: netgraft_cifar_cost.json" in run.stdout
    again = subprocess.run([sys.executable, "-m", "tenfold.claims", "--export", str(out),
                            "--root", str(ROOT)], capture_output=True, text=True)
    assert again.returncode == 2 and "exists" in again.stderr


def test_module_cli_errors_are_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tenfold.claims", "--check", "--root",
                          str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and "results folder not found" in out.stderr


def test_update_is_idempotent_and_rejects_unknown_keys(rows):
    text = "a <!-- ledger:start twp status -->old<!-- ledger:end --> b"
    once = update_text(text, rows)
    assert once != text and update_text(once, rows) == once
    assert once.startswith("a <!-- ledger:start twp status -->5 claims: ")
    from tenfold.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown ledger block key 'nosuch'"):
        update_text("<!-- ledger:start nosuch --><!-- ledger:end -->", rows)


MY_PAGES = ("gnn-baselines", "osgan", "factorgcn", "twp", "netgraft", "snapmix", "tracking",
            "impression")


def _mutate_first_number(text: str, key: str) -> str:
    """``text`` with the first decimal number inside block ``key`` changed by hand."""
    import re

    block = next(m for m in BLOCK.finditer(text) if m["key"] == key)
    number = re.search(r"\d+\.\d+", block["body"])
    old = number.group()
    new = old[:-1] + ("1" if old[-1] != "1" else "2")
    start = block.start("body") + number.start()
    return text[:start] + new + text[start + len(old):]


@pytest.mark.parametrize("page", MY_PAGES)
def test_a_hand_edited_number_in_any_block_of_a_docs_page_fails(tmp_path, rows, page):
    """Every generated block of the page (the claims table and the targets table) is checked:
    one number typed over in a copy is reported as that page's block, and nothing else."""
    root = _copy(tmp_path)
    path = root / "docs" / "methods" / f"{page}.md"
    text = path.read_text()
    keys = [m["key"] for m in BLOCK.finditer(text)]
    assert page in keys
    for key in keys:
        path.write_text(_mutate_first_number(text, key))
        assert drift(root, rows) == [f"docs/methods/{page}.md: block {key!r}"]
    path.write_text(text)
    assert drift(root, rows) == []


def test_a_hand_edited_readme_status_cell_fails(tmp_path, rows):
    root = _copy(tmp_path)
    readme = root / "README.md"
    text = readme.read_text()
    readme.write_text(text.replace("<!-- ledger:start twp status -->5 claims",
                                   "<!-- ledger:start twp status -->6 claims", 1))
    assert drift(root, rows) == ["README.md: block 'twp status'"]


def test_a_results_block_is_each_arms_mean_and_sample_std(tmp_path):
    import statistics

    from tenfold.claims.adapters import read_results
    from tenfold.claims.render import results_table
    from tenfold.errors import ConfigError

    results = ROOT / "benchmarks" / "results"
    table = results_table(results, "gnn_baselines.json#cora-paper", "test_acc", 100)
    rec = read_results(results / "gnn_baselines.json")["cora-paper"]
    for method in ("mlp", "gcn", "gat"):
        values = [100 * v for v in rec.values(method, "test_acc").values()]
        want = f"| {method} | {statistics.mean(values):.2f} ± {statistics.stdev(values):.2f} | 5 |"
        assert want in table
    assert rec.command in table
    text = "<!-- ledger:start results gnn_baselines.json#cora-paper test_acc x100 -->"
    with pytest.raises(ConfigError, match="needs the results folder"):
        update_text(text + "<!-- ledger:end -->", [])
    with pytest.raises(ConfigError, match="no arm has 'nosuch'"):
        results_table(results, "gnn_baselines.json#cora-paper", "nosuch")
    with pytest.raises(ConfigError, match="no results file matches"):
        results_table(tmp_path, "none.json", "test_acc")
