"""The cost of ``LearnedPropagation.attribute`` against Captum's ``Saliency`` (one gradient) and
``IntegratedGradients``, timed interleaved in one process (round-robin, same load for all).

    python benchmarks/attribution_cost.py --seeds 0 1 2

Per seed: a SmallResNet (widths 8/16/32, 5 classes, the recipe's classifier shape) with random
weights drawn from the seed (cost does not depend on the weights) and a random (batch, 1, 32, 32)
input; the median seconds per call over ``--rounds`` rounds of each method, and each method's
median over Saliency's (``time_over_saliency``). Methods: ``saliency``, ``learned`` (the
default :class:`~tenfold.explain.LogisticRule`), ``learned_mlp``
(:class:`~tenfold.explain.ElementwiseRule`, hidden 8), ``gradient_rule`` (the fixed gradient
rule through the same plug-in), ``ig`` (``--ig-steps``; 0 leaves it out). Writes
``benchmarks/results/attribution_cost.json`` (results schema 1).
"""

from __future__ import annotations

import statistics

import torch

from harness import interleaved_times, parse, result, write_result
from harness import parser as make_parser


def measure(seed: int, batch: int, rounds: int, ig_steps: int) -> dict[str, dict[str, float]]:
    from captum.attr import IntegratedGradients, Saliency

    from tenfold.augment import SmallResNet
    from tenfold.explain import ElementwiseRule, LearnedPropagation, LogisticRule

    torch.manual_seed(seed)
    model = SmallResNet(5, (8, 16, 32), in_channels=1).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 1, 32, 32, generator=gen)
    target = torch.randint(0, 5, (batch,), generator=gen)
    learned = LearnedPropagation(model, LogisticRule(generator=gen))
    mlp = LearnedPropagation(model, ElementwiseRule(generator=gen))
    plain = LearnedPropagation(model, "gradient")
    calls = {
        "saliency": lambda: Saliency(model).attribute(x, target=target, abs=True),
        "learned": lambda: learned.attribute(x, target, reduce="abs_sum"),
        "learned_mlp": lambda: mlp.attribute(x, target, reduce="abs_sum"),
        "gradient_rule": lambda: plain.attribute(x, target, reduce="abs_sum"),
    }
    if ig_steps > 0:
        calls["ig"] = lambda: IntegratedGradients(model).attribute(x, target=target,
                                                                   n_steps=ig_steps)
    times = interleaved_times(calls, rounds, warmup=1)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {k: {"median_s": v, "time_over_saliency": v / med["saliency"]} for k, v in med.items()}


def main() -> None:
    p = make_parser("attribution_cost", __doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--ig-steps", type=int, default=32, help="0: leave integrated gradients out")
    args = parse(p)
    per_seed = {s: measure(s, args.batch, args.rounds, args.ig_steps) for s in args.seeds}
    out = result("attribution_cost", args, per_seed=per_seed)
    write_result(args.out, out)
    for s, arms in per_seed.items():
        print(s, {k: round(v["time_over_saliency"], 2) for k, v in arms.items()})


if __name__ == "__main__":
    main()
