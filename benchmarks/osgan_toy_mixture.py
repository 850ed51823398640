"""One-stage vs two-stage GAN training on the 8-Gaussian ring: modes covered, paired seeds.

The outside-use finding of issue #16 made measurable: a small MLP GAN on the classic toy of
eight Gaussians on a ring, trained per seed with exactly the same initial weights, data batches
and noise by

* ``two-stage`` — ``OneStageGAN(mode="two-stage")``: the alternating D step, then G step;
* ``one-stage`` — ``OneStageGAN(mode="one-stage")``: one backward, both optimisers step (the
  simultaneous update, computed exactly);
* ``simultaneous`` — the same simultaneous update from ``two_stage_reference_backward`` (two
  separate ``autograd.grad`` calls through the same D), the reference that one-stage training
  reproduces: if one-stage collapses, this one should too.

Only the library API is used (``tenfold.gan``), as a user would. After training, ``--samples``
generator samples are assigned to the nearest mode; a sample is *good* if it lies within 3σ of
it, and a mode is *covered* if it holds at least 1 % of all samples as good ones. Metrics per
seed and method: ``modes`` (0-8), ``good_fraction`` and ``collapsed`` (1 if fewer than 2 modes).

    python benchmarks/osgan_toy_mixture.py --seeds 0-4

Writes ``benchmarks/results/osgan_toy_mixture.json`` (schema 1, rewritten after every seed).
"""

from __future__ import annotations

import math
import statistics
import time

import torch
from torch import nn

from harness import parse, parser, result, write_result
from tenfold.gan import OneStageGAN, get_loss, two_stage_reference_backward
from tenfold.runtime.config import parse_seeds

METHODS = ("two-stage", "one-stage", "simultaneous")


def ring_modes(n_modes: int, radius: float) -> torch.Tensor:
    angle = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    return radius * torch.stack([angle.cos(), angle.sin()], 1)


def sample_ring(modes: torch.Tensor, n: int, std: float, gen: torch.Generator) -> torch.Tensor:
    idx = torch.randint(len(modes), (n,), generator=gen)
    return modes[idx] + std * torch.randn(n, 2, generator=gen)


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, n_out))


def coverage(samples: torch.Tensor, modes: torch.Tensor, std: float) -> dict[str, float]:
    d = torch.cdist(samples, modes)
    near, which = d.min(dim=1)
    good = near < 3 * std
    per_mode = torch.bincount(which[good], minlength=len(modes))
    covered = int((per_mode >= 0.01 * len(samples)).sum())
    return {"modes": float(covered), "good_fraction": float(good.float().mean()),
            "collapsed": float(covered < 2)}


def train(method: str, seed: int, args) -> dict[str, float]:
    torch.manual_seed(seed)                   # the same initial weights for every method
    G, D = mlp(args.z_dim, 2, args.hidden), mlp(2, 1, args.hidden)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    data_gen = torch.Generator().manual_seed(10_000 + seed)      # the same batches and noise
    noise_gen = torch.Generator().manual_seed(20_000 + seed)
    modes = ring_modes(8, args.radius)
    loss = get_loss(args.loss)
    step = None
    if method != "simultaneous":
        step = OneStageGAN(G, D, opt_g, opt_d, loss=loss, mode=method)
    start = time.process_time()
    for _ in range(args.iters):
        real = sample_ring(modes, args.batch_size, args.std, data_gen)
        z = torch.randn(args.batch_size, args.z_dim, generator=noise_gen)
        z2 = torch.randn(args.batch_size, args.z_dim, generator=noise_gen)
        if step is not None:
            step(real, z, z2)
        else:
            opt_g.zero_grad(set_to_none=True)
            opt_d.zero_grad(set_to_none=True)
            two_stage_reference_backward(G, D, loss, real, z)
            opt_d.step()
            opt_g.step()
    cpu_s = time.process_time() - start
    with torch.no_grad():
        z = torch.randn(args.samples, args.z_dim,
                        generator=torch.Generator().manual_seed(30_000 + seed))
        out = coverage(G(z), modes, args.std)
    out["cpu_s"] = cpu_s
    return out


def main(argv: list[str] | None = None) -> dict:
    p = parser("osgan_toy_mixture", __doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--iters", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--z-dim", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--loss", default="nonsaturating")
    p.add_argument("--radius", type=float, default=2.0)
    p.add_argument("--std", type=float, default=0.05)
    p.add_argument("--samples", type=int, default=2500)
    args = parse(p, argv)
    seeds = parse_seeds(args.seeds)
    per_seed: dict[int, dict[str, dict[str, float]]] = {}
    res: dict = {}
    for seed in seeds:
        per_seed[seed] = {m: train(m, seed, args) for m in METHODS}
        print(f"seed {seed}: " + ", ".join(
            f"{m} {v['modes']:.0f} modes ({v['good_fraction']:.2f} good)"
            for m, v in per_seed[seed].items()), flush=True)
        summary = {m: {k: {"mean": statistics.fmean(r[m][k] for r in per_seed.values()),
                           "std": statistics.stdev([r[m][k] for r in per_seed.values()])
                           if len(per_seed) > 1 else 0.0}
                       for k in ("modes", "good_fraction", "collapsed")} for m in METHODS}
        collapses = {m: int(sum(r[m]["collapsed"] for r in per_seed.values())) for m in METHODS}
        res = result("osgan_toy_mixture", args, per_seed=per_seed, seeds=seeds,
                     summary=summary, collapsed_seeds=collapses)
        write_result(args.out, res)
    return res


if __name__ == "__main__":
    main()
