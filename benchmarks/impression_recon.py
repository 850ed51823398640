"""Which settings move impression reconstruction on digits: decoding steps, the TV prior, the
first-layer weight, jitter and template depth (the ``impression`` recipe's reconstruction
experiment only, one run per setting, paired over seeds).

Writes ``benchmarks/results/impression_recon.json``: per setting the recipe overrides, PSNR/SSIM
of the decoded test digits (mean ± std over seeds), the anchors (training-mean image, random
same-class image) and the paired difference of every setting against ``base``. Rewritten after
every setting.

    python benchmarks/impression_recon.py --seeds 0 1 2
    python benchmarks/impression_recon.py --tiny        # checks the script only
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import harness
from tenfold.runtime.launch import start_run
from tenfold.runtime.stats import mean_std, paired_difference

# the benchmark scale, pinned here (the recipe's ``quick`` preset is smaller)
PINNED = ["image_size=16", "train_subset=0", "template_widths=16,32,64", "template_epochs=6",
          "recon_steps=200", "decode_lr=0.1", "tv=0.001", "jitter=1", "first_layer_weight=10",
          "iterations_per_step=25"]

SETTINGS = {
    "base": [],                                           # 200 steps
    "steps1000": ["recon_steps=1000"],
    "steps1000-tv0": ["recon_steps=1000", "tv=0"],
    "steps1000-tv1e-2": ["recon_steps=1000", "tv=0.01"],
    "steps1000-first1x": ["recon_steps=1000", "first_layer_weight=1"],
    "steps1000-nojitter": ["recon_steps=1000", "jitter=0"],
    "steps1000-depth2": ["recon_steps=1000", "template_widths=16,32"],
    "steps1000-depth4": ["recon_steps=1000", "template_widths=16,32,64,128"],
}


def main() -> None:
    parser = harness.parser("impression_recon", __doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--only", nargs="*", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--tiny", action="store_true")
    args = harness.parse(parser)
    common = [*PINNED, "experiments=reconstruction", f"recon_images={args.images}",
              "ablation_layers=1"]
    preset = "quick"
    if args.tiny:
        preset, args.seeds, args.only = "smoke", [0], ["base", "steps1000-tv0"]
        common = ["experiments=reconstruction", "recon_images=2", "ablation_layers=1"]
        args.out = Path(tempfile.mkdtemp()) / "impression_recon.json"
    # "settings" holds the rows (one per setting), as the ledger's adapter reads them
    result = harness.record("impression_recon", args, preset=preset, common_overrides=common,
                            seeds=args.seeds, settings={})

    def write() -> None:
        harness.write_result(args.out, result)

    per_setting: dict[str, dict] = {}
    for name in args.only:
        overrides = common + SETTINGS[name]
        if args.tiny:
            overrides = [o.replace("1000", "6") for o in overrides]
        with tempfile.TemporaryDirectory() as runs:
            path = start_run("impression", preset=preset, seeds=args.seeds,
                             overrides=overrides, out=runs, device="cpu")
            per_seed = json.loads((path / "summary.json").read_text())["per_seed"]
        per_setting[name] = per_seed
        row = {"overrides": SETTINGS[name], "per_seed": per_seed}
        for method in ("impression", "mean-image", "same-class"):
            row[method] = {k: mean_std([per_seed[s][method][k] for s in per_seed])
                           for k in ("recon_psnr", "recon_ssim")}
        row["template_acc"] = mean_std([per_seed[s]["impression"]["template_acc"]
                                        for s in per_seed])
        if name != "base" and "base" in per_setting:
            base = per_setting["base"]
            row["vs_base"] = {k: paired_difference(
                [per_seed[s]["impression"][k] for s in per_seed],
                [base[s]["impression"][k] for s in per_seed]) for k in ("recon_psnr",
                                                                         "recon_ssim")}
        result["settings"][name] = row
        write()
        print(name, {k: round(v["mean"], 3) for k, v in row["impression"].items()}, flush=True)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
