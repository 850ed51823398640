"""SnapMix on flowers12 at 224 px, ResNet-18 from scratch, one GPU (arXiv 2012.04846).

The paper's from-scratch regime (official README: ResNet-18 on CUB from scratch, prob 0.5,
64.98 -> 70.31) at the scale of the 12-species Oxford-Flowers subset (720 train / 240 test):
no mixing vs MixUp vs CutMix vs SnapMix under the same model, initial weights, data order, crops
and schedule, paired over seeds. The JPEGs are decoded once into a uint8 tensor on the device;
random 224 crops of the 256 px images and flips are done on the device. bf16 autocast and
channels_last on CUDA. Reports final-epoch and best-epoch test accuracy (the official code
reports the best epoch on the test set; we select on the final epoch).

    python benchmarks/snapmix_flowers_gpu.py --device cuda --threads 16  # about 4-5 min on one H100
    python benchmarks/snapmix_flowers_gpu.py --tiny                 # CPU check, seconds

Results are written after every run (a cut-off run keeps what finished) to
benchmarks/results/snapmix_flowers_gpu.json (``--tiny``: snapmix_flowers_gpu_tiny.json).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import torch

from harness import RESULTS, parse, parser, record, write_result
from tenfold.augment import paired_trainer
from tenfold.data.image_sets import tensor_image_set


def summarise(rows: list[dict], methods: list[str]) -> dict:
    out = {}
    base = {r["seed"]: r for r in rows if r["method"] == "none"}
    for method in methods:
        sel = [r for r in rows if r["method"] == method]
        if not sel:
            continue
        entry = {}
        for key in ("test_acc", "best_test_acc"):
            vals = [r[key] for r in sel]
            entry[key] = {"mean": statistics.fmean(vals),
                          "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                          "values": vals}
            diffs = [r[key] - base[r["seed"]][key] for r in sel if r["seed"] in base]
            if method != "none" and diffs:
                entry[f"{key}_minus_none"] = {"mean": statistics.fmean(diffs), "values": diffs}
        entry["step_s_median"] = statistics.median(r["step_s"] for r in sel)
        out[method] = entry
    if "none" in out:
        for entry in out.values():
            entry["step_cost_vs_none"] = entry["step_s_median"] / out["none"]["step_s_median"]
    return out


def main() -> None:
    p = parser("snapmix_flowers_gpu", __doc__.split("\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--methods", nargs="+", default=["none", "cutmix", "snapmix", "mixup"])
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--mix-prob", type=float, default=0.5)
    p.add_argument("--beta", type=float, default=1.0,
                   help="Beta(beta, beta) for CutMix and SnapMix boxes and MixUp")
    p.add_argument("--max-minutes", type=float, default=5.8,
                   help="skip a run that would end after this many minutes (estimated "
                        "from the longest run so far)")
    p.add_argument("--tiny", action="store_true",
                   help="CPU check: 32 px, 1 epoch, 64/32 images")
    p.set_defaults(out=None)
    args = parse(p)
    start_all = time.perf_counter()
    if args.tiny:
        args.image_size, args.epochs, args.batch_size = 32, 1, 16
    out = args.out or RESULTS / ("snapmix_flowers_gpu_tiny.json" if args.tiny
                                 else "snapmix_flowers_gpu.json")
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    settings = dict(arch="resnet18", epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                    weight_decay=args.weight_decay, schedule="cosine", prob=args.mix_prob,
                    mixup_alpha=args.beta, cutmix_beta=args.beta, snapmix_beta=args.beta)
    t0 = time.perf_counter()
    data = tensor_image_set("flowers12", args.image_size, 64 if args.tiny else 0,
                            32 if args.tiny else 0).to(device)
    decode_s = time.perf_counter() - t0
    print(f"decoded {tuple(data.train_x.shape)} train / {tuple(data.test_x.shape)} test in "
          f"{decode_s:.1f}s", flush=True)
    rows, skipped = [], []
    autocast = torch.bfloat16 if device.type == "cuda" else None
    for seed in args.seeds:
        for method in args.methods:
            longest = max((r["run_s"] for r in rows), default=0.0)
            if (time.perf_counter() - start_all + 1.1 * longest) / 60 > args.max_minutes:
                skipped.append({"seed": seed, "method": method})
                continue
            t = time.perf_counter()
            trainer = paired_trainer(method, data, seed=seed, device=device,
                                     autocast_dtype=autocast, **settings).run()
            metrics, step_s = trainer.metrics(), trainer.step_seconds
            metrics = {k: (100.0 * v if k.endswith("_acc") else v) for k, v in metrics.items()}
            rows.append({"seed": seed, "method": method, **metrics, "step_s": step_s,
                         "run_s": time.perf_counter() - t})
            print(json.dumps(rows[-1]), flush=True)
            result = record(
                "snapmix_flowers_gpu", args,
                protocol="flowers12 (720 train / 240 test), torchvision resnet18(weights=None),"
                         " images resized to 8/7 x size, random crop + flip, SGD nesterov 0.9,"
                         " cosine lr, soft-target CE, one mixing coin per batch",
                seeds=args.seeds, accuracy_unit="percent", rows=rows, skipped=skipped,
                summary=summarise(rows, args.methods), decode_s=decode_s,
                total_s=time.perf_counter() - start_all)
            write_result(out, result)
    print(json.dumps(summarise(rows, args.methods), indent=1))
    if skipped:
        print(f"skipped (time limit): {skipped}", file=sys.stderr)


if __name__ == "__main__":
    main()
