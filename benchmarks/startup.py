"""Start-up time of the command line: ``--help``, ``list`` and argument errors.

Each command runs as a fresh ``python -m tenfold ...`` process, all commands interleaved round
by round (so every command sees the same machine load), ``--repeats`` rounds after one warm-up
round; reported: median and min seconds per command, with ``python -c "import torch"`` and a bare
``python -c pass`` as reference points. The issue's target: ``--help``, ``list`` and argument
errors within 1.5 s on the 2-core machine.

``--before COMMIT`` also times the same commands on the ``src/`` of an earlier commit
(``git archive`` into a temporary folder, put first on ``PYTHONPATH``), interleaved with the
current tree's, so that both see the same load.

    python benchmarks/startup.py --repeats 5 --before 19f06d8
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from harness import interleaved_times, parse, parser, record, write_result

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "tenfold --help": [sys.executable, "-m", "tenfold", "--help"],
    "tenfold list": [sys.executable, "-m", "tenfold", "list"],
    "tenfold run no-such-recipe (error)": [sys.executable, "-m", "tenfold", "run",
                                            "no-such-recipe"],
    "tenfold run snapmix --preset nope (error)": [sys.executable, "-m", "tenfold", "run",
                                                   "snapmix", "--preset", "nope"],
    "tenfold run snapmix --threads 0 (error)": [sys.executable, "-m", "tenfold", "run",
                                                 "snapmix", "--threads", "0"],
    "tenfold run twp --set epochs=-1 (error)": [sys.executable, "-m", "tenfold", "run", "twp",
                                                 "--set", "epochs=-1"],
    "tenfold run gnn-baselines --set lr=-1 (error)": [sys.executable, "-m", "tenfold", "run",
                                                       "gnn-baselines", "--set", "lr=-1"],
    "tenfold settings twp": [sys.executable, "-m", "tenfold", "settings", "twp"],
}
ROOT = Path(__file__).resolve().parent.parent


def checkout_src(commit: str, folder: Path) -> Path:
    """``src/`` of ``commit`` extracted under ``folder`` (``git archive``)."""
    archive = folder / "src.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "archive", commit, "src"], cwd=ROOT, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main(argv: list[str] | None = None) -> dict:
    p = parser("startup", __doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--before", metavar="COMMIT",
                   help="also time the tenfold commands of this earlier commit, interleaved")
    args = parse(p, argv)
    env = dict(os.environ, OMP_NUM_THREADS="1")

    def runner(cmd: list[str], environ: dict[str, str]):
        def call() -> None:
            subprocess.run(cmd, env=environ, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return call

    with tempfile.TemporaryDirectory() as tmp:
        calls = {name: runner(cmd, env) for name, cmd in COMMANDS.items()}
        before_rev = None
        if args.before:
            before_rev = subprocess.run(["git", "rev-parse", args.before], cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout.strip()
            old_env = dict(env, PYTHONPATH=str(checkout_src(args.before, Path(tmp))))
            calls.update({f"before: {name}": runner(cmd, old_env)
                          for name, cmd in COMMANDS.items() if "tenfold" in name})
        times = interleaved_times(calls, repeats=args.repeats, warmup=1)
    rows = {name: {"median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3),
                   "runs": [round(x, 3) for x in t]} for name, t in times.items()}
    load = os.getloadavg()
    result = record("startup", args, target_s=1.5, load_average=[round(x, 2) for x in load],
                    before_commit=before_rev, commands=rows)
    write_result(args.out, result)
    for name, row in rows.items():
        print(f"{name:55s} median {row['median_s']:6.2f} s   min {row['min_s']:6.2f} s")
    return result


if __name__ == "__main__":
    main()
