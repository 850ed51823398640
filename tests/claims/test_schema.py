"""The results schema: validation, the adapters for the older files, merging by seed."""

import json

import pytest

from tenfold.claims.adapters import (
    UnadaptableFile,
    adapt,
    load_source,
    merge_records,
    read_results,
)
from tenfold.claims.schema import SCHEMA, ResultsSchemaError, validate_record


def schema1(**over):
    data = {"schema": SCHEMA, "benchmark": "toy", "command": "python benchmarks/toy.py",
            "commit": "abc", "machine": {"processor": "x"}, "date": "2026-12-03",
            "settings": {"lr": 0.1}, "seeds": [0, 1],
            "per_seed": {"0": {"a": {"acc": 0.5}}, "1": {"a": {"acc": 0.7}}}}
    data.update(over)
    return data


def test_valid_record_reads_back():
    rec = validate_record(schema1(), "toy.json")
    assert rec.values("a", "acc") == {0: 0.5, 1: 0.7}
    assert validate_record(rec.to_json(), "again").per_seed == rec.per_seed


@pytest.mark.parametrize(("over", "message"), [
    ({"command": None}, "'command' should be a str"),
    ({"command": "  "}, "'command' is empty"),
    ({"seeds": [0, "1"]}, "should be integers"),
    ({"seeds": [0, 0]}, "repeats"),
    ({"seeds": [0]}, "seed 1, which is not in 'seeds'"),
    ({"per_seed": {"0": {"a": {"acc": float("nan")}}}}, "not a finite number"),
    ({"per_seed": {"0": {"a": {"acc": True}}}}, "not a finite number"),
    ({"per_seed": {"0": {"a": 0.5}}}, "should be {metric: number}"),
    ({"per_seed": {"x": {}}}, "not a seed number"),
    ({"schema": "tenfold.results/9"}, "unknown schema"),
])
def test_invalid_records_name_the_field(over, message):
    with pytest.raises(ResultsSchemaError, match="toy.json") as err:
        validate_record(schema1(**over), "toy.json")
    assert message in str(err.value)


def test_missing_field_is_named():
    data = schema1()
    del data["machine"]
    with pytest.raises(ResultsSchemaError, match="'machine' is missing"):
        validate_record(data, "toy.json")


HEADER = {"command": "python b.py", "machine": {"processor": "cpu"}, "date": "d"}


def test_per_seed_shape_flattens_nested_metrics_and_drops_text():
    data = {**HEADER, "benchmark": "b", "per_seed": {
        "3": {"m": {"acc": 1, "name": "x", "equal_time": {"fd": 2.5}, "curve": [1, 2]}}}}
    rec = adapt(data, "b.json")[""]
    assert rec.per_seed == {3: {"m": {"acc": 1.0, "equal_time.fd": 2.5}}}
    assert rec.seeds == [3] and rec.commit == "unknown" and rec.command == "python b.py"


def test_table_shape_aligns_lists_with_seeds():
    data = {**HEADER, "seeds": [4, 5], "table": {
        "m": {"acc": [0.1, 0.2], "fd": {"mean": 1, "values": [3.0, 4.0]}, "short": [1.0],
              "mean": 0.15}}}
    rec = adapt(data, "t.json")[""]
    assert rec.per_seed == {4: {"m": {"acc": 0.1, "fd": 3.0}}, 5: {"m": {"acc": 0.2, "fd": 4.0}}}


def test_runs_shape_one_section_per_dataset_and_preset():
    gat = {"test_acc_per_seed": [0.8, 0.9], "test_acc_mean": 0.85}
    data = {"benchmark": "g", "runs": [{**HEADER, "seeds": [0, 1], "preset": "paper",
                                        "results": {"cora": {"gat": gat}}}]}
    recs = adapt(data, "g.json")
    assert list(recs) == ["cora-paper"]
    assert recs["cora-paper"].values("gat", "test_acc") == {0: 0.8, 1: 0.9}


