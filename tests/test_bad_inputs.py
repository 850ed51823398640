"""The acceptance table of issue 15: every bad input gives exit code 2, exactly one ``error:``
line, no traceback, and leaves every folder it could touch (runs, cache, data root, run
directories) exactly as it was — compared as whole trees (paths, sizes and content hashes)
before and after. Most rows call the CLI in-process; a few run ``python -m tenfold``."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tenfold.cli import main

SMOKE = ["run", "gnn-baselines", "--preset", "smoke"]


def tree(root: Path) -> dict[str, str]:
    """Every path under ``root`` with its content hash (``dir`` for folders)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = "dir" if path.is_dir() else hashlib.sha1(path.read_bytes()).hexdigest()
    return out


# -- fixtures the rows refer to by name ----------------------------------------------------------
def _finished_run(base: Path) -> Path:
    """A tiny finished gnn-baselines run (made once per session, copied per row)."""
    cache = base.parent / "finished-run-template"
    if not cache.exists():
        from tenfold.runtime.launch import start_run

        path = start_run("gnn-baselines", preset="smoke",
                         overrides=["epochs=3", "methods=mlp"], out=cache / "runs",
                         device="cpu", keep_checkpoints=True)
        (cache / "path").write_text(str(path.relative_to(cache / "runs")))
    rel = (cache / "path").read_text()
    shutil.copytree(cache / "runs", base / "runs")
    return base / "runs" / rel


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


def _data_root(base: Path, mirror: Path, rel: str) -> Path:
    """A private copy of the mirror's dataset folder ``rel`` under ``base/dr``."""
    root = base / "dr"
    shutil.copytree(mirror / rel, root / rel, copy_function=shutil.copyfile)
    return root


