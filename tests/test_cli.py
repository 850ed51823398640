"""The command line: bad input is refused with one message, exit code 2, and nothing written."""

import os
import subprocess
import sys

import pytest

from tenfold.cli import main


def invoke(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tenfold", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


@pytest.mark.parametrize("args, message", [
    (["run", "no-such-recipe"], "unknown recipe 'no-such-recipe'"),
    (["run", "gnn-baselines", "--dataset", "nosuchdata"], "does not run on dataset"),
    (["run", "gnn-baselines", "--seeds", "x-y"], "is not a seed list"),
    (["run", "gnn-baselines", "--set", "lr=abc"], "expected a value of type float"),
    (["run", "gnn-baselines", "--set", "nosuchkey=1"], "unknown setting"),
    (["run", "gnn-baselines", "--preset", "huge"], "has no preset 'huge'"),
    (["run", "gnn-baselines", "--set", "methods=mlp,transformer"], "expected one of mlp, gcn, gat"),
    (["run", "gnn-baselines", "--threads", "0"], "--threads must be a positive integer"),
])
def test_bad_input_is_refused_before_writing(monkeypatch, capsys, tmp_path, args, message):
    code, out, err = invoke(monkeypatch, capsys, *args, "--out", str(tmp_path / "runs"))
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_threads_option_sets_torch_threads(monkeypatch, capsys, tmp_path):
    import torch

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.setattr("tenfold.runtime.device._chosen_threads", None)
    code, out, _ = invoke(monkeypatch, capsys, "run", "gnn-baselines", "--preset", "smoke",
                          "--threads", "3", "--out", str(tmp_path / "runs"))
    assert code in (0, None) and "run directory" in out
    assert calls == [3]


def test_resume_of_a_non_run_directory(monkeypatch, capsys, tmp_path):
    (tmp_path / "junk").mkdir()
    code, _, err = invoke(monkeypatch, capsys, "run", "--resume", str(tmp_path / "junk"))
    assert code == 2 and "not a run directory" in err
    assert list((tmp_path / "junk").iterdir()) == []


def test_list_shows_recipes_and_mirror_datasets(monkeypatch, capsys, mirror):
    code, out, _ = invoke(monkeypatch, capsys, "list")
    assert code == 0
    assert "gnn-baselines" in out
    cora = next(line for line in out.splitlines() if line.strip().startswith("cora "))
    assert "mirror" in cora and str(mirror) in cora


def test_missing_data_is_one_clear_message(tmp_path):
    """No mirror, an empty cache, no network: exit code 2 and no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in {"TENFOLD_DATA", "TENFOLD_DATA_ROOT"}}
    env.update(TENFOLD_CACHE=str(tmp_path / "cache"), TENFOLD_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "tenfold", "run", "gnn-baselines", "--dataset", "cora",
         "--out", str(tmp_path / "runs")], env=env, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "dataset 'cora' not found" in lines[0]
    assert "TENFOLD_DATA" in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


START_UP = [
    (["--help"], 0, "tenfold list"),
    (["list"], 0, "gnn-baselines"),
    (["data", "list"], 0, "synthetic-sbm"),
    (["settings", "twp"], 0, "task_subgraphs"),
    (["run", "nosuch"], 2, "error: unknown recipe 'nosuch'"),
    (["run", "gnn-baselines", "--set", "lr=-1"], 2, "error: setting lr=-1.0: must be > 0"),
    (["run", "twp", "--set", "task_subgraphs=true"], 2, "needs inter_task_edges=false"),
    (["run", "twp", "--seeds", "0-999"], 2, "more than the limit of 100"),
]


def test_help_list_and_argument_errors_import_no_torch(tmp_path):
    """Start-up (issue 14): ``--help``, ``list``, ``settings`` and argument errors run without
    importing torch, torchvision or torch_geometric (an invariant; the time is measured by
    benchmarks/startup.py)."""
    code = (
        "import io, json, sys, contextlib\n"
        "from tenfold.cli import main\n"
        "args = json.loads(sys.argv[1])\n"
        "sys.argv = ['tenfold', *args]\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code\n"
        "heavy = sorted(m for m in ('torch', 'torchvision', 'torch_geometric') "
        "if m in sys.modules)\n"
        "print(json.dumps({'code': code, 'text': out.getvalue() + err.getvalue(), "
        "'heavy': heavy}))\n")
    import json

    for args, want_code, want_text in START_UP:
        proc = subprocess.run([sys.executable, "-c", code, json.dumps(
            [*args, *(["--out", str(tmp_path / "runs")] if args[0] == "run" else [])])],
            capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        found = json.loads(proc.stdout.splitlines()[-1])
        assert found["code"] in ((want_code,) if want_code else (0, None)), (args, found)
        assert want_text in found["text"], (args, found["text"][-500:])
        assert found["heavy"] == [], (args, found["heavy"])
    assert not (tmp_path / "runs").exists()