def test_single_run_shape_of_the_harness():
    data = {**HEADER, "benchmark": "gnn_baselines", "seeds": [2, 3], "preset": "quick",
            "results": {"cora": {"gcn": {"test_acc_per_seed": [0.7, 0.8]},
                                 "settings": {"lr": 0.01}}}}
    recs = adapt(data, "g.json")
    assert recs["cora-quick"].per_seed == {2: {"gcn": {"test_acc": 0.7}},
                                           3: {"gcn": {"test_acc": 0.8}}}


def test_rows_shape_keys_method_and_init():
    data = {**HEADER, "rows": [{"seed": 0, "method": "a", "init": "scratch", "acc": 1.0},
                               {"seed": 1, "method": "a", "acc": 2.0}]}
    rec = adapt(data, "r.json")[""]
    assert rec.per_seed == {0: {"a@scratch": {"acc": 1.0}}, 1: {"a": {"acc": 2.0}}}


def test_timings_shape_one_seed_per_section():
    data = {**HEADER, "seeds": [0], "results": {
        "loss": {"ms_per_iter_median": {"one": 2.0, "two": 3.0}, "speedup": 1.5}}}
    rec = adapt(data, "s.json")["loss"]
    assert rec.per_seed == {0: {"one": {"ms_per_iter_median": 2.0},
                                "two": {"ms_per_iter_median": 3.0}}}


def test_sections_shape_merges_invocations_by_seed_and_notes_repeats():
    inv1 = {**HEADER, "command": "c1", "per_seed": {"0": {"a": {"f": 1.0}, "r": {"f": 0.1}}}}
    inv2 = {**HEADER, "command": "c2", "per_seed": {"0": {"b": {"f": 2.0}, "r": {"f": 0.2}}}}
    rec = adapt({"syn": [inv1, inv2]}, "x.json")["syn"]
    assert rec.per_seed == {0: {"a": {"f": 1.0}, "r": {"f": 0.1}, "b": {"f": 2.0}}}
    assert rec.command == "c1 ; c2"
    assert rec.notes == ["seed 0 r: measured twice, the first kept"]


def test_values_shape_one_section_per_key_and_sub():
    data = {**HEADER, "seeds": [0, 1], "load": "x", "synthetic": {
        "40": {"counting": {"mota": {"mean": 0.5, "values": [0.4, 0.6]}, "ok": True},
               "peaks": {"mota": {"values": [0.3, 0.5]}, "short": {"values": [1.0]}}}}}
    rec = adapt(data, "t.json")["synthetic-40"]
    assert rec.per_seed == {0: {"counting": {"mota": 0.4}, "peaks": {"mota": 0.3}},
                            1: {"counting": {"mota": 0.6}, "peaks": {"mota": 0.5}}}


def test_nested_shape_one_section_per_inner_name():
    data = {**HEADER, "layouts": {"fixed": {"settings": {"a": 1}, "seeds": [0],
                                            "per_seed": {"0": {"m": {"f1": 0.8, "x": "y"}}}},
                                  "note": "text"}}
    recs = adapt(data, "u.json")
    assert list(recs) == ["fixed"]
    assert recs["fixed"].per_seed == {0: {"m": {"f1": 0.8}}}
    assert recs["fixed"].settings == {"a": 1} and recs["fixed"].command == "python b.py"


def test_pending_claims_resolve_once_their_file_exists(tmp_path):
    from tenfold.claims.ledger import build_ledger
    from tenfold.claims.papers import PENDING, claims_of

    for method in PENDING:
        rows = build_ledger(list(claims_of(method)), tmp_path)  # no files: not run, says which
        assert all(r.verdict == "not run" and ".json" in r.reason for r in rows)


def test_unknown_shape_is_one_error():
    with pytest.raises(UnadaptableFile, match="odd.json"):
        adapt({"whatever": 1}, "odd.json")
    with pytest.raises(UnadaptableFile):
        adapt([1, 2], "list.json")


def test_read_results_errors(tmp_path):
    with pytest.raises(ResultsSchemaError, match="not found"):
        read_results(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ResultsSchemaError, match="cannot be read as JSON"):
        read_results(tmp_path / "bad.json")


