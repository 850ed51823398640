"""What impression space costs on this machine: ``decode`` of 64 digits at 1,000 steps, and the
``impression`` recipe's ``quick`` preset as a user runs it (issue 19's timing targets).

Per round (``--rounds``, default 3; the result keeps every round and the medians):

* ``decode``: :func:`tenfold.impression.decode` of ``--images`` digits (16 px) from noise for
  ``--steps`` Adam steps on the digits benchmark's template architecture
  (``SmallResNet(16, 32, 64)``, 9 BN layers; BN statistics set by one pass over 2,000 training
  digits — the cost does not depend on the weights), in this process on ``--threads`` torch
  threads (default 1); wall seconds (``time.perf_counter``) and CPU seconds of the process
  (``time.process_time``), and ms per step;
* ``quick-preset``: ``tenfold run impression --preset quick`` in a child process with default
  threads and an **empty** artefact cache (``TENFOLD_CACHE`` at a fresh folder, so templates and
  verifiers are trained as on a first run); wall seconds and the child's CPU seconds (user +
  system from ``resource.getrusage(RUSAGE_CHILDREN)``); ``--quick-threads N`` passes
  ``--threads N``.

The 1-minute load average before and after each round is recorded: the machine is shared, and
wall times scale with its load, CPU seconds much less. Writes
``benchmarks/results/impression_timing.json`` (schema 1; rounds as "seeds"):

    python benchmarks/impression_timing.py --rounds 3
    python benchmarks/impression_timing.py --tiny     # checks the script only (seconds)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
from impression import decode_timing

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (16, 32, 64)           # the digits benchmark's template (PINNED in impression.py)
SIZE = 16


def decode_round(images: int, steps: int) -> dict[str, float]:
    """Seconds (wall and CPU) of one ``decode`` of ``images`` digits at ``steps`` steps."""
    row = decode_timing("digits", WIDTHS, SIZE, images, steps)
    return {"wall_s": row["seconds"], "cpu_s": row["cpu_seconds"],
            "ms_per_step": row["ms_per_step"]}


def quick_round(preset: str, threads: int | None = None) -> dict[str, float]:
    """Seconds of ``tenfold run impression --preset <preset> [--threads N]`` in a child
    process, cold cache (``threads=None``: torch's own choice, as a user runs it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TENFOLD_CACHE": str(Path(tmp) / "cache")}
        env.pop("OMP_NUM_THREADS", None)            # torch's own choice unless --threads
        extra = [] if threads is None else ["--threads", str(threads)]
        wall = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tenfold", "run", "impression", "--preset", preset,
                        "--out", str(Path(tmp) / "runs"), *extra], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu}


def medians(per_round: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """``{method: {metric: median over rounds}}`` of ``{round: {method: {metric: value}}}``."""
    rounds = list(per_round.values())
    if not rounds:
        raise ValueError("medians: expected at least one round")
    return {m: {k: statistics.median(r[m][k] for r in rounds) for k in metrics}
            for m, metrics in rounds[0].items()}


def main() -> None:
    parser = harness.parser("impression_timing", __doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--quick-threads", type=int, default=None,
                        help="--threads of the preset's run (default: torch's own choice)")
    parser.add_argument("--tiny", action="store_true",
                        help="1 round, 4 images x 5 steps, the smoke preset; a temporary file")
    args = harness.parse(parser)
    preset = "quick"
    if args.tiny:
        args.rounds, args.images, args.steps, preset = 1, 4, 5, "smoke"
        args.out = Path(tempfile.mkdtemp()) / "impression_timing.json"
    if args.rounds < 1 or args.images < 1 or args.steps < 1:
        parser.error("--rounds, --images and --steps must be >= 1")
    per_round: dict[str, dict[str, dict[str, float]]] = {}
    loads: dict[str, dict[str, list[float]]] = {}
    for r in range(args.rounds):
        load = {"decode": [os.getloadavg()[0]]}
        row = {"decode": decode_round(args.images, args.steps)}
        load["decode"].append(os.getloadavg()[0])
        load["quick-preset"] = [os.getloadavg()[0]]
        row["quick-preset"] = quick_round(preset, args.quick_threads)
        load["quick-preset"].append(os.getloadavg()[0])
        per_round[str(r)], loads[str(r)] = row, load
        out = harness.result("impression_timing", args, per_seed=per_round,
                             seeds=list(range(args.rounds)),
                             settings={"preset": preset, "decode_template":
                                       f"SmallResNet{WIDTHS}, {SIZE}x{SIZE} px, digits",
                                       "cpu_count": os.cpu_count()},
                             median=medians(per_round), load_1min=loads)
        harness.write_result(args.out, out)
        print(f"round {r}:", {m: {k: round(v, 2) for k, v in d.items()} for m, d in row.items()},
              "load", load, flush=True)
    print("median:", medians(per_round))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
