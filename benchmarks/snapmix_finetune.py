"""SnapMix when fine-tuning a pretrained network, the paper's main setting (arXiv 2012.04846).

No ImageNet weights can be downloaded here, so the backbone is pretrained by us: the ``snapmix``
recipe's small ResNet (or ResNet-18) is trained without mixing on CIFAR-10 (mirror, 32 px), once,
and cached (``pretrained_state``). Every method then fine-tunes these weights, with a fresh head,
on flowers12 (12 species, 720 train / 240 test) at ``--image-size``: same initial weights, data
order, crops and schedule for every method, paired over seeds. The official fine-tuning setting
mixes every batch (prob 1) with Beta(5, 5) boxes for SnapMix; CutMix keeps its beta 3.
``--scratch-methods`` also trains those methods from random initialisation (same model, data,
epochs; ``--scratch-lr``) for reference. Final-epoch and best-epoch (on test) accuracy.

    python benchmarks/snapmix_finetune.py                       # CPU, about 20 CPU-minutes
    python benchmarks/snapmix_finetune.py --device cuda --arch resnet18 --image-size 224 \\
        --pretrain-epochs 30 --epochs 100 --methods none mixup cutmix snapmix \\
        --out benchmarks/results/snapmix_finetune_flowers12_gpu.json      # GPU session

Results are rewritten after every run (a stopped run keeps what finished) to
benchmarks/results/snapmix_finetune_flowers12.json.
"""

from __future__ import annotations

import json
import time

import torch

from harness import RESULTS, parse, parser, record, write_result
from snapmix_flowers_gpu import summarise
from tenfold.augment import paired_trainer
from tenfold.data.image_sets import tensor_image_set
from tenfold.runtime.io import cached_torch


def pretrained(dataset: str, arch: str, widths: tuple[int, ...], epochs: int, size: int,
               image_size: int, device: torch.device) -> tuple[dict, float]:
    """The architecture trained without mixing on ``dataset`` (seed 0, lr 0.1, batch 128, cosine,
    2000 test images), cached under the same key as the snapmix recipe's ``pretrained_state``."""
    settings = {"dataset": dataset, "arch": arch, "widths": tuple(widths), "epochs": epochs,
                "lr": 0.1, "batch_size": 128, "weight_decay": 5e-4, "train_size": size,
                "test_size": 2000, "version": 1}

    def build() -> dict:
        data = tensor_image_set(dataset, image_size, size, 2000).to(device)
        trainer = paired_trainer("none", data, seed=0, epochs=epochs, batch_size=128, lr=0.1,
                                 arch=arch, widths=tuple(widths), device=device).run()
        return {"state_dict": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()},
                "test_acc": trainer.metrics()["test_acc"]}

    blob = cached_torch("snapmix", f"pretrain-{dataset}", settings, build)
    return blob["state_dict"], float(blob["test_acc"])


def main() -> None:
    p = parser("snapmix_finetune", __doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--dataset", default="flowers12")
    p.add_argument("--pretrain", default="cifar10")
    p.add_argument("--pretrain-epochs", type=int, default=2)
    p.add_argument("--pretrain-size", type=int, default=0, help="0 = all images")
    p.add_argument("--arch", default="small", choices=["small", "resnet18"])
    p.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--image-size", type=int, default=48)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.02, help="fine-tuning learning rate")
    p.add_argument("--scratch-lr", type=float, default=0.05)
    p.add_argument("--mix-prob", type=float, default=1.0)
    p.add_argument("--methods", nargs="+", default=["none", "cutmix", "snapmix"])
    p.add_argument("--scratch-methods", nargs="*", default=["none", "snapmix"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.set_defaults(out=None)
    args = parse(p)
    device = torch.device(args.device)
    autocast = torch.bfloat16 if device.type == "cuda" else None
    out = args.out or RESULTS / f"snapmix_finetune_{args.dataset}.json"
    settings = dict(arch=args.arch, widths=tuple(args.widths), epochs=args.epochs,
                    batch_size=args.batch_size, prob=args.mix_prob, cutmix_beta=3.0,
                    snapmix_beta=5.0, mixup_alpha=1.0, weight_decay=5e-4, schedule="cosine")
    start_all = time.perf_counter()
    state, pretrain_acc = pretrained(args.pretrain, args.arch, args.widths,
                                     args.pretrain_epochs, args.pretrain_size, args.image_size,
                                     device)
    pretrain_s = time.perf_counter() - start_all
    print(f"pretrained on {args.pretrain}: test acc {100 * pretrain_acc:.1f} % "
          f"({pretrain_s:.0f} s, 0 if cached)", flush=True)
    data = tensor_image_set(args.dataset, args.image_size, 0, 0).to(device)
    plan = [("pretrained", m) for m in args.methods] + [("scratch", m)
                                                         for m in args.scratch_methods]
    rows: list[dict] = []
    for seed in args.seeds:
        for init, method in plan:
            t = time.perf_counter()
            trainer = paired_trainer(
                method, data, seed=seed, device=device, autocast_dtype=autocast,
                lr=args.lr if init == "pretrained" else args.scratch_lr,
                init_state=state if init == "pretrained" else None, **settings).run()
            metrics, step_s = trainer.metrics(), trainer.step_seconds
            rows.append({"seed": seed, "init": init, "method": method,
                         **{k: (100.0 * v if k.endswith("_acc") else v)
                            for k, v in metrics.items()},
                         "step_s": step_s, "run_s": time.perf_counter() - t})
            print(json.dumps(rows[-1]), flush=True)
            summary = {init: summarise([r for r in rows if r["init"] == init],
                                       args.methods if init == "pretrained"
                                       else args.scratch_methods)
                       for init in ("pretrained", "scratch")}
            result = record(
                "snapmix_finetune", args,
                protocol=f"pretrain {args.arch} without mixing on {args.pretrain} (seed 0, "
                         f"{args.pretrain_epochs} epochs, cached), fine-tune every layer "
                         f"with a new head on {args.dataset} at {args.image_size} px; "
                         "SGD nesterov 0.9, cosine lr, soft-target CE, one mixing coin per "
                         "batch; CutMix beta 3, SnapMix beta 5",
                pretrain_test_acc=100.0 * pretrain_acc, pretrain_s=pretrain_s,
                seeds=args.seeds, accuracy_unit="percent", rows=rows, summary=summary,
                total_s=time.perf_counter() - start_all)
            write_result(out, result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
