"""Impression space (arXiv 2007.05441): all four experiments over seeds, paired, on digits or
CIFAR-10.

Runs the ``impression`` recipe through the runtime (one template, verifier and set of decodings
per seed) with settings pinned here (``PINNED``; never the preset's values) and writes
``benchmarks/results/impression[_cifar10].json``: every metric's mean ± std over seeds per
method, the per-seed values and the paired comparisons of the issue's targets:

* retrieval: every impression view − penultimate, impression − pixels (LOO 1-NN accuracy);
* reconstruction: impression − mean image, impression − same-class image (PSNR, SSIM), and the
  per-layer ablation;
* translation: verifier success and SSIM to the source, impression − each CE-only baseline;
* synthesis: student accuracy, impression − DeepInversion-style, impression − noise, and the gap
  real − impression;

then (``--decode-steps`` > 0) the wall time of ``decode`` of 64 images at 1,000 steps (one torch
thread; a template of the pinned architecture with BN statistics set by one pass over the
training images — the cost does not depend on the weights). Rewritten after every stage.

    python benchmarks/impression.py --seeds 0 1 2
    python benchmarks/impression.py --dataset cifar10 --seeds 0 1 2 --decode-steps 0
    python benchmarks/impression.py --tiny            # checks the script only (smoke preset)
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import harness
from tenfold.runtime.launch import start_run
from tenfold.runtime.stats import mean_std, paired_difference

# the settings of each dataset's run, pinned (the recipe's ``quick`` may shrink independently)
PINNED = {
    "digits": ["image_size=16", "template_widths=16,32,64", "template_epochs=6",
               "verifier_widths=16,32", "verifier_epochs=6", "train_subset=0",
               "retrieval_images=360", "recon_images=16", "recon_steps=200",
               "ablation_layers=1,3", "translate_pairs=1-7,3-8,0-6", "translate_images=8",
               "translate_steps=200", "translate_lr=0.02", "ce_lr_scales=1,5",
               "synth_per_class=10", "synth_steps=150", "student_epochs=40",
               "iterations_per_step=25"],
    # CIFAR-10 down-sampled to 16 px: the template ``c10-16px-e8`` of
    # benchmarks/impression_retrieval.py (10,000 training images, 8 epochs, one CPU thread);
    # small decoding budgets (the cost is per pixel)
    "cifar10": ["image_size=16", "template_widths=16,32,64", "template_epochs=8",
                "verifier_widths=16,32", "verifier_epochs=8", "train_subset=10000",
                "retrieval_images=1000", "recon_images=8", "recon_steps=200",
                "ablation_layers=1,3", "translate_pairs=3-5,1-9,0-8", "translate_images=8",
                "translate_steps=200", "translate_lr=0.02", "ce_lr_scales=1,5",
                "synth_per_class=10", "synth_steps=100", "student_epochs=40",
                "iterations_per_step=25"],
}


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
    out: dict[str, dict] = {
        "retrieval": {f"{m}-penultimate": diff(m, "penultimate", "retrieval_1nn")
                      for m in methods if m.startswith("impression")
                      and "retrieval_1nn" in methods[m]},
        "reconstruction": {f"impression-{anchor}:{metric}": diff("impression", anchor, metric)
                           for anchor in ("mean-image", "same-class")
                           for metric in ("recon_psnr", "recon_ssim")},
        "translation": {},
        "synthesis": {"impression-deepinversion": diff("impression", "deepinversion",
                                                       "student_acc"),
                      "impression-noise": diff("impression", "noise", "student_acc"),
                      "real-impression": diff("real", "impression", "student_acc")},
    }
    out["retrieval"]["impression-pixels"] = diff("impression", "pixels", "retrieval_1nn")
    for m in methods:
        if m.startswith("ce-only"):
            for metric in ("translate_verifier", "translate_ssim"):
                out["translation"][f"impression-{m}:{metric}"] = diff("impression", m, metric)
        if m.startswith("impression-first"):
            for metric in ("recon_psnr", "recon_ssim"):
                out["reconstruction"][f"impression-{m}:{metric}"] = diff("impression", m, metric)
    return out


def decode_timing(dataset: str, widths: tuple[int, ...], size: int, images: int,
                  steps: int) -> dict:
    """Wall and CPU seconds of decoding ``images`` images from noise at ``steps`` steps, on the
    template architecture ``widths`` whose BN statistics are set by one pass over 2,000 training
    images (the cost does not depend on the weights)."""
    from tenfold.data.tensor_images import image_tensors
    from tenfold.impression import TemplateNetwork, decode, template_classifier

    x, _ = image_tensors(dataset)["train"]
    x = F.interpolate(x.float(), size=(size, size), mode="bilinear",
                      align_corners=False).clamp(0, 1)[:2000]
    torch.manual_seed(0)
    net = template_classifier(widths, x)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    net.train()
    with torch.no_grad():
        net(x)
    template = TemplateNetwork(net)
    target = template.encode(x[:images])
    start, cpu = time.perf_counter(), time.process_time()
    decode(template, target, "noise", image_shape=tuple(x.shape[1:]), steps=steps,
           iterations_per_step=steps, generator=torch.Generator().manual_seed(0),
           first_layer_weight=10.0, tv=1e-3, jitter=1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"images": images, "steps": steps, "seconds": seconds, "cpu_seconds": cpu,
            "ms_per_step": 1000 * seconds / steps, "threads": torch.get_num_threads(),
            "architecture": f"SmallResNet{widths}, {size}x{size} px"}


def _setting(pinned: list[str], key: str) -> str:
    return next(v.split("=", 1)[1] for v in pinned if v.startswith(key + "="))


def main() -> None:
    parser = harness.parser("impression", __doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dataset", choices=sorted(PINNED), default="digits")
    parser.add_argument("--set", nargs="*", default=[], help="more recipe overrides key=value")
    parser.add_argument("--decode-images", type=int, default=64)
    parser.add_argument("--decode-steps", type=int, default=1000, help="0: no timing")
    parser.add_argument("--tiny", action="store_true", help="smoke preset, 1 seed, short timing")
    args = harness.parse(parser)
    preset, overrides = "quick", [*PINNED[args.dataset], *args.set]
    if args.tiny:
        preset, overrides, args.seeds = "smoke", list(args.set), [0]
        args.decode_images, args.decode_steps = 4, min(args.decode_steps, 10)
        args.out = Path(tempfile.mkdtemp()) / "impression.json"
    elif args.out == harness.RESULTS / "impression.json" and args.dataset != "digits":
        args.out = harness.RESULTS / f"impression_{args.dataset}.json"
    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        path = start_run("impression", preset=preset, seeds=args.seeds, overrides=overrides,
                         dataset=args.dataset, out=runs, device="cpu")
        summary = json.loads((path / "summary.json").read_text())
        timings = json.loads((path / "timings.json").read_text()) \
            if (path / "timings.json").exists() else {}
        wall = time.perf_counter() - start
    per_seed = summary["per_seed"]
    fields = {"dataset": args.dataset, "preset": preset, "overrides": overrides,
              "recipe_wall_s": wall, "timings": timings,
              "aggregate": {m: {k: mean_std([per_seed[s][m][k] for s in per_seed
                                             if k in per_seed[s].get(m, {})])
                                for k in metrics}
                            for m, metrics in per_seed[str(args.seeds[0])].items()},
              "paired": comparisons(per_seed)}
    out = harness.result("impression", args, per_seed=harness.per_seed_of(summary),
                         seeds=args.seeds, settings={"recipe": summary["settings"]}, **fields)
    harness.write_result(args.out, out)
    if args.decode_steps > 0:
        widths = tuple(int(w) for w in _setting(PINNED[args.dataset], "template_widths")
                       .split(","))
        size = int(_setting(PINNED[args.dataset], "image_size"))
        out["decode_timing"] = decode_timing(args.dataset, widths, size, args.decode_images,
                                             args.decode_steps)
        harness.write_result(args.out, out)
    print(json.dumps({"paired": out["paired"], "decode": out.get("decode_timing")}, indent=1))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
