"""A bounded sweep of learned-rule variants (rule form x objective), scored on VALIDATION images
(``eval_split=val``: canvases rendered from the training digits, disjoint from the test images
the benchmark reports on), to choose the recipe's default without looking at the test images.

    python benchmarks/attribution_variants.py --seeds 0 1 2
    TENFOLD_DATA=../shared/data python benchmarks/attribution_variants.py --seeds 0 1 2 \
        --dataset distractor-mnist --variants ... \
        --out benchmarks/results/attribution_variants_mnist.json

Writes ``benchmarks/results/attribution_variants.json``: per variant the recipe settings that
differ, per-seed validation energy-in-box / pointing / deletion / insertion / sanity Spearman of
``learned``, ``gradient`` and ``guided``, mean ± std, the paired differences learned - guided and
learned - gradient, and the variant the selection rule picks. The classifier settings are pinned
here (the artefact cache trains each seed's classifier once; the same classifiers as
``benchmarks/attribution.py``).

Selection rule (fixed before the sweep ran): among the variants with the logistic rule (the MLP
rule costs 3-4x Saliency, over the issue's 2x), the highest mean validation energy-in-box whose
mean validation sanity Spearman is below 0.5.
"""

from __future__ import annotations

import tempfile
import time

from attribution import BENCH_SETTINGS  # noqa: E402  (benchmarks/ is on sys.path)
from harness import parse, parser, read_json, record, write_result
from tenfold.runtime.stats import mean_std

# name -> (what it tests, recipe overrides). Objective weights are (keep, delete, area);
# "S<k>": the objective's mask box-averaged over k x k pixels; "C<w>": the class-contrastive
# overlap term with weight w.
VARIANTS = {
    "logistic-B": ("logistic rule, keep + delete + 0.2 area, Adam lr 0.1 (the previous default)",
                   {"rule": "logistic"}),
    "logistic-A": ("logistic rule, keep + 0.2 area (the abstract's 'masked input' guidance only)",
                   {"rule": "logistic", "delete_weight": "0"}),
    "logistic-D": ("logistic rule, delete + 0.2 area (no keep term)",
                   {"rule": "logistic", "keep_weight": "0"}),
    "logistic-B-area1": ("logistic rule, keep + delete + 1.0 area (smaller masks)",
                         {"rule": "logistic", "area_weight": "1.0"}),
    "logistic-B-guided": ("logistic rule started at guided backprop, keep + delete + 0.2 area",
                          {"rule": "logistic", "rule_init": "guided"}),
    "mlp-B": ("hidden-8 MLP rule (lr 0.01), keep + delete + 0.2 area",
              {"rule": "mlp", "rule_lr": "0.01"}),
    "mlp-B-area1": ("MLP rule (lr 0.01), keep + delete + 1.0 area",
                    {"rule": "mlp", "rule_lr": "0.01", "area_weight": "1.0"}),
    "logistic-S5": ("logistic rule, keep + delete + 0.2 area on a 5x5-smoothed mask",
                    {"rule": "logistic", "mask_smoothing": "5"}),
    "logistic-S3-C1": ("logistic rule, 3x3-smoothed mask + contrastive term (weight 1)",
                       {"rule": "logistic", "mask_smoothing": "3", "contrast_weight": "1.0"}),
    "logistic-S5-C0.3": ("logistic rule, 5x5-smoothed mask + contrastive term (weight 0.3)",
                         {"rule": "logistic", "mask_smoothing": "5", "contrast_weight": "0.3"}),
    "logistic-S5-C1": ("logistic rule, 5x5-smoothed mask + contrastive term (weight 1)",
                       {"rule": "logistic", "mask_smoothing": "5", "contrast_weight": "1.0"}),
    "logistic-S5-C1-guided": ("as logistic-S5-C1, the rule started at guided backprop",
                              {"rule": "logistic", "mask_smoothing": "5",
                               "contrast_weight": "1.0", "rule_init": "guided"}),
    "logistic-S9-C1": ("logistic rule, 9x9-smoothed mask + contrastive term (weight 1)",
                       {"rule": "logistic", "mask_smoothing": "9", "contrast_weight": "1.0"}),
    "logistic-S5-C3": ("logistic rule, 5x5-smoothed mask + contrastive term (weight 3)",
                       {"rule": "logistic", "mask_smoothing": "5", "contrast_weight": "3.0"}),
    "logistic-S5-C1-lr0.01": ("as logistic-S5-C1 with Adam lr 0.01 instead of 0.1 (the lr, "
                              "too, chosen on validation)",
                              {"rule": "logistic", "mask_smoothing": "5",
                               "contrast_weight": "1.0", "rule_lr": "0.01"}),
    "logistic-S5-C1-160": ("as logistic-S5-C1 with 160 fit steps instead of 80",
                           {"rule": "logistic", "mask_smoothing": "5", "contrast_weight": "1.0",
                            "rule_steps": "160"}),
}
METRICS = ("energy", "pointing", "deletion_auc", "insertion_auc")
SWEEP_SETTINGS = {"methods": "gradient,guided,learned", "sanity": "true", "figures": "false",
                  "eval_split": "val", "rule_lr": "0.1", "mask_smoothing": "0",
                  "contrast_weight": "0.0", "rule_init": "gradient"}


