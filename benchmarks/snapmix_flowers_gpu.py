"""SnapMix on flowers12 at 224 px, ResNet-18 from scratch, one GPU (arXiv 2012.04846).

The paper's from-scratch regime (official README: ResNet-18 on CUB from scratch, prob 0.5,
64.98 -> 70.31) at the scale of the 12-species Oxford-Flowers subset (720 train / 240 test):
no mixing vs MixUp vs CutMix vs SnapMix under the same model, initial weights, data order, crops
and schedule, paired over seeds. The JPEGs are decoded once into a uint8 tensor on the device;
random 224 crops of the 256 px images and flips are done on the device. bf16 autocast and
channels_last on CUDA. Reports final-epoch and best-epoch test accuracy (the official code
reports the best epoch on the test set; we select on the final epoch).

    python benchmarks/snapmix_flowers_gpu.py --device cuda          # about 4-5 min on one H100
    python benchmarks/snapmix_flowers_gpu.py --tiny                 # CPU check, seconds

Results are written after every run (a cut-off run keeps what finished) to
benchmarks/results/snapmix_flowers_gpu.json (``--tiny``: snapmix_flowers_gpu_tiny.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from tenfold.recipes.snapmix import SnapMixConfig, TensorImages, load_images, train_method
from tenfold.runtime.launch import machine_info

RESULTS = Path(__file__).parent / "results"


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--methods", nargs="+", default=["none", "cutmix", "snapmix", "mixup"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--mix-prob", type=float, default=0.5)
    parser.add_argument("--beta", type=float, default=1.0,
                        help="Beta(beta, beta) for CutMix and SnapMix boxes and MixUp")
    parser.add_argument("--max-minutes", type=float, default=5.8,
                        help="skip a run that would end after this many minutes (estimated "
                             "from the longest run so far)")
    parser.add_argument("--tiny", action="store_true",
                        help="CPU check: 32 px, 1 epoch, 64/32 images")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    start_all = time.perf_counter()
    if args.tiny:
        args.image_size, args.epochs, args.batch_size = 32, 1, 16
    out = args.out or RESULTS / ("snapmix_flowers_gpu_tiny.json" if args.tiny
                                 else "snapmix_flowers_gpu.json")
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    else:
        torch.set_num_threads(min(torch.get_num_threads(), 16))
    config = SnapMixConfig(dataset="flowers12", arch="resnet18", epochs=args.epochs,
                           batch_size=args.batch_size, lr=args.lr,
                           weight_decay=args.weight_decay, schedule="cosine",
                           image_size=args.image_size, mix_prob=args.mix_prob,
                           mixup_alpha=args.beta, cutmix_beta=args.beta,
                           snapmix_beta=args.beta, label_fidelity=False)
    t0 = time.perf_counter()
    data: TensorImages = load_images("flowers12", args.image_size, 64 if args.tiny else 0,
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
            _, metrics, step_s = train_method(method, config, data, device, seed,
                                              autocast_dtype=autocast)
            metrics = {k: (100.0 * v if k.endswith("_acc") else v) for k, v in metrics.items()}
            rows.append({"seed": seed, "method": method, **metrics, "step_s": step_s,
                         "run_s": time.perf_counter() - t})
            print(json.dumps(rows[-1]), flush=True)
            result = {
                "benchmark": "snapmix_flowers_gpu",
                "command": "python " + " ".join(sys.argv),
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "settings": {k: (str(v) if isinstance(v, Path) else v)
                             for k, v in vars(args).items()},
                "protocol": "flowers12 (720 train / 240 test), torchvision resnet18(weights=None),"
                            " images resized to 8/7 x size, random crop + flip, SGD nesterov 0.9,"
                            " cosine lr, soft-target CE, one mixing coin per batch",
                "seeds": args.seeds, "accuracy_unit": "percent", "rows": rows,
                "skipped": skipped,
                "summary": summarise(rows, args.methods),
                "decode_s": decode_s, "total_s": time.perf_counter() - start_all,
                "machine": machine_info(),
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summarise(rows, args.methods), indent=1))
    if skipped:
        print(f"skipped (time limit): {skipped}", file=sys.stderr)


if __name__ == "__main__":
    main()
