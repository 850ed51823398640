"""The declared claims against the real benchmarks/results: every one resolves, is traceable to
a file and a command, and the CLI prints them."""

import subprocess
import sys
from pathlib import Path

import pytest

from tenfold.claims import MODULES, all_claims, all_targets, build_ledger
from tenfold.claims.adapters import load_source
from tenfold.claims.verdict import NOT_RUN, VERDICTS

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture(scope="module")
def rows():
    return build_ledger(all_claims(), RESULTS)


def test_every_method_declares_claims_with_unique_ids():
    claims = all_claims()
    assert {c.method for c in claims} == set(MODULES)
    assert len({c.id for c in claims}) == len(claims)


def test_every_row_is_traceable(rows):
    for row in rows:
        assert row.verdict in VERDICTS
        if row.verdict == NOT_RUN:
            assert row.reason, row.claim.id
            continue
        assert row.record.command.strip(), row.claim.id
        for source in row.claim.results:
            assert load_source(RESULTS, source), f"{row.claim.id}: {source} matches no file"
        assert len(row.effects) == len(row.seeds) >= 1


def test_a_stored_number_reaches_the_row(rows):
    # twp-computers-ap: the three per-seed files' twp AP, read independently
    import json

    values = [json.loads(p.read_text())["per_seed"][p.stem[-1]]["twp"]["ap"]
              for p in sorted(RESULTS.glob("twp_computers_gat_task_whole_e200_s*.json"))]
    (row,) = [r for r in rows if r.claim.id == "twp-computers-ap"]
    assert row.effects == pytest.approx(values)


def test_cli_lists_every_claim_and_fails_cleanly():
    out = subprocess.run([sys.executable, "-m", "tenfold", "claims", "--results", str(RESULTS)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for c in all_claims():
        assert f"{c.id}  [" in out.stdout
    md = subprocess.run([sys.executable, "-m", "tenfold", "claims", "twp", "--markdown",
                         "--results", str(RESULTS)], capture_output=True, text=True, cwd=ROOT)
    assert md.returncode == 0 and md.stdout.startswith("| claim |")
    bad = subprocess.run([sys.executable, "-m", "tenfold", "claims", "nosuch"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("error: ")


def test_cli_targets_follow_the_claims_with_their_own_count():
    args = [sys.executable, "-m", "tenfold", "claims", "udor", "--results", str(RESULTS)]
    plain = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    both = subprocess.run([*args, "--targets"], capture_output=True, text=True, cwd=ROOT)
    assert plain.returncode == 0 and both.returncode == 0, both.stderr
    claims = [c.id for c in all_claims("udor")]
    targets = [c.id for c in all_targets("udor")]
    assert targets and all(f"{t}  [" in both.stdout for t in targets)
    assert not any(f"{t}  [" in plain.stdout for t in targets)
    tail = both.stdout.strip().splitlines()[-2:]
    assert tail[0].startswith(f"{len(claims)} claims: ")
    assert tail[1].startswith(f"{len(targets)} targets: ")


def test_import_does_not_pull_torch():
    code = ("import sys, tenfold.claims, tenfold.claims.render; "
            "from tenfold.claims import ledger; ledger('twp'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