def test_load_source_globs_sections_and_merge(tmp_path):
    for seed, value in ((0, 0.5), (1, 0.7)):
        data = schema1(seeds=[seed], per_seed={str(seed): {"a": {"acc": value}}})
        (tmp_path / f"run_s{seed}.json").write_text(json.dumps(data))
    recs = load_source(tmp_path, "run_s*.json")
    merged = merge_records(recs)
    assert merged.values("a", "acc") == {0: 0.5, 1: 0.7}
    assert merged.source == "run_s0.json, run_s1.json"
    assert load_source(tmp_path, "absent_*.json") == []
    with pytest.raises(ResultsSchemaError, match="no section 'x'"):
        load_source(tmp_path, "run_s0.json#x")


def test_merge_keeps_the_first_of_a_repeated_seed():
    a = validate_record(schema1(), "a.json")
    b = validate_record(schema1(per_seed={"0": {"a": {"acc": 9.0}}}), "b.json")
    merged = merge_records([a, b])
    assert merged.values("a", "acc") == {0: 0.5, 1: 0.7}
    assert any("b.json dropped" in n for n in merged.notes)


def test_rows_without_a_method_column_name_the_arm_by_their_text_fields():
    data = {**HEADER, "rows": [{"seed": 0, "cam_model": "none", "cam_bn_mode": "eval",
                                "ratio": 0.5, "acc": 68.0}]}
    rec = adapt(data, "f.json")[""]
    assert rec.per_seed == {0: {"none/eval": {"ratio": 0.5, "acc": 68.0}}}


def test_table_shape_reads_dfads_time_ratios():
    data = {**HEADER, "seeds": [0], "table": {"one": {"acc": [0.9]}},
            "time_to_accuracy": {"one": {"0": {"0.90": {"ratio": 0.8},
                                               "0.97": {"ratio": None}}}},
            "one_stage_time_to_two_stage_final_acc_ratio": {"one": [0.35]}}
    rec = adapt(data, "d.json")[""]
    assert rec.per_seed == {0: {"one": {"acc": 0.9, "time_to_0.90.ratio": 0.8,
                                        "time_to_two_stage_final.ratio": 0.35}}}


def test_values_shape_reads_flat_per_seed_sections_and_single_runs_with_their_command():
    data = {**HEADER, "seeds": [0, 1],
            "synthetic": {"40": {"c": {"mota": {"values": [0.8, 0.9]}}}},
            "tud": {"frames": 179, "c": {"mota": {"mean": 0.5, "values": [0.4, 0.6]}}},
            "pets": {"frames": 795, "c": {"mota": 0.81, "name": "x"}, "p": {"mota": 0.77}},
            "sections": {"pets": {"command": "python b.py --sections pets", "seeds": [0]}}}
    recs = adapt(data, "t.json")
    assert sorted(recs) == ["pets", "synthetic-40", "tud"]
    assert recs["tud"].values("c", "mota") == {0: 0.4, 1: 0.6}
    assert recs["pets"].per_seed == {0: {"c": {"mota": 0.81}, "p": {"mota": 0.77}}}
    assert recs["pets"].command == "python b.py --sections pets"
    assert recs["tud"].command == "python b.py"
    assert "one deterministic run" in recs["pets"].notes[0]


def test_dataset_runs_shape_one_section_per_dataset():
    data = {"runs": [{**HEADER, "datasets": {"photo": {"summary": {}, "seeds": {
        "0": {"time_ratio": {"spagan": 1.4}, "paths_s_median": 19.0, "all": [1, 2]},
        "1": {"time_ratio": {"spagan": 1.3}, "paths_s_median": 13.0}}}}}]}
    rec = adapt(data, "c.json")["photo"]
    assert rec.values("spagan", "time_ratio") == {0: 1.4, 1: 1.3}
    assert rec.values("run", "paths_s_median") == {0: 19.0, 1: 13.0}
