"""benchmarks/harness.py writes the results schema v1 directly, validated on write; the files
it writes are read by the ledger without an adapter, and a malformed result is refused with
the file and field named."""

import importlib.util
import json
import math
from pathlib import Path

import pytest

from tenfold.claims.adapters import read_results
from tenfold.claims.ledger import build_ledger
from tenfold.claims.model import Claim, Paper
from tenfold.claims.schema import SCHEMA, ResultsSchemaError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("harness", ROOT / "benchmarks" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def args(harness):
    p = harness.parser("toy", "a toy benchmark")
    p.add_argument("--seeds", default="0-1")
    return harness.parse(p, ["--seeds", "0-1", "--out", "/tmp/x.json"])  # 1 torch thread


PER_SEED = {0: {"ours": {"acc": 0.9, "loss": 0.3}, "base": {"acc": 0.8}},
            1: {"ours": {"acc": 0.7}, "base": {"acc": 0.75}}}


def test_a_harness_written_file_is_schema_1_and_validates(harness, args, tmp_path):
    out = tmp_path / "toy.json"
    res = harness.result("toy", args, per_seed=PER_SEED, settings={"lr": 0.1},
                         curves={"ours": [1.0, 2.0]})
    harness.write_result(out, res)
    data = json.loads(out.read_text())
    assert data["schema"] == SCHEMA and data["benchmark"] == "toy"
    assert data["command"] == "python benchmarks/toy.py --seeds 0-1 --out /tmp/x.json"
    assert data["seeds"] == [0, 1] and data["settings"]["lr"] == 0.1
    assert data["settings"]["seeds"] == "0-1"            # the arguments are settings too
    assert data["commit"] and data["machine"]["cpu_threads"] == 1 and data["date"].endswith("Z")
    assert data["curves"] == {"ours": [1.0, 2.0]}         # extra figures kept beside
    rec = read_results(out)[""]                           # the schema reader, no adapter
    assert rec.values("ours", "acc") == {0: 0.9, 1: 0.7}
    assert rec.values("ours", "loss") == {0: 0.3}
    assert harness.read_result(out)[""].per_seed == rec.per_seed


def test_the_ledger_reads_a_harness_file_like_any_other(harness, args, tmp_path):
    harness.write_result(tmp_path / "toy.json", harness.result("toy", args, per_seed=PER_SEED))
    claim = Claim(id="toy", method="toy", claim="ours beats base", metric="acc",
                  higher_is_better=True, kind="difference", arm="ours", baseline="base",
                  paper=Paper(None, "none"), protocol="toy", results=("toy.json",))
    row = build_ledger([claim], tmp_path)[0]
    assert row.effects == pytest.approx([0.1, -0.05])     # paired by seed
    assert row.record.command.startswith("python benchmarks/toy.py")


def test_a_cut_off_run_lists_every_seed_it_was_asked_for(harness, args):
    res = harness.result("toy", args, per_seed={0: PER_SEED[0]}, seeds=[0, 1, 2])
    assert res["seeds"] == [0, 1, 2] and list(res["per_seed"]) == ["0"]


@pytest.mark.parametrize(("per_seed", "field"), [
    ({0: {"ours": {"acc": math.nan}}}, "per_seed['0']['ours']['acc'] = nan"),
    ({0: {"ours": {"acc": "high"}}}, "per_seed['0']['ours']['acc'] = 'high'"),
    ({0: {"ours": 0.9}}, "per_seed['0']['ours'] should be {metric: number}"),
    ({"first": {"ours": {"acc": 1.0}}}, "per_seed key 'first' is not a seed number"),
])
def test_a_malformed_result_fails_naming_the_field(harness, args, per_seed, field):
    with pytest.raises(ResultsSchemaError) as err:
        harness.result("toy", args, per_seed=per_seed)
    assert "toy" in str(err.value) and field in str(err.value)


def test_a_malformed_file_is_not_written_and_the_error_names_file_and_field(harness, args,
                                                                            tmp_path):
    res = harness.result("toy", args, per_seed=PER_SEED)
    res["per_seed"]["1"]["ours"]["acc"] = float("inf")      # damaged after building
    out = tmp_path / "toy.json"
    with pytest.raises(ResultsSchemaError) as err:
        harness.write_result(out, res)
    assert str(out) in str(err.value) and "per_seed['1']['ours']['acc']" in str(err.value)
    assert not out.exists()
    assert PER_SEED[1]["ours"]["acc"] == 0.7                 # result() copied the caller's table
    del res["command"]
    with pytest.raises(ResultsSchemaError, match=r"toy\.json: field 'command' is missing"):
        harness.write_result(out, res)
    with pytest.raises(ResultsSchemaError, match="seed 1, which is not in 'seeds'"):
        harness.result("toy", args, per_seed=PER_SEED, seeds=[0])
    with pytest.raises(ResultsSchemaError, match=r"\['command'\] are set by result\(\)"):
        harness.result("toy", args, per_seed=PER_SEED, command="python other.py")


def test_a_schema_file_damaged_on_disk_fails_on_read_naming_file_and_field(harness, args,
                                                                           tmp_path):
    out = tmp_path / "toy.json"
    harness.write_result(out, harness.result("toy", args, per_seed=PER_SEED))
    data = json.loads(out.read_text())
    data["machine"] = "a laptop"
    out.write_text(json.dumps(data))
    with pytest.raises(ResultsSchemaError, match=r"toy\.json: field 'machine' should be a dict"):
        read_results(out)


def test_the_old_api_writes_old_shapes_unchanged(harness, args, tmp_path):
    out = tmp_path / "old.json"
    harness.write_result(out, harness.record("old", args, table={"a": [1, 2]}))
    data = json.loads(out.read_text())
    assert "schema" not in data and data["table"] == {"a": [1, 2]}


def test_per_seed_of_a_summary_keeps_numbers_only(harness):
    h = harness
    summary = {"per_seed": {"0": {"m": {"acc": 1, "name": "x", "ok": True, "curve": [1],
                                        "eq": {"fd": 2.5}}}}}
    assert h.per_seed_of(summary) == {"0": {"m": {"acc": 1.0, "eq.fd": 2.5}}}
    with pytest.raises(ResultsSchemaError, match="no per_seed"):
        h.per_seed_of({"aggregate": {}})


def test_a_file_with_sections_holds_one_result_per_experiment(harness, args, tmp_path):
    out = tmp_path / "toy.json"
    cora = harness.result("toy", args, per_seed=PER_SEED, settings={"dataset": "cora"})
    cite = harness.result("toy", args, per_seed={5: {"ours": {"acc": 0.6}}},
                          settings={"dataset": "citeseer"})
    harness.write_result(out, harness.sections({"cora": cora, "citeseer": cite}))
    recs = read_results(out)
    assert sorted(recs) == ["citeseer", "cora"]
    assert recs["citeseer"].values("ours", "acc") == {5: 0.6}
    assert recs["cora"].settings["dataset"] == "cora"
    claim = Claim(id="toy", method="toy", claim="c", metric="acc", higher_is_better=True,
                  kind="value", arm="ours", paper=Paper(0.5, "x"), protocol="p",
                  results=("toy.json#citeseer",))
    assert build_ledger([claim], tmp_path)[0].effects == [0.6]
    cite["per_seed"]["5"]["ours"]["acc"] = None
    with pytest.raises(ResultsSchemaError,
                       match=r"toy\.json#citeseer: per_seed\['5'\]\['ours'\]\['acc'\] = None"):
        harness.write_result(out, {"schema": SCHEMA, "sections": {"cora": cora,
                                                                  "citeseer": cite}})
    assert read_results(out)["citeseer"].values("ours", "acc") == {5: 0.6}   # file untouched
    with pytest.raises(ResultsSchemaError, match="non-empty"):
        harness.sections({})