def select(variants: dict) -> str | None:
    """The selection rule of the module docstring (``None`` if no variant qualifies)."""
    ok = {k: v for k, v in variants.items() if v["overrides"].get("rule") == "logistic"
          and v["learned"]["sanity_spearman"]["mean"] < 0.5}
    return max(ok, key=lambda k: ok[k]["learned"]["energy"]["mean"]) if ok else None


def main() -> None:
    p = parser("attribution_variants", __doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--dataset", default="distractor-digits",
                   choices=["distractor-digits", "distractor-mnist"])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parse(p)
    from tenfold.runtime.launch import start_run

    result = record("attribution_variants", args, seeds=args.seeds, dataset=args.dataset,
                    pinned=BENCH_SETTINGS, sweep_settings=SWEEP_SETTINGS, eval_split="val",
                    torch_threads=args.threads, variants={})
    # A sweep may run in parts (below), so one command's arguments are not the file's settings:
    # they stay in each variant's command, and the shared settings are ``pinned``.
    del result["settings"]
    command = result["command"]
    out = args.out
    if out.exists():    # a sweep run in parts: keep the variants measured by earlier commands
        old = read_json(out)
        if (old.get("seeds") == args.seeds and old.get("pinned") == BENCH_SETTINGS
                and old.get("eval_split") == "val" and old.get("dataset") == args.dataset):
            result["variants"] = {k: v for k, v in old["variants"].items()
                                  if k not in args.variants}
            result["command"] = old["command"] + " && " + result["command"]
    for name in args.variants:
        what, overrides = VARIANTS[name]
        settings = {**BENCH_SETTINGS, **SWEEP_SETTINGS, **overrides}
        start, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as tmp:
            path = start_run("attribution", preset="quick", dataset=args.dataset,
                             seeds=args.seeds, overrides=[f"{k}={v}" for k, v in settings.items()],
                             out=tmp, keep_checkpoints=False)
            per_seed = read_json(path / "summary.json")["per_seed"]
        seeds = sorted(per_seed, key=int)
        metrics = METRICS + ("sanity_spearman",)
        entry = {"what": what, "overrides": overrides, "command": command,
                 "wall_s": time.perf_counter() - start,
                 "cpu_s": time.process_time() - cpu,
                 "per_seed": {s: {m: {k: per_seed[s][m][k] for k in metrics}
                                  for m in ("learned", "gradient", "guided")} for s in seeds}}
        for m in ("learned", "gradient", "guided"):
            entry[m] = {k: mean_std([per_seed[s][m][k] for s in seeds]) for k in metrics}
        for other in ("guided", "gradient"):
            entry[f"learned_minus_{other}"] = {
                k: mean_std([per_seed[s]["learned"][k] - per_seed[s][other][k] for s in seeds])
                for k in metrics}
        result["variants"][name] = entry
        result["selected"] = select(result["variants"])
        write_result(out, result)
        print(name, "val energy", round(entry["learned"]["energy"]["mean"], 3),
              "vs guided", round(entry["learned_minus_guided"]["energy"]["mean"], 3),
              "sanity", round(entry["learned"]["sanity_spearman"]["mean"], 3), flush=True)
    print("selected:", result["selected"])


if __name__ == "__main__":
    main()
