"""The fuzzy loss's trivial minimiser, measured: how the shared part classifier's mean
P(empty | part) and P(own category | part) evolve under the official fuzzy loss and the marginal
variant, and what the auto-encoder's reconstruction does meanwhile.

Runs the ``udor`` recipe with the settings pinned in :data:`PINNED` (the digits canvas; the
``quick`` preset's values until commit cc2e108) and the given methods (default: the two fuzzy
forms without GAN, and the version without the fuzzy term) and writes
``benchmarks/results/udor_fuzzy_trace.json`` with the per-step curves (``p_empty``, ``p_own``,
``cls``, ``rec``) from ``metrics.jsonl`` and the final scores.

    python benchmarks/udor_fuzzy_trace.py --seed 0
"""

from __future__ import annotations

import json
import tempfile
import time

from harness import parse, parser, read_json, record, write_result
from tenfold.runtime.launch import start_run

PINNED = {"dataset": "digits", "num_train": 3000, "num_test": 600, "ch": 16, "iters": 300,
          "batch_size": 64, "critic_steps": 1, "critic_ch": 8, "probe_train": 1500,
          "iters_per_step": 25}


def main(argv: list[str] | None = None) -> None:
    p = parser("udor_fuzzy_trace", __doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", nargs="+",
                   default=["udor-nogan", "udor-marginal-nogan", "udor-nofuzzy", "ae"])
    p.add_argument("--set", dest="overrides", nargs="*", default=[])
    args = parse(p, argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        pinned = [f"{k}={v}" for k, v in PINNED.items() if k != "dataset"]
        path = start_run("udor", preset="quick", dataset=PINNED["dataset"], seeds=[args.seed],
                         out=out, device="cpu", keep_checkpoints=False,
                         overrides=[*pinned, f"methods={','.join(args.methods)}",
                                    "figure_images=0", *args.overrides])
        summary = read_json(path / "summary.json")
        rows = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    curves = {m: {k: [r[k] for r in rows if r["method"] == m and k in r]
                  for k in ("step", "rec", "cls", "p_empty", "p_own")} for m in args.methods}
    # ``settings`` is the recipe's resolved config (the arguments are in ``command``).
    result = record("udor_fuzzy_trace", args, seed=args.seed, settings=summary["settings"],
                    note="one step = iters_per_step iterations; values are means over the step",
                    curves=curves, final=summary["per_seed"][str(args.seed)],
                    wall_seconds=time.perf_counter() - start)
    print(f"wrote {write_result(args.out, result)}")
    for m, c in curves.items():
        if c["p_empty"]:
            print(f"{m:22s} p_empty {c['p_empty'][0]:.2f} -> {c['p_empty'][-1]:.2f}  "
                  f"p_own {c['p_own'][0]:.2f} -> {c['p_own'][-1]:.2f}  "
                  f"rec {c['rec'][0]:.1f} -> {c['rec'][-1]:.1f}")


if __name__ == "__main__":
    main()
