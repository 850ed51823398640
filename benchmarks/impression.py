"""Impression space (arXiv 2007.05441) on digits: all four experiments over seeds, paired.

Runs the ``impression`` recipe through the runtime (one template, verifier and set of decodings
per seed) and writes ``benchmarks/results/impression.json``: every metric's mean ± std over seeds
per method, the per-seed values and the paired comparisons of the issue's targets:

* retrieval: impression − penultimate, impression − pixels (LOO 1-NN accuracy);
* reconstruction: impression − mean image, impression − same-class image (PSNR, SSIM), and the
  per-layer ablation;
* translation: verifier success and SSIM to the source, impression − each CE-only baseline;
* synthesis: student accuracy, impression − DeepInversion-style, impression − noise, and the gap
  real − impression;

then the wall time of ``decode`` of 64 digits at 1,000 steps (one torch thread; a template of
the recipe's architecture with BN statistics set by one pass over the training digits — the
cost does not depend on the weights). The file is rewritten after every stage.

    python benchmarks/impression.py --seeds 0 1 2
    python benchmarks/impression.py --tiny            # checks the script only (smoke preset)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F

from tenfold.runtime.launch import machine_info, start_run
from tenfold.runtime.stats import mean_std, paired_difference

RESULTS = Path(__file__).resolve().parent / "results"


def comparisons(per_seed: dict[str, dict]) -> dict[str, dict]:
    seeds = sorted(per_seed)

    def diff(a: str, b: str, metric: str) -> dict:
        pairs = [(per_seed[s][a][metric], per_seed[s][b][metric]) for s in seeds
                 if metric in per_seed[s].get(a, {}) and metric in per_seed[s].get(b, {})]
        if not pairs:
            return {}
        x, y = zip(*pairs, strict=True)
        return {**paired_difference(x, y), "per_seed": [u - v for u, v in pairs]}

    methods = per_seed[seeds[0]]
    out = {
        "retrieval": {"impression-penultimate": diff("impression", "penultimate",
                                                     "retrieval_1nn"),
                      "impression-pixels": diff("impression", "pixels", "retrieval_1nn")},
        "reconstruction": {f"impression-{anchor}:{metric}": diff("impression", anchor, metric)
                           for anchor in ("mean-image", "same-class")
                           for metric in ("recon_psnr", "recon_ssim")},
        "translation": {},
        "synthesis": {"impression-deepinversion": diff("impression", "deepinversion",
                                                       "student_acc"),
                      "impression-noise": diff("impression", "noise", "student_acc"),
                      "real-impression": diff("real", "impression", "student_acc")},
    }
    for m in methods:
        if m.startswith("ce-only"):
            for metric in ("translate_verifier", "translate_ssim"):
                out["translation"][f"impression-{m}:{metric}"] = diff("impression", m, metric)
        if m.startswith("impression-first"):
            for metric in ("recon_psnr", "recon_ssim"):
                out["reconstruction"][f"impression-{m}:{metric}"] = diff("impression", m, metric)
    return out


def decode_timing(images: int, steps: int) -> dict:
    """Wall time of decoding ``images`` digits at ``steps`` steps (one thread)."""
    from tenfold.augment.models import SmallResNet
    from tenfold.data.tensor_images import image_tensors
    from tenfold.impression import TemplateNetwork, decode
    from tenfold.recipes.impression import ImpressionConfig, Standardize

    config = ImpressionConfig()
    x, _ = image_tensors("digits")["train"]
    x = F.interpolate(x, size=(config.image_size,) * 2, mode="bilinear",
                      align_corners=False).clamp(0, 1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(Standardize(x.mean((0, 2, 3)), x.std((0, 2, 3))),
                              SmallResNet(10, config.template_widths, 1))
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    net.train()
    with torch.no_grad():
        net(x)
    template = TemplateNetwork(net)
    target = template.encode(x[:images])
    start = time.perf_counter()
    decode(template, target, "noise", image_shape=tuple(x.shape[1:]), steps=steps,
           iterations_per_step=steps, generator=torch.Generator().manual_seed(0),
           first_layer_weight=config.first_layer_weight, tv=config.tv, jitter=config.jitter)
    seconds = time.perf_counter() - start
    return {"images": images, "steps": steps, "seconds": seconds,
            "ms_per_step": 1000 * seconds / steps, "threads": torch.get_num_threads(),
            "architecture": f"SmallResNet{config.template_widths}, "
                            f"{config.image_size}x{config.image_size} px"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", nargs="*", default=[], help="recipe overrides key=value")
    parser.add_argument("--decode-images", type=int, default=64)
    parser.add_argument("--decode-steps", type=int, default=1000)
    parser.add_argument("--tiny", action="store_true", help="smoke preset, 1 seed, short timing")
    parser.add_argument("--out", type=Path, default=RESULTS / "impression.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.tiny:
        args.preset, args.seeds, args.decode_images, args.decode_steps = "smoke", [0], 4, 10
        args.out = Path(tempfile.mkdtemp()) / "impression.json"
    result: dict = {"command": "python " + shlex.join(sys.argv), "preset": args.preset,
                    "overrides": args.set, "seeds": args.seeds, "machine": machine_info(),
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    def write() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
        tmp.replace(args.out)

    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        path = start_run("impression", preset=args.preset, seeds=args.seeds,
                         overrides=args.set, out=runs, device="cpu")
        summary = json.loads((path / "summary.json").read_text())
        timings = json.loads((path / "timings.json").read_text()) \
            if (path / "timings.json").exists() else {}
        result["recipe_wall_s"] = time.perf_counter() - start
    per_seed = summary["per_seed"]
    result["settings"] = summary["settings"]
    result["aggregate"] = {m: {k: mean_std([per_seed[s][m][k] for s in per_seed
                                            if k in per_seed[s].get(m, {})])
                               for k in metrics}
                           for m, metrics in per_seed[str(args.seeds[0])].items()}
    result["per_seed"] = per_seed
    result["paired"] = comparisons(per_seed)
    result["timings"] = timings
    write()
    result["decode_timing"] = decode_timing(args.decode_images, args.decode_steps)
    write()
    print(json.dumps({"paired": result["paired"], "decode": result["decode_timing"]}, indent=1))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
