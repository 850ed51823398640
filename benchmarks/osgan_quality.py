"""Quality at equal wall time and at equal iterations: one-stage vs two-stage GAN training.

DCGAN-32 (GroupNorm D) on MNIST with the non-saturating loss. Two-stage training uses the usual
learning rates (Adam 2e-4, β = (0.5, 0.999)); one-stage training keeps G's learning rate and
grids D's (the paper's authors re-tuned D's lr for one-stage). All arms start from the same
weights and see the same batches and noise in the same order; they share the machine by
*time-fair scheduling*: the arm with the least accumulated training time takes the next step, so
all arms progress together in wall-clock time and see the same load. Two-stage runs ``--iters``
iterations; its accumulated time is the budget every one-stage arm then also gets.

Quality: Fréchet distance in the penultimate features of a LeNet-5 trained on MNIST ("FD-cls"),
against held-out TRAINING images (validation: used to pick D's learning rate) and against the
test split (reported). The learning rate is chosen on validation FD, never on test FD.

    python benchmarks/osgan_quality.py                       # CPU, 1 thread (~20 min)
    python benchmarks/osgan_quality.py --tiny                # a seconds-long check
    python benchmarks/osgan_quality.py --device cuda --iters 5000 --ch 64 --batch-size 128 \\
        --eval-every 500 --n-eval 5000 --out benchmarks/results/osgan_quality_gpu.json
"""

from __future__ import annotations

import json
import time

import numpy as np
import torch

from harness import parse, record, synchronize, write_result
from harness import parser as make_parser
from tenfold.data.tensor_images import images32
from tenfold.gan.evaluate import GeneratorEvaluator as Evaluator
from tenfold.gan.evaluate import train_feature_classifier as train_classifier
from tenfold.gan.models import DCGANDiscriminator32, DCGANGenerator32
from tenfold.gan.onestage import OneStageGAN


class Arm:
    def __init__(self, name: str, mode: str, lr_d: float, args, seed: int,
                 device: torch.device, n_train: int):
        torch.manual_seed(seed)
        self.name, self.mode, self.lr_d = name, mode, lr_d
        self.G = DCGANGenerator32(args.zdim, args.ch).to(device)
        D = DCGANDiscriminator32(args.ch, norm="group").to(device)
        opt_g = torch.optim.Adam(self.G.parameters(), args.lr_g, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr_d, betas=(0.5, 0.999))
        self.step_fn = OneStageGAN(self.G, D, opt_g, opt_d, loss=args.loss, mode=mode)
        self.data_gen = torch.Generator().manual_seed(seed + 1)   # same batches in every arm
        self.noise_gen = torch.Generator().manual_seed(seed + 2)  # same noise in every arm
        self.n_train, self.bs, self.zdim, self.device = n_train, args.batch_size, args.zdim, device
        self.perm, self.pos = torch.randperm(n_train, generator=self.data_gen), 0
        self.iters, self.elapsed, self.times, self.curve = 0, 0.0, [], []

    def step(self, x_train: torch.Tensor) -> None:
        if self.pos + self.bs > self.n_train:
            self.perm, self.pos = torch.randperm(self.n_train, generator=self.data_gen), 0
        real = x_train[self.perm[self.pos:self.pos + self.bs]].to(self.device)
        self.pos += self.bs
        z = torch.randn(self.bs, self.zdim, generator=self.noise_gen).to(self.device)
        z2 = torch.randn(self.bs, self.zdim, generator=self.noise_gen).to(self.device)
        synchronize(self.device)
        start = time.perf_counter()
        self.step_fn(real, z, z2)
        synchronize(self.device)
        dt = time.perf_counter() - start
        self.iters += 1
        self.elapsed += dt
        self.times.append(dt)

    def evaluate(self, val: Evaluator, test: Evaluator) -> None:
        images = val.images(self.G)
        v, t = val.score_images(images), test.score_images(images)
        self.curve.append({"iter": self.iters, "train_s": self.elapsed, "fd_val": v["fd_cls"],
                           "fd_test": t["fd_cls"], "covered": t["covered"],
                           "min_share": t["min_share"]})


def run_seed(seed: int, args, data, classifier, device) -> dict:
    x_train, x_val, x_test, num_classes = data
    val = Evaluator(classifier, x_val, num_classes, args.n_eval, args.zdim, device, seed)
    test = Evaluator(classifier, x_test, num_classes, args.n_eval, args.zdim, device, seed)
    arms = [Arm("two-stage", "two-stage", args.lr_d, args, seed, device, len(x_train))]
    arms += [Arm(f"one-stage-lrd{lr:g}", "one-stage", lr, args, seed, device, len(x_train))
             for lr in args.lr_d_grid]
    ts = arms[0]
    budget = None
    while True:
        active = [a for a in arms if (a is ts and a.iters < args.iters) or
                  (a is not ts and (budget is None or a.elapsed < budget)
                   and a.iters < args.max_factor * args.iters)]
        if not active:
            break
        arm = min(active, key=lambda a: a.elapsed)
        arm.step(x_train)
        if arm.iters % args.eval_every == 0 or arm.iters == args.iters:
            arm.evaluate(val, test)
        if arm is ts and ts.iters == args.iters:
            budget = ts.elapsed
    out = {}
    for arm in arms:
        if not arm.curve or arm.curve[-1]["iter"] != arm.iters:
            arm.evaluate(val, test)
        at_iters = next((c for c in arm.curve if c["iter"] >= args.iters), arm.curve[-1])
        out[arm.name] = {"lr_d": arm.lr_d, "iters_done": arm.iters, "train_s": arm.elapsed,
                         "ms_per_iter_median": 1e3 * float(np.median(arm.times)),
                         "equal_time": arm.curve[-1], "equal_iters": at_iters,
                         "curve": arm.curve}
    return out


