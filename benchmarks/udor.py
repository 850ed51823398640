"""UDOR against the plain auto-encoder and the supervised S-AE, on fixed and jittered slots.

Runs the ``udor`` recipe through the runtime (same canvases, initial weights and batches for every
method, one run per seed and slot layout) and writes ``benchmarks/results/udor[_<name>].json``:
every metric's mean ± std over seeds per layout and method, the per-seed values, and the paired
comparisons of the issue's targets:

* part-classification macro-F1 of each UDOR variant divided by S-AE's (target ≥ 0.9);
* visual-integrity error of each method minus the "do nothing" error and minus the plain AE's
  (target: both < 0);

plus the ablation over the fuzzy-loss form (official / marginal) and the GAN term, which are
methods of the same runs. The file is rewritten after every finished run.

    python benchmarks/udor.py --seeds 0 1 2                       # Multi-MNIST, both layouts
    python benchmarks/udor.py --seeds 0 1 2 --regime long         # 1,500 iterations (REGIMES)
    python benchmarks/udor.py --tiny                              # checks the script only
    python benchmarks/udor.py --markdown benchmarks/results/udor_mnist.json   # the docs' tables
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from harness import RESULTS, parse, parser, read_json, record, write_result
from tenfold.runtime.launch import start_run
from tenfold.runtime.stats import mean_std

METHODS = ("udor", "udor-nogan", "udor-marginal", "ae", "s-ae")
#: The benchmark budget, pinned here (never the ``quick`` preset's values): Multi-MNIST canvases
#: from the mirror's MNIST files, 8,000 training / 1,000 test canvases, 500 iterations of batch 64
#: (4 epochs; official: 15 epochs = 1,875 iterations; ``quick``: 150 on the digits canvas), width
#: 16, one critic step of width 8 (the CPU budget of the shared machine: about 3 CPU minutes a
#: seed and layout for the five methods).
BENCH = {"num_train": 8000, "num_test": 1000, "iters": 500, "batch_size": 64, "ch": 16,
         "critic_steps": 1, "critic_ch": 8, "part_dim": 1, "lr": 1e-3, "probe_train": 1500,
         "modularity_groups": 10, "group_size": 10, "figure_images": 0, "iters_per_step": 25,
         "checkpoint_every": 4}
UDOR_VARIANTS = ("udor", "udor-nogan", "udor-marginal", "udor-marginal-nogan")
#: Further regimes, every setting pinned here (``--regime NAME`` writes ``udor_NAME.json``):
#: * ``long``: 1,500 iterations (80 % of the official 1,875; 12 epochs of the 8,000 canvases),
#:   the benchmark's width 16 and one critic step of width 8 (the official width 32 and five
#:   critic steps of width 32 cost about 4× and 8× more per iteration: several CPU hours for
#:   the grid), plus ``udor-nogan-warmup``: the fuzzy weight ramped over the first 300
#:   iterations (a deviation from the official schedule);
#: * ``sigmoid``: the benchmark budget with the official bounded decoder output (tanh on
#:   [−1, 1] = sigmoid on [0, 1]) for UDOR and the plain AE;
#: * ``long_gan``: ``long`` with the official GAN schedule at the cheap critic width: five
#:   critic steps per iteration and the generator term in a decoder-only step, for UDOR only;
#:   the AE and S-AE do not use the critic, so their runs would repeat ``long``'s bit for bit:
#:   the comparisons take them from ``udor_long.json`` (``--reference``; the file records it);
#: * ``paper``: the official budget (1,875 iterations, width 32, five critic steps of width 32,
#:   decoder-only generator step) with the ``long`` methods: the regime left for a GPU
#:   (``--device cuda``); on this CPU it would take hours.
REGIMES: dict[str, tuple[dict[str, object], tuple[str, ...]]] = {
    "mnist": (BENCH, METHODS),
    "long": ({**BENCH, "iters": 1500, "cls_warmup": 300, "checkpoint_every": 12},
             ("udor", "udor-nogan", "udor-nogan-warmup", "ae", "s-ae")),
    "sigmoid": ({**BENCH, "output": "sigmoid"}, ("udor", "ae")),
    "long_gan": ({**BENCH, "iters": 1500, "cls_warmup": 300, "checkpoint_every": 12,
                  "critic_steps": 5, "generator_step": "decoder"}, ("udor",)),
    "paper": ({**BENCH, "iters": 1875, "ch": 32, "critic_steps": 5, "critic_ch": 32,
               "generator_step": "decoder", "cls_warmup": 300, "checkpoint_every": 15},
              ("udor", "udor-nogan", "udor-nogan-warmup", "ae", "s-ae")),
}


def paired(per_seed: dict[int, dict], fn) -> dict[str, object]:
    """``fn(metrics of one seed)`` per seed, with mean ± std and how many seeds are < 0."""
    values = [fn(m) for m in per_seed.values()]
    return {**mean_std(values), "per_seed": values,
            "below_zero": int(sum(v < 0 for v in values))}


def comparisons(per_seed: dict[int, dict], methods: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for m in methods:
        row = {}
        if "s-ae" in methods and m != "s-ae":
            row["macro_f1_over_sae"] = paired(
                per_seed, lambda s, m=m: s[m]["macro_f1"] / s["s-ae"]["macro_f1"])
            row["macro_f1_over_sae"]["at_least_0.9"] = int(
                sum(v >= 0.9 for v in row["macro_f1_over_sae"]["per_seed"]))
        row["visual_minus_do_nothing"] = paired(
            per_seed, lambda s, m=m: s[m]["visual_error"] - s[m]["do_nothing_error"])
        if "ae" in methods and m != "ae":
            row["visual_minus_ae"] = paired(
                per_seed, lambda s, m=m: s[m]["visual_error"] - s["ae"]["visual_error"])
        out[m] = row
    return out


def _pm(entry: dict, digits: int = 3, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{entry['mean']:{sign}.{digits}f} ± {entry['std']:.{digits}f}"


def _ordered(rows: dict, result: dict) -> list[str]:
    """The methods of ``rows`` in the run's ``methods`` order (the file's keys are sorted)."""
    order = [m for m in result.get("methods", []) if m in rows]
    return order + [m for m in rows if m not in order]


def markdown(result: dict) -> str:
    """The docs' tables of one results file: metrics per method, then the paired comparisons
    (how many seeds meet each target in brackets)."""
    cols = [("macro_f1", "macro-F1", 3), ("micro_f1", "micro-F1", 3),
            ("visual_error", "visual error", 2), ("do_nothing_error", "do nothing", 2),
            ("visual_ratio", "visual / do nothing", 2), ("rec_mae", "reconstruction MAE", 2),
            ("modularity", "modularity", 2)]
    out = []
    for slots, layout in result["layouts"].items():
        out += [f"**{slots} slots** (seeds {layout['seeds']}), mean ± std:", "",
                "| method | " + " | ".join(c[1] for c in cols) + " |",
                "|---" * (len(cols) + 1) + "|"]
        for m in _ordered(layout["table"], result):
            row = layout["table"][m]
            out.append(f"| {m} | " + " | ".join(_pm(row[k], d) for k, _, d in cols) + " |")
        out += ["", "Paired per seed:", "",
                "| method | macro-F1 / S-AE (≥ 0.9 on n seeds) | visual − do nothing (< 0 on n "
                "seeds) | visual − AE (< 0 on n seeds) |", "|---|---|---|---|"]
        n = len(layout["seeds"])
        for m in _ordered(layout["comparisons"], result):
            row = layout["comparisons"][m]
            f1 = row.get("macro_f1_over_sae")
            cells = [f"{_pm(f1)} ({f1['at_least_0.9']}/{n})" if f1 else "—"]
            for key in ("visual_minus_do_nothing", "visual_minus_ae"):
                e = row.get(key)
                cells.append(f"{_pm(e, 2, True)} ({e['below_zero']}/{n})" if e else "—")
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    p = parser("udor", __doc__.splitlines()[0])
    p.set_defaults(out=None)   # default: results/udor[_<name>][_tiny].json, from --name, --tiny
    p.add_argument("--dataset", default="mnist", choices=("digits", "mnist"))
    p.add_argument("--slots", nargs="+", default=["fixed", "offset"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=None,
                   help="default: the regime's methods")
    p.add_argument("--reference", type=Path, default=None,
                   help="a results file of the same seeds and settings whose per-seed metrics "
                        "of methods not run here (ae, s-ae) enter the tables and comparisons")
    p.add_argument("--device", default="cpu", help="cpu, cuda, auto (the runtime's names)")
    p.add_argument("--regime", choices=tuple(REGIMES), default="mnist",
                   help="pinned settings and methods (REGIMES); default: the BENCH budget")
    p.add_argument("--set", dest="overrides", nargs="*", default=[],
                   help="extra recipe settings key=value")
    p.add_argument("--tiny", action="store_true", help="smoke settings: checks the script only")
    p.add_argument("--name", default=None, help="results file udor_<name>.json")
    p.add_argument("--markdown", type=Path, default=None,
                   help="print the docs' tables of this results file and exit")
    args = parse(p, argv)
    if args.markdown:
        print(markdown(read_json(args.markdown)))
        return
    preset = "smoke" if args.tiny else "quick"
    pinned_settings, regime_methods = REGIMES[args.regime]
    methods = tuple(args.methods or regime_methods)
    if args.name is None and args.regime != "mnist":
        args.name = args.regime
    name = "udor" + (f"_{args.name}" if args.name else "") + ("_tiny" if args.tiny else "")
    target = args.out if args.out is not None else RESULTS / f"{name}.json"
    start = time.perf_counter()
    result: dict[str, object] = {
        "dataset": args.dataset, "preset": preset, "methods": methods,
        "regime": args.regime, "seeds_planned": args.seeds,
        "settings_pinned": {} if args.tiny else pinned_settings, "layouts": {}}
    pinned = [] if args.tiny else [f"{k}={v}" for k, v in pinned_settings.items()]
    per_layout: dict[str, dict[int, dict]] = {s: {} for s in args.slots}
    reference = read_json(args.reference)["layouts"] if args.reference else {}
    if args.reference:
        result["reference"] = str(args.reference)
    train_times: dict[str, dict[str, list[float]]] = {s: {} for s in args.slots}
    cpu_start = time.process_time()
    with tempfile.TemporaryDirectory() as out:
        for seed in args.seeds:                       # seeds outer: every layout gets seed 0 first
            for slots in args.slots:
                overrides = [*pinned, f"slots={slots}", f"methods={','.join(methods)}",
                             *args.overrides]
                per_seed, train_s = per_layout[slots], train_times[slots]
                path = start_run("udor", preset=preset, dataset=args.dataset, seeds=[seed],
                                 overrides=overrides, out=out, device=args.device,
                                 keep_checkpoints=False)
                summary = read_json(path / "summary.json")
                per_seed[seed] = summary["per_seed"][str(seed)]
                ref = reference.get(slots, {}).get("per_seed", {}).get(str(seed), {})
                extra = {m: v for m, v in ref.items() if m not in per_seed[seed]}
                per_seed[seed] = {**per_seed[seed], **extra}
                timings = read_json(path / "timings.json")[str(seed)]
                for m in methods:
                    train_s.setdefault(m, []).append(timings[m]["train_s"])
                scored = (*methods, *(m for m in extra if m not in methods))
                # metrics every method has on every seed (a reference file may predate one)
                metrics = [k for k in per_seed[seed][methods[0]]
                           if all(k in per_seed[s][m] for s in per_seed for m in scored)]
                result["layouts"][slots] = {
                    "settings": summary["settings"], "seeds": sorted(per_seed),
                    "table": {m: {k: mean_std([per_seed[s][m][k] for s in per_seed])
                                  for k in metrics} for m in scored},
                    "comparisons": comparisons(per_seed, scored),
                    "from_reference": sorted(extra),
                    "per_seed": per_seed, "train_seconds": train_s}
                result["wall_seconds"] = time.perf_counter() - start
                result["cpu_seconds"] = time.process_time() - cpu_start
                write_result(target, record("udor", args, **result))   # header: date now
                print(f"{slots} seed {seed} done ({time.perf_counter() - start:.0f} s): "
                      f"wrote {target}", flush=True)
    for slots, layout in result["layouts"].items():
        print(f"-- {slots} slots, seeds {layout['seeds']}")
        for m, row in layout["table"].items():
            print(f"{m:20s} F1 {row['macro_f1']['mean']:.3f} ± {row['macro_f1']['std']:.3f}  "
                  f"visual {row['visual_error']['mean']:6.2f} ± {row['visual_error']['std']:5.2f}"
                  f"  do-nothing {row['do_nothing_error']['mean']:6.2f}  "
                  f"rec {row['rec_mae']['mean']:6.2f}  mod {row['modularity']['mean']:.3f}")


if __name__ == "__main__":
    main()
