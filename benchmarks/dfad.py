"""One-stage vs two-stage data-free adversarial distillation on MNIST (LeNet-5 → LeNet-5-half).

Runs the ``dfad`` recipe (arms interleaved iteration by iteration in one process) and extracts
the student's test accuracy, the accuracy-vs-wall-time curves, and the wall time one-stage needs
to reach two-stage's final accuracy (as a fraction of two-stage's total time).

    python benchmarks/dfad.py                                  # CPU, 1 thread, reduced scale
    python benchmarks/dfad.py --tiny                           # seconds, digits
    python benchmarks/dfad.py --device cuda --paper            # DFAD's protocol on one GPU
    python benchmarks/dfad.py --from-run runs/dfad-...         # results of a kept (partial) run

Writes benchmarks/results/dfad.json (or --out).
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from harness import parse, record, write_result
from harness import parser as make_parser
from tenfold.runtime.launch import start_run

THRESHOLDS = (0.90, 0.95, 0.97)


def time_to_reach(curve: list[tuple[float, float]], target: float) -> float | None:
    """First wall time at which the accuracy curve reaches ``target``."""
    return next((t for t, acc in curve if acc >= target), None)


def extract(run: Path, seeds: list[int]) -> dict:
    """Tables, curves and time ratios from a run directory, finished or stopped early (only
    ``config.json`` and ``metrics.jsonl``, which the recipe appends at every evaluation)."""
    config = json.loads((run / "config.json").read_text())
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    teacher = {str(r["seed"]): r["test_acc"] for r in records if r["method"] == "teacher"}
    curves: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    ms: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        if "train_s" in r:
            curves[str(r["seed"])][r["method"]].append((r["train_s"], r["test_acc"], r["step"]))
            ms[r["method"]][str(r["seed"])] = r["ms_per_iter_median"]
    ratios: dict[str, list[float | None]] = defaultdict(list)
    at_threshold: dict[str, dict[str, dict]] = defaultdict(dict)
    for seed in map(str, seeds):
        for method, one in curves[seed].items():
            two = curves[seed].get(method.replace("one-stage", "two-stage"))
            if not method.startswith("one-stage-") or not two:
                continue
            # the measure: one-stage's time to two-stage's final accuracy / two-stage's
            # total time (both arms stopped after the same number of iterations)
            reached = time_to_reach([(t, a) for t, a, _ in one], two[-1][1])
            ratios[method].append(None if reached is None else reached / two[-1][0])
            # less sensitive to where the run stops: time to fixed accuracies, one / two
            rows = {}
            for thr in THRESHOLDS:
                t1 = time_to_reach([(t, a) for t, a, _ in one], thr)
                t2 = time_to_reach([(t, a) for t, a, _ in two], thr)
                rows[f"{thr:.2f}"] = {"one_stage_s": t1, "two_stage_s": t2,
                                      "ratio": None if None in (t1, t2) else t1 / t2}
            at_threshold[method][seed] = rows
    table = {}
    for m in sorted({m for c in curves.values() for m in c}):
        finals = [curves[s][m][-1][1] for s in map(str, seeds) if m in curves[s]]
        accs = [[a for _, a, _ in curves[s][m]] for s in map(str, seeds) if m in curves[s]]
        table[m] = {"test_acc_final": finals,
                    "test_acc_best": [max(a) for a in accs],
                    # the plateau, less noisy than the last evaluation alone
                    "test_acc_mean_second_half": [float(np.mean(a[len(a) // 2:])) for a in accs],
                    "iters": [curves[s][m][-1][2] for s in map(str, seeds) if m in curves[s]],
                    "test_acc_mean": float(np.mean(finals)),
                    "test_acc_std": float(np.std(finals, ddof=1)) if len(finals) > 1 else 0.0,
                    "ms_per_iter_median": [ms[m].get(s) for s in map(str, seeds)]}
    return {"recipe_settings": config["settings"], "dataset": config["dataset"],
            "teacher_test_acc": teacher, "table": table,
            "one_stage_time_to_two_stage_final_acc_ratio": dict(ratios),
            "time_to_accuracy": dict(at_threshold),
            "curves": {s: dict(c) for s, c in curves.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = make_parser("dfad", __doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--paper", action="store_true",
                        help="DFAD's MNIST protocol (2000 generator iterations, batch 512, "
                             "generator width 128); meant for a GPU")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--set", nargs="*", default=[], help="extra recipe overrides key=value")
    parser.add_argument("--run-dir", default="",
                        help="keep the recipe's run directory under this folder (default: a "
                             "temporary one)")
    parser.add_argument("--from-run", default="",
                        help="only extract the results of this run directory (finished or "
                             "stopped early)")
    args = parse(parser, argv)
    args.out = str(args.out)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.tiny:
        preset, dataset, overrides = "smoke", "digits", []
        seeds = [0]
        if args.out.endswith("results/dfad.json"):
            args.out = "/tmp/dfad_tiny.json"
    elif args.paper:
        preset, dataset, overrides = "paper", "mnist", []
    else:  # CPU scale: a narrower generator, smaller batches, fewer iterations
        preset, dataset = "quick", "mnist"
        overrides = ["iters=600", "batch_size=128", "gen_ch=32", "teacher_epochs=5",
                     "eval_every=25", "student_steps=5", "noise_floor=false"]
    overrides += list(args.set)
    if args.from_run:
        results = extract(Path(args.from_run), seeds)
        if Path(args.out).exists():  # keep the command that made the run
            previous = json.loads(Path(args.out).read_text())
            results["run_command"] = previous.get("run_command", previous["command"])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = start_run("dfad", preset=preset, dataset=dataset, seeds=seeds,
                             overrides=overrides, out=args.run_dir or tmp, device=args.device)
            results = extract(path, seeds)
    out = record("dfad", args, seeds=seeds, **results)
    write_result(args.out, out)
    print(json.dumps({k: out[k] for k in ("teacher_test_acc", "table", "time_to_accuracy",
                                          "one_stage_time_to_two_stage_final_acc_ratio")},
                     indent=2))


if __name__ == "__main__":
    main()