def _truncate(path: Path, keep: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def setup(kind: str, base: Path, mirror: Path | None) -> dict[str, str]:
    """Build the situation of a row under ``base``; returns names for the args' ``{...}``."""
    names = {"base": str(base)}
    if kind in ("finished", "unfinished", "truncated-summary", "list-summary", "truncated-config",
                "wrong-type-config", "list-config", "unknown-recipe-config", "locked",
                "truncated-seed"):
        run = _finished_run(base)
        names["run"] = str(run)
        if kind == "unfinished":
            (run / "summary.json").unlink()
        elif kind == "truncated-summary":
            _truncate(run / "summary.json", 40)
        elif kind == "list-summary":
            (run / "summary.json").write_text("[1, 2]")
        elif kind == "truncated-config":
            _truncate(run / "config.json", 30)
        elif kind == "wrong-type-config":
            (run / "summary.json").unlink()
            _edit_json(run / "config.json",
                       lambda d: {**d, "settings": {**d["settings"], "epochs": "three"}})
        elif kind == "list-config":
            (run / "config.json").write_text("[]")
        elif kind == "unknown-recipe-config":
            (run / "summary.json").unlink()
            _edit_json(run / "config.json", lambda d: {**d, "recipe": "gone"})
        elif kind == "truncated-seed":
            _truncate(run / "seeds" / "seed-0.json", 20)
    elif kind == "file":
        (base / "a-file").write_text("x")
        names["file"] = str(base / "a-file")
    elif kind == "empty-dir":
        (base / "junk").mkdir()
    elif kind == "bad-state":
        (base / "runs").mkdir()
        (base / "runs" / "reproduce.json").write_text("{\"preset\": ")
    elif kind.startswith("corrupt-"):
        if mirror is None:
            pytest.skip("needs the data mirror")
        if kind == "corrupt-cora-x":
            root = _data_root(base, mirror, "graphs/Cora")
            _truncate(root / "graphs/Cora/raw/ind.cora.x", 1000)
            names["file"] = "ind.cora.x"
        elif kind == "corrupt-cora-graph":
            root = _data_root(base, mirror, "graphs/Cora")
            (root / "graphs/Cora/raw/ind.cora.graph").write_bytes(os.urandom(4096))
            names["file"] = "ind.cora.graph"
        elif kind == "corrupt-mnist":
            root = _data_root(base, mirror, "images/MNIST")
            _truncate(root / "images/MNIST/raw/t10k-labels-idx1-ubyte", 5000)
            names["file"] = "t10k-labels-idx1-ubyte"
        elif kind == "corrupt-mutag":
            root = _data_root(base, mirror, "graphs/MUTAG")
            (root / "graphs/MUTAG/raw/MUTAG_A.txt").write_text("1, 2\nthree, four\n")
            names["file"] = "MUTAG_A.txt"
        elif kind == "corrupt-flowers":
            root = _data_root(base, mirror, "images/flowers12")
            _truncate(root / "images/flowers12/train.tar", 3_000_000)
            names["file"] = "train.tar"
        names["root"] = str(root)
    return names


# (id, setup kind, argv with {name} fields, environment changes, text the error must contain)
ROWS = [
    # settings: one rule table, checked before anything is written
    ("lr-negative", None, [*SMOKE, "--set", "lr=-0.01"], {}, "lr=-0.01: must be > 0"),
    ("lr-nan", None, [*SMOKE, "--set", "lr=nan"], {}, "finite"),
    ("lr-inf", None, [*SMOKE, "--set", "lr=inf"], {}, "finite"),
    ("weight-decay-negative", None, [*SMOKE, "--set", "weight_decay=-1"], {}, "≥ 0"),
    ("gat-heads-zero", None, [*SMOKE, "--set", "gat_heads=0"], {}, "gat_heads=0: must be ≥ 1"),
    ("hidden-zero", None, [*SMOKE, "--set", "hidden=0"], {}, "hidden=0: must be ≥ 1"),
    ("dropout-one", None, [*SMOKE, "--set", "dropout=1"], {}, "in [0, 1)"),
    ("methods-repeated", None, [*SMOKE, "--set", "methods=gcn,gcn"], {}, "repeats gcn"),
    ("methods-empty", None, [*SMOKE, "--set", "methods="], {}, "must not be empty"),
    ("methods-unknown", None, [*SMOKE, "--set", "methods=mlp,transformer"], {}, "methods"),
    ("epochs-zero", None, [*SMOKE, "--set", "epochs=0"], {}, "epochs=0: must be ≥ 1"),
    ("epochs-fraction", None, [*SMOKE, "--set", "epochs=1.5"], {}, "type int"),
    ("lr-text", None, [*SMOKE, "--set", "lr=abc"], {}, "type float"),
    ("unknown-setting", None, [*SMOKE, "--set", "nosuchkey=1"], {}, "unknown setting"),
    ("set-without-value", None, [*SMOKE, "--set", "novalue"], {}, "key=value"),
    ("patience-negative", None, [*SMOKE, "--set", "patience=-1"], {}, "≥ 0"),
    ("checkpoint-every-negative", None, [*SMOKE, "--set", "checkpoint_every=-5"], {}, "≥ 0"),
    ("dataset-empty", None, [*SMOKE, "--set", "dataset="], {}, "dataset"),
    ("factorgcn-batch-zero", None, ["run", "factorgcn", "--preset", "smoke", "--set",
                                    "batch_size=0"], {}, "batch_size=0: must be ≥ 1"),
    ("netgraft-teacher-batch-zero", None, ["run", "netgraft", "--preset", "smoke", "--set",
                                           "teacher_batch_size=0"], {}, "must be ≥ 1"),
    ("snapmix-mix-prob", None, ["run", "snapmix", "--preset", "smoke", "--set",
                                "mix_prob=1.5"], {}, "mix_prob=1.5"),
    ("snapmix-schedule-choice", None, ["run", "snapmix", "--preset", "smoke", "--set",
                                       "schedule=linear"], {}, "expected one of"),
    ("twp-backbone-choice", None, ["run", "twp", "--preset", "smoke", "--set", "backbone=gin"],
     {}, "expected one of"),
    ("osgan-beta1", None, ["run", "osgan", "--preset", "smoke", "--set", "beta1=1.0"], {},
     "beta1=1.0: must be in [0, 1)"),
    ("osgan-lr-one-stage", None, ["run", "osgan", "--preset", "smoke", "--set",
                                  "lr_d_one_stage=-1"], {}, "lr_d_one_stage"),
    ("dfad-student-steps", None, ["run", "dfad", "--preset", "smoke", "--set",
                                  "student_steps=0"], {}, "student_steps"),
    ("spagan-hops", None, ["run", "spagan", "--preset", "smoke", "--set", "max_hops=0"], {},
     "max_hops"),
    ("twp-split", None, ["run", "twp", "--preset", "smoke", "--set", "split=40"], {}, "split"),
    ("settings-help-without-recipe", None, ["run", "--set", "help=1"], {}, "name a recipe"),
    # seeds
    ("seeds-ten-million", None, [*SMOKE, "--seeds", "0-9999999"], {}, "--max-seeds"),
    ("seeds-huge", None, [*SMOKE, "--seeds", "0-99999999999"], {}, "0..4294967295"),
    ("seeds-text", None, [*SMOKE, "--seeds", "x-y"], {}, "not a seed list"),
    ("seeds-reversed", None, [*SMOKE, "--seeds", "4-1"], {}, "not a seed list"),
    ("seeds-repeated", None, [*SMOKE, "--seeds", "1,1"], {}, "distinct"),
    ("seeds-empty", None, [*SMOKE, "--seeds", ""], {}, "not a seed list"),
    ("seeds-negative", None, [*SMOKE, "--seeds", "-1"], {}, "not a seed list"),
    ("max-seeds-zero", None, [*SMOKE, "--max-seeds", "0", "--seeds", "0"], {}, "--max-seeds"),
    # options
    ("preset-unknown", None, ["run", "gnn-baselines", "--preset", "huge"], {}, "no preset"),
    ("dataset-unknown", None, [*SMOKE, "--dataset", "nosuchdata"], {}, "does not run on"),
    ("recipe-unknown", None, ["run", "no-such-recipe"], {}, "unknown recipe"),
    ("threads-zero", None, [*SMOKE, "--threads", "0"], {}, "--threads must be"),
    ("threads-text", None, [*SMOKE, "--threads", "abc"], {}, "--threads"),
    ("device-unknown", None, [*SMOKE, "--device", "tpu"], {}, "--device 'tpu'"),
    ("option-unknown", None, [*SMOKE, "--nosuch"], {}, "--nosuch"),
    ("run-nothing", None, ["run"], {}, "name a recipe"),
    ("out-is-a-file", "file", [*SMOKE, "--out", "{file}"], {}, "is a file"),
    # dfad's teacher file: a bad pattern, a missing folder, a file that is not a teacher
    ("dfad-teacher-pattern", None, ["run", "dfad", "--preset", "smoke", "--set",
                                    "teacher_checkpoint={base}/t{{nope}}.pt"], {}, "'{{seed}}'"),
    ("dfad-teacher-no-folder", None, ["run", "dfad", "--preset", "smoke", "--set",
                                      "teacher_checkpoint={base}/no/t.pt"], {}, "existing folder"),
    ("dfad-teacher-corrupt", "file", ["run", "dfad", "--preset", "smoke", "--set",
                                      "teacher_checkpoint={file}"], {}, "delete it"),
    ("impression-no-pairs", None, ["run", "impression", "--preset", "smoke", "--set",
                                   "translate_pairs="], {}, "must not be empty"),
    ("impression-no-ablation", None, ["run", "impression", "--preset", "smoke", "--set",
                                      "ablation_layers="], {}, "must not be empty"),
    # a place nobody may create folders in, even root (sysfs): EPERM/EACCES, not a traceback
    ("out-not-writable", None, [*SMOKE, "--out", "/sys/tenfold-out"], {},
     "cannot create a run folder"),
    ("data-root-missing", None, [*SMOKE, "--data-root", "{base}/nowhere"], {}, "does not exist"),
    ("data-root-is-a-file", "file", [*SMOKE, "--data-root", "{file}"], {}, "not a folder"),
    ("cache-is-a-file", "file", SMOKE, {"TENFOLD_CACHE": "{file}"}, "TENFOLD_CACHE"),
    ("cache-under-a-file", "file", SMOKE, {"TENFOLD_CACHE": "{file}/cache"}, "is a file"),
    # resume
    ("resume-missing", None, ["run", "--resume", "{base}/nowhere"], {}, "not a run directory"),
    ("resume-not-a-run", "empty-dir", ["run", "--resume", "{base}/junk"], {},
     "not a run directory"),
    ("resume-with-preset", "unfinished", ["run", "--resume", "{run}", "--preset", "smoke"], {},
     "does not take --preset"),
    ("resume-with-seeds", "unfinished", ["run", "--resume", "{run}", "--seeds", "0"], {},
     "does not take --seeds"),
    ("resume-with-set", "unfinished", ["run", "--resume", "{run}", "--set", "lr=1"], {},
     "does not take --set"),
    ("resume-with-dataset", "unfinished", ["run", "--resume", "{run}", "--dataset", "cora"], {},
     "does not take --dataset"),
    ("resume-other-recipe", "unfinished", ["run", "spagan", "--resume", "{run}"], {},
     "is a 'gnn-baselines' run"),
    ("resume-truncated-config", "truncated-config", ["run", "--resume", "{run}"], {},
     "config.json is damaged"),
    ("resume-wrong-type-config", "wrong-type-config", ["run", "--resume", "{run}"], {},
     "epochs=three: expected int"),
    ("resume-list-config", "list-config", ["run", "--resume", "{run}"], {},
     "config.json was not written by"),
    ("resume-unknown-recipe", "unknown-recipe-config", ["run", "--resume", "{run}"], {},
     "unknown recipe 'gone'"),
    ("resume-locked", "locked", ["run", "--resume", "{run}"], {}, "is being run by"),
    # report
    ("report-unfinished", "unfinished", ["report", "{run}", "--out", "{base}/r.md"], {},
     "not finished"),
    ("report-out-is-a-folder", "finished", ["report", "{run}", "--out", "{base}"], {},
     "is a folder"),
    ("report-out-empty", "finished", ["report", "{run}", "--out", ""], {}, "is a folder"),
    ("report-out-no-folder", "finished", ["report", "{run}", "--out", "{base}/no/r.md"], {},
     "does not exist"),
    ("report-truncated-summary", "truncated-summary", ["report", "{run}", "--out",
                                                       "{base}/r.md"], {},
     "summary.json is damaged"),
    ("report-list-summary", "list-summary", ["report", "{run}", "--out", "{base}/r.md"], {},
     "not a run summary"),
    ("report-truncated-seed-on-resume", "truncated-seed", ["report", "{base}/runs", "--out",
                                                           "{base}/r.md"], {},
     "not a run directory"),
    ("report-missing", None, ["report", "{base}/nowhere", "--out", "{base}/r.md"], {},
     "not a run directory"),
    # data
    ("prepare-unknown", None, ["data", "prepare", "nosuchdata"], {}, "unknown dataset"),
    ("cora-without-mirror", None, [*SMOKE, "--dataset", "cora"], {"TENFOLD_DATA": None},
     "$TENFOLD_DATA (not set)"),
    ("cifar-without-mirror", None, ["data", "prepare", "cifar10"], {"TENFOLD_DATA": None},
     "not found"),
    ("corrupt-cora-x-run", "corrupt-cora-x", [*SMOKE, "--dataset", "cora", "--data-root",
                                              "{root}"], {}, "{file} is damaged"),
    ("corrupt-cora-x-prepare", "corrupt-cora-x", ["data", "prepare", "cora", "--data-root",
                                                  "{root}"], {}, "{file} is damaged"),
    ("corrupt-cora-graph", "corrupt-cora-graph", ["data", "prepare", "cora", "--data-root",
                                                  "{root}"], {}, "{file} is damaged"),
    ("corrupt-mnist", "corrupt-mnist", ["data", "prepare", "mnist", "--data-root", "{root}"],
     {}, "{file} is damaged"),
    ("corrupt-mutag", "corrupt-mutag", ["data", "prepare", "mutag", "--data-root", "{root}"],
     {}, "{file} is damaged"),
    ("corrupt-flowers", "corrupt-flowers", ["data", "prepare", "flowers12", "--data-root",
                                            "{root}"], {}, "{file} is damaged"),
    # reproduce and settings
    ("reproduce-preset-unknown", None, ["reproduce", "--preset", "huge"], {}, "no preset"),
    ("reproduce-only-unknown", None, ["reproduce", "--only", "nosuch"], {}, "unknown recipe"),
    ("reproduce-only-empty", None, ["reproduce", "--only", ","], {}, "--only"),
    ("reproduce-only-twice", None, ["reproduce", "--only", "twp,twp"], {}, "named twice"),
    ("reproduce-resume-nothing", None, ["reproduce", "--resume"], {}, "no reproduction"),
    ("reproduce-resume-preset", None, ["reproduce", "--resume", "--preset", "smoke"], {},
     "drop --preset"),
    ("reproduce-resume-damaged", "bad-state", ["reproduce", "--resume"], {},
     "reproduce.json is damaged"),
    ("reproduce-out-file", "file", ["reproduce", "--preset", "smoke", "--only", "gnn-baselines",
                                    "--out", "{file}"], {}, "is a file"),
    ("settings-unknown", None, ["settings", "nosuch"], {}, "unknown recipe"),
]


def test_the_table_is_large_and_unique():
    assert len(ROWS) >= 60
    assert len({r[0] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(row, tmp_path, monkeypatch, capsys):
    _, kind, argv, env, message = row
    mirror = Path(os.environ["TENFOLD_DATA"]) if os.environ.get("TENFOLD_DATA") else None
    base = tmp_path / "w"
    base.mkdir()
    (base / "cache").mkdir()
    monkeypatch.setenv("TENFOLD_CACHE", str(base / "cache"))
    monkeypatch.delenv("TENFOLD_DATA_ROOT", raising=False)
    names = setup(kind, base, mirror) if kind else {"base": str(base)}
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value.format(**names))
    monkeypatch.chdir(base)  # the default --out (runs/) lands here too
    lock = None
    if kind == "locked":
        lock = os.open(Path(names["run"]) / "run.lock", os.O_RDWR | os.O_CREAT)
        os.write(lock, b"pid 1 on elsewhere\n")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    before = tree(base)
    monkeypatch.setattr(sys, "argv", ["tenfold", *[a.format(**names) for a in argv]])
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        if lock is not None:
            os.close(lock)
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert message.format(**names) in errors[0], errors[0]
    assert "Traceback" not in err
    assert tree(base) == before
    assert os.environ.get("TENFOLD_DATA_ROOT") is None


@pytest.mark.parametrize("argv", [[*SMOKE, "--set", "lr=nan"]])
def test_real_exit_code_in_a_subprocess(argv, tmp_path):
    env = dict(os.environ, TENFOLD_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "tenfold", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")] \
        and proc.stderr.count("error:") == 1
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
