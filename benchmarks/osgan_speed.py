"""Time per iteration of one-stage vs two-stage GAN training (DCGAN-32), arms interleaved.

Every arm (two-stage, two-stage with D frozen during the G step, one-stage) is stepped in turn on
the same batch and noise, iteration after iteration, in one process, so they see the same machine
load; the result is the median time per iteration of each arm and the ratio of medians.

    python benchmarks/osgan_speed.py                       # CPU, 1 thread
    python benchmarks/osgan_speed.py --bare                # + hand-written reference steps
    python benchmarks/osgan_speed.py --device cuda --iters 500 --batch-size 128 --ch 64

Writes benchmarks/results/osgan_speed.json (or --out).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from harness import parse, record, synchronize, write_result
from harness import parser as make_parser
from tenfold.gan.losses import get_loss
from tenfold.gan.models import DCGANDiscriminator32, DCGANGenerator32
from tenfold.gan.onestage import OneStageGAN
from tenfold.gan.scale import scale_grad

ARMS = {"two-stage": {"mode": "two-stage"},
        "two-stage-frozen-d": {"mode": "two-stage", "freeze_d_in_g_step": True},
        "one-stage": {"mode": "one-stage"}}


class BareStep:
    """The same iteration written out by hand with no statistics, checks or bookkeeping: the
    floor against which the library's per-step overhead is measured (``--bare``)."""

    def __init__(self, G, D, opt_g, opt_d, loss: str, mode: str):
        self.G, self.D, self.opt_g, self.opt_d = G, D, opt_g, opt_d
        self.loss, self.mode = get_loss(loss), mode

    def __call__(self, real, z, z2):
        G, D, loss = self.G, self.D, self.loss
        if self.mode == "one-stage":
            self.opt_g.zero_grad(set_to_none=True)
            self.opt_d.zero_grad(set_to_none=True)
            fake = G(z)
            scale = torch.full((fake.shape[0],), -1.0, device=fake.device)
            p_fake = D(scale_grad(fake, scale))
            p_real = D(real)
            if not loss.symmetric:
                scale.copy_(loss.gamma(p_fake))
            loss.loss_d(p_real, p_fake).backward()
            self.opt_d.step()
            self.opt_g.step()
            return
        self.opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G(z)
        loss.loss_d(D(real), D(fake)).backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        loss.loss_g(D(G(z2))).backward()
        self.opt_g.step()


def measure(loss: str, args, device: torch.device) -> dict:
    steps = {}
    arms = dict(ARMS)
    if args.bare:
        arms.update({"two-stage-bare": {"bare": "two-stage"},
                     "one-stage-bare": {"bare": "one-stage"}})
    for name, kw in arms.items():
        torch.manual_seed(args.seed)
        G = DCGANGenerator32(args.zdim, args.ch).to(device)
        D = DCGANDiscriminator32(args.ch, norm=args.d_norm).to(device)
        opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
        steps[name] = BareStep(G, D, opt_g, opt_d, loss, kw["bare"]) if "bare" in kw else \
            OneStageGAN(G, D, opt_g, opt_d, loss=loss, **kw)
    gen = torch.Generator().manual_seed(args.seed)
    times = {name: [] for name in steps}
    for it in range(args.warmup + args.iters):
        real = (torch.rand(args.batch_size, 1, 32, 32, generator=gen) * 2 - 1).to(device)
        z = torch.randn(args.batch_size, args.zdim, generator=gen).to(device)
        z2 = torch.randn(args.batch_size, args.zdim, generator=gen).to(device)
        order = list(steps) if it % 2 == 0 else list(reversed(steps))  # no position bias
        for name in order:
            synchronize(device)
            start = time.perf_counter()
            steps[name](real, z, z2)
            synchronize(device)
            if it >= args.warmup:
                times[name].append(time.perf_counter() - start)
    med = {name: float(np.median(t)) for name, t in times.items()}
    # per-iteration ratios inside the same iteration (same load), then their median
    paired = np.array(times["two-stage"]) / np.array(times["one-stage"])
    paired_frozen = np.array(times["two-stage-frozen-d"]) / np.array(times["one-stage"])
    extra = {}
    if args.bare:
        extra = {"bare_speedup_median_of_paired_ratios": float(np.median(
                     np.array(times["two-stage-bare"]) / np.array(times["one-stage-bare"]))),
                 "library_over_bare_median_of_paired_ratios": {
                     mode: float(np.median(np.array(times[mode]) / np.array(times[f"{mode}-bare"])))
                     for mode in ("two-stage", "one-stage")}}
    return {
        **extra,
        "ms_per_iter_median": {k: 1e3 * v for k, v in med.items()},
        "ms_per_iter_p25_p75": {k: [1e3 * float(np.percentile(t, 25)),
                                    1e3 * float(np.percentile(t, 75))]
                                for k, t in times.items()},
        "speedup_ratio_of_medians": med["two-stage"] / med["one-stage"],
        "speedup_median_of_paired_ratios": float(np.median(paired)),
        "speedup_vs_frozen_d_two_stage": float(np.median(paired_frozen)),
    }


def main() -> None:
    parser = make_parser("osgan_speed", __doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--iters", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--ch", type=int, default=32)
    parser.add_argument("--zdim", type=int, default=64)
    parser.add_argument("--d-norm", default="group")
    parser.add_argument("--losses", default="nonsaturating,minimax")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bare", action="store_true",
                        help="also time hand-written steps without the library's bookkeeping")
    args = parse(parser)
    device = torch.device(args.device)
    results = {loss: measure(loss, args, device) for loss in args.losses.split(",")}
    out = record(
        "osgan_speed", args,
        seeds=[args.seed],
        load_average_at_end=list(Path("/proc/loadavg").read_text().split()[:3])
        if Path("/proc/loadavg").exists() else None,
        results=results,
        cost_model="TS = 2F_G + 3F_D + 3B_D + B_G, OS = F_G + 2F_D + 2B_D + B_G; 1.33-1.50x",
    )
    write_result(args.out, out)
    for loss, r in results.items():
        print(f"{loss}: {r['ms_per_iter_median']}  TS/OS = {r['speedup_ratio_of_medians']:.3f} "
              f"(paired {r['speedup_median_of_paired_ratios']:.3f}; "
              f"frozen-D TS/OS {r['speedup_vs_frozen_d_two_stage']:.3f})")
        if "bare_speedup_median_of_paired_ratios" in r:
            print(f"  bare TS/OS {r['bare_speedup_median_of_paired_ratios']:.3f}; library/bare "
                  f"{r['library_over_bare_median_of_paired_ratios']}")


if __name__ == "__main__":
    main()
