"""Cost of the CIFAR-10 NetGraft pieces on this machine: seconds per teacher training step (batch
128, Adam, BN) and per NetGraft / KD step (batch 64 and 10), for the recipe's VGG teacher and for
narrower variants, measured on random 32×32 inputs (the cost does not depend on the pixels).
Writes ``benchmarks/results/netgraft_cifar_cost.json`` with the projected time of one teacher
epoch (391 steps of 128 images) and of the recipe's CIFAR-10 runs.

    python benchmarks/netgraft_cifar_cost.py --steps 5
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from harness import parse, record, write_result
from harness import parser as make_parser
from tenfold.distill import BlockPartition, NetGraft, count_macs, count_parameters, vgg_blocks

EPOCH_STEPS = 391  # ceil(50000 / 128)
# (teacher widths, teacher hidden, student widths, student hidden, shared blocks)
VARIANTS = {
    "recipe": ((64, 128, 256, 256), 256, (64, 128, 128, 128), 128, 2),
    "half": ((32, 64, 128, 128), 128, (32, 64, 64, 64), 64, 2),
    "quarter": ((16, 32, 64, 64), 64, (16, 32, 32, 32), 32, 2),
}


def _seconds_per_step(fn, steps: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def measure(name: str, steps: int) -> dict:
    tw, th, sw, sh, shared = VARIANTS[name]
    torch.manual_seed(0)
    teacher = vgg_blocks(3, tw, 10, th)
    student = vgg_blocks(3, (*tw[:shared], *sw[shared:]), 10, sh)
    x128, y128 = torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,))
    opt = torch.optim.Adam(teacher.parameters(), lr=1e-3)

    def teacher_step():
        loss = F.cross_entropy(teacher(x128), y128)
        opt.zero_grad()
        loss.backward()
        opt.step()

    out = {"teacher_widths": tw, "student_widths": sw, "shared": shared,
           "teacher_params": count_parameters(teacher),
           "teacher_macs": count_macs(teacher, x128[:1])}
    out["teacher_step_s"] = _seconds_per_step(teacher_step, steps)
    out["teacher_epoch_s"] = out["teacher_step_s"] * EPOCH_STEPS
    teacher.eval()
    for batch in (64, 10):
        x = torch.randn(batch, 3, 32, 32)
        graft = NetGraft(BlockPartition(list(teacher)), BlockPartition(list(student)), x[:2],
                         graft=list(range(shared, len(tw) + 1)),
                         generator=torch.Generator().manual_seed(0))
        start = time.perf_counter()
        graft.fit(x, block_steps=steps, net_steps=steps, batch_size=batch)
        out[f"netgraft_step_s_b{batch}"] = (time.perf_counter() - start) / graft.steps_taken
    return out


def main(argv: list[str] | None = None) -> None:
    parser = make_parser("netgraft_cifar_cost", __doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--variants", default="recipe,half,quarter")
    args = parse(parser, argv)
    rows = {}
    for name in args.variants.split(","):
        rows[name] = measure(name, args.steps)
        print(name, {k: v for k, v in rows[name].items() if k.endswith("_s")}, flush=True)
        write_result(args.out, record("netgraft_cifar_cost", args, threads=args.threads,
                                      variants=rows))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