def main() -> None:
    parser = make_parser("osgan_quality", __doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--loss", default="nonsaturating")
    parser.add_argument("--iters", type=int, default=600)
    parser.add_argument("--max-factor", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--ch", type=int, default=16)
    parser.add_argument("--zdim", type=int, default=64)
    parser.add_argument("--lr-g", type=float, default=2e-4)
    parser.add_argument("--lr-d", type=float, default=2e-4)
    parser.add_argument("--lr-d-grid", default="2e-4,1e-4,5e-5")
    parser.add_argument("--eval-every", type=int, default=150)
    parser.add_argument("--n-eval", type=int, default=1000)
    parser.add_argument("--n-val", type=int, default=10000)
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--classifier-train", type=int, default=20000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long check of the script")
    args = parse(parser)
    if args.tiny:
        args.dataset, args.iters, args.ch, args.batch_size = "digits", 6, 8, 16
        args.eval_every, args.n_eval, args.n_val, args.classifier_epochs = 3, 100, 300, 1
        args.seeds = "0"
        if str(args.out).endswith("osgan_quality.json"):
            args.out = "/tmp/osgan_quality_tiny.json"
    args.lr_d_grid = [float(v) for v in args.lr_d_grid.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    device = torch.device(args.device)

    splits = images32(args.dataset)
    x_all, y_all = splits["train"]
    x_test, _ = splits["test"]
    n_val = min(args.n_val, len(x_all) // 5)
    x_train, y_train, x_val = x_all[:-n_val], y_all[:-n_val], x_all[-n_val:]
    num_classes = int(y_all.max()) + 1
    torch.manual_seed(1234)
    n_cls = min(len(x_train), args.classifier_train)
    classifier = train_classifier(x_train[:n_cls], y_train[:n_cls], args.classifier_epochs,
                                  torch.Generator().manual_seed(1234), device)
    with torch.no_grad():
        pred = torch.cat([classifier(x_test[i:i + 1000].to(device)).argmax(1).cpu()
                          for i in range(0, len(x_test), 1000)])
    classifier_acc = float((pred == splits["test"][1]).float().mean())
    floor_eval = Evaluator(classifier, x_test, num_classes, args.n_eval, args.zdim, device, 0)
    real_floor = floor_eval.score_images(x_val[:args.n_eval])["fd_cls"]

    per_seed = {}
    for seed in seeds:
        per_seed[str(seed)] = run_seed(seed, args, (x_train, x_val, x_test, num_classes),
                                       classifier, device)
        print(f"seed {seed}: " + ", ".join(
            f"{k}: it {v['iters_done']} eqT {v['equal_time']['fd_test']:.2f} "
            f"eqI {v['equal_iters']['fd_test']:.2f}" for k, v in per_seed[str(seed)].items()),
            flush=True)

    names = list(per_seed[str(seeds[0])])

    def stat(name: str, when: str, key: str) -> dict:
        vals = [per_seed[str(s)][name][when][key] for s in seeds]
        return {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "values": vals}

    table = {n: {"fd_test_equal_time": stat(n, "equal_time", "fd_test"),
                 "fd_val_equal_time": stat(n, "equal_time", "fd_val"),
                 "fd_test_equal_iters": stat(n, "equal_iters", "fd_test"),
                 "fd_val_equal_iters": stat(n, "equal_iters", "fd_val"),
                 "covered_equal_time": stat(n, "equal_time", "covered"),
                 "iters_done": [per_seed[str(s)][n]["iters_done"] for s in seeds],
                 "ms_per_iter_median": [per_seed[str(s)][n]["ms_per_iter_median"] for s in seeds]}
             for n in names}
    os_names = [n for n in names if n.startswith("one-stage")]
    chosen = min(os_names, key=lambda n: table[n]["fd_val_equal_time"]["mean"])
    ts_t = np.array(table["two-stage"]["fd_test_equal_time"]["values"])
    os_t = np.array(table[chosen]["fd_test_equal_time"]["values"])
    speed = [per_seed[str(s)]["two-stage"]["ms_per_iter_median"]
             / per_seed[str(s)][chosen]["ms_per_iter_median"] for s in seeds]
    verdict = {
        "chosen_one_stage_arm_by_validation_fd": chosen,
        "fd_test_equal_time_two_stage": table["two-stage"]["fd_test_equal_time"],
        "fd_test_equal_time_one_stage": table[chosen]["fd_test_equal_time"],
        "paired_difference_one_minus_two_equal_time": {
            "mean": float(np.mean(os_t - ts_t)), "std": float(np.std(os_t - ts_t)),
            "one_stage_better_or_equal_seeds": int((os_t <= ts_t).sum())},
        "one_stage_at_least_as_good_on_mean": bool(os_t.mean() <= ts_t.mean()),
        "speedup_per_iter": speed,
    }
    write_result(args.out, record("osgan_quality", args, seeds=seeds,
                                  classifier_test_acc=classifier_acc,
                                  real_data_fd_test=real_floor, table=table, verdict=verdict,
                                  per_seed=per_seed))
    print(json.dumps(verdict, indent=2))


if __name__ == "__main__":
    main()
