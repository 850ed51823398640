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

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from snapmix_flowers_gpu import summarise
from tenfold.recipes.snapmix import SnapMixConfig, load_images, pretrained_state, train_method
from tenfold.runtime.launch import machine_info

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dataset", default="flowers12")
    parser.add_argument("--pretrain", default="cifar10")
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--pretrain-size", type=int, default=0, help="0 = all images")
    parser.add_argument("--arch", default="small", choices=["small", "resnet18"])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--image-size", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.02, help="fine-tuning learning rate")
    parser.add_argument("--scratch-lr", type=float, default=0.05)
    parser.add_argument("--mix-prob", type=float, default=1.0)
    parser.add_argument("--methods", nargs="+", default=["none", "cutmix", "snapmix"])
    parser.add_argument("--scratch-methods", nargs="*", default=["none", "snapmix"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1 if args.device == "cpu" else torch.get_num_threads())
    device = torch.device(args.device)
    autocast = torch.bfloat16 if device.type == "cuda" else None
    out = args.out or RESULTS / f"snapmix_finetune_{args.dataset}.json"
    config = SnapMixConfig(dataset=args.dataset, arch=args.arch, widths=tuple(args.widths),
                           image_size=args.image_size, epochs=args.epochs,
                           batch_size=args.batch_size, lr=args.lr, mix_prob=args.mix_prob,
                           cutmix_beta=3.0, snapmix_beta=5.0, mixup_alpha=1.0,
                           label_fidelity=False, train_size=0, test_size=0,
                           pretrain_dataset=args.pretrain, pretrain_epochs=args.pretrain_epochs,
                           pretrain_size=args.pretrain_size)
    start_all = time.perf_counter()
    state, pretrain_acc = pretrained_state(config, device)
    pretrain_s = time.perf_counter() - start_all
    print(f"pretrained on {args.pretrain}: test acc {100 * pretrain_acc:.1f} % "
          f"({pretrain_s:.0f} s, 0 if cached)", flush=True)
    data = load_images(args.dataset, args.image_size, 0, 0).to(device)
    scratch = SnapMixConfig(**{**vars(config), "lr": args.scratch_lr, "pretrain_dataset": ""})
    plan = [("pretrained", m) for m in args.methods] + [("scratch", m)
                                                         for m in args.scratch_methods]
    rows: list[dict] = []
    for seed in args.seeds:
        for init, method in plan:
            t = time.perf_counter()
            _, metrics, step_s = train_method(
                method, config if init == "pretrained" else scratch, data, device, seed,
                autocast_dtype=autocast, init_state=state if init == "pretrained" else None)
            rows.append({"seed": seed, "init": init, "method": method,
                         **{k: (100.0 * v if k.endswith("_acc") else v)
                            for k, v in metrics.items()},
                         "step_s": step_s, "run_s": time.perf_counter() - t})
            print(json.dumps(rows[-1]), flush=True)
            summary = {init: summarise([r for r in rows if r["init"] == init],
                                       args.methods if init == "pretrained"
                                       else args.scratch_methods)
                       for init in ("pretrained", "scratch")}
            result = {
                "benchmark": "snapmix_finetune",
                "command": "python " + " ".join(sys.argv),
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "settings": {k: (str(v) if isinstance(v, Path) else v)
                             for k, v in vars(args).items()},
                "protocol": f"pretrain {args.arch} without mixing on {args.pretrain} (seed 0, "
                            f"{args.pretrain_epochs} epochs, cached), fine-tune every layer "
                            f"with a new head on {args.dataset} at {args.image_size} px; "
                            "SGD nesterov 0.9, cosine lr, soft-target CE, one mixing coin per "
                            "batch; CutMix beta 3, SnapMix beta 5",
                "pretrain_test_acc": 100.0 * pretrain_acc, "pretrain_s": pretrain_s,
                "seeds": args.seeds, "accuracy_unit": "percent", "rows": rows,
                "summary": summary, "total_s": time.perf_counter() - start_all,
                "machine": machine_info(),
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
