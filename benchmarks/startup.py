"""Start-up time of the command line: ``--help``, ``list`` and argument errors.

Each command runs as a fresh ``python -m tenfold ...`` process, all commands interleaved round
by round (so every command sees the same machine load), ``--repeats`` rounds after one warm-up
round; reported: median and min seconds per command, with ``python -c "import torch"`` and a bare
``python -c pass`` as reference points. The issue's target: ``--help``, ``list`` and argument
errors within 1.5 s on the 2-core machine.

    python benchmarks/startup.py --repeats 5
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

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
}


def main(argv: list[str] | None = None) -> dict:
    p = parser("startup", __doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = parse(p, argv)
    env = dict(os.environ, OMP_NUM_THREADS="1")

    def runner(cmd: list[str]):
        def call() -> None:
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return call

    times = interleaved_times({name: runner(cmd) for name, cmd in COMMANDS.items()},
                              repeats=args.repeats, warmup=1)
    rows = {name: {"median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3),
                   "runs": [round(x, 3) for x in t]} for name, t in times.items()}
    load = os.getloadavg()
    result = record("startup", args, target_s=1.5, load_average=[round(x, 2) for x in load],
                    commands=rows)
    write_result(args.out, result)
    for name, row in rows.items():
        print(f"{name:45s} median {row['median_s']:6.2f} s   min {row['min_s']:6.2f} s")
    return result


if __name__ == "__main__":
    main()
