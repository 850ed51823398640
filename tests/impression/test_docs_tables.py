"""The CIFAR-10 retrieval table on docs/methods/impression.md is typed by hand from
``benchmarks/results/impression_retrieval_cifar10.json``; every number in it (template accuracy,
penultimate 1-NN, each view's 1-NN and its paired difference, wins, the views chosen) is held to
that file here, so the page fails on drift."""

import json
import re
from pathlib import Path

import pytest

from tenfold.claims.doc_tables import rounds_to, table_after

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "methods" / "impression.md"
RESULTS = ROOT / "benchmarks" / "results" / "impression_retrieval_cifar10.json"
ANCHOR = "**Retrieval on CIFAR-10: where"
VIEWS = ("z-scored", "raw", "means", "log σ", "balanced", "last")   # standard_views() order
COLUMNS = ("impression", "impression-raw", "impression-last", "impression-selected")
_CELL = re.compile(r"^([-−+]?[\d.]+) \(([-−+]?[\d.]+) ± ([\d.]+), (\d+)/(\d+)\)$")
_MEAN_STD = re.compile(r"^([\d.]+) ± ([\d.]+)$")


def _rows() -> list[list[str]]:
    header, rows = table_after(PAGE.read_text(), ANCHOR)
    assert header[:4] == ["template", "what", "template acc", "penultimate"], header
    assert tuple(header[4:8]) == COLUMNS, header
    return rows


def test_every_template_of_the_file_has_a_row_and_no_other():
    templates = json.loads(RESULTS.read_text())["templates"]
    assert sorted(r[0].strip("`") for r in _rows()) == sorted(templates)


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r[0].strip("`"))
def test_row_matches_the_results_file(row):
    entry = json.loads(RESULTS.read_text())["templates"][row[0].strip("`")]
    for cell, stats in ((row[2], entry["template_acc"]),
                        (row[3], entry["retrieval_1nn"]["penultimate"])):
        mean, std = _MEAN_STD.match(cell).groups()
        assert rounds_to(mean, stats["mean"]) and rounds_to(std, stats["std"]), (cell, stats)
    for cell, view in zip(row[4:8], COLUMNS, strict=True):
        value, diff, std, wins, n = _CELL.match(cell).groups()
        paired = entry["minus_penultimate"][view]
        assert rounds_to(value, entry["retrieval_1nn"][view]["mean"]), (view, cell)
        assert rounds_to(diff, paired["mean"]) and rounds_to(std, paired["std"]), (view, cell)
        assert (int(wins), int(n)) == (paired["wins"], paired["n"]), (view, cell)
    chosen = [VIEWS[int(i)] for i in entry["selected_view"]]
    assert row[8].split(" / ") == chosen
    ordered = [json.loads(RESULTS.read_text())["templates"][r[0].strip("`")]["retrieval_1nn"]
               ["penultimate"]["mean"] for r in _rows()]
    assert ordered == sorted(ordered), "rows are sorted by the penultimate 1-NN accuracy"
