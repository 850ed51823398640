"""Retrieval in impression space vs penultimate features vs pixels, per template (depth and
training length), on digits or CIFAR-10: the ``impression`` recipe's retrieval experiment only,
paired over seeds.

Every impression view the recipe scores is reported (z-scored mean+std of all BN layers =
``impression``; ``-raw`` not standardised; ``-mean`` means only; ``-logstd`` log σ; ``-balanced``
every layer's block scaled to equal weight; ``-last`` the last stage's BN layers only;
``-selected`` the view with the best LOO 1-NN accuracy on training images, then scored on the
test images), each paired against ``penultimate`` (the template's pooled features, raw).

Writes ``benchmarks/results/impression_retrieval[_cifar10].json``, rewritten after every template
(templates measured by an earlier invocation stay, each with its own command):

    python benchmarks/impression_retrieval.py --seeds 0 1 2
    python benchmarks/impression_retrieval.py --dataset cifar10 --seeds 0 1 2 \
        --templates c10-16px-e4 c10-16px-e8 c10-16px-depth4-e8 c10-32px-e4 c10-32px-e8 \
        c10-32px-25k-e8 c10-16px-50k-e8 c10-16px-50k-e15
"""

from __future__ import annotations

import json
import tempfile

import harness
from tenfold.runtime.launch import start_run
from tenfold.runtime.stats import mean_std, paired_difference

# name -> recipe settings pinned here (never the preset's values)
TEMPLATES = {
    "depth2": ["template_widths=16,32"],
    "depth3": ["template_widths=16,32,64"],
    "depth3-e15": ["template_widths=16,32,64", "template_epochs=15"],
    "depth4": ["template_widths=16,32,64,128"],
    "c10-16px-e4": ["image_size=16", "template_widths=16,32,64", "train_subset=5000",
                    "template_epochs=4"],
    "c10-16px-e8": ["image_size=16", "template_widths=16,32,64", "train_subset=10000",
                    "template_epochs=8"],
    "c10-16px-depth4-e8": ["image_size=16", "template_widths=16,32,64,128",
                           "train_subset=10000", "template_epochs=8"],
    "c10-32px-e4": ["image_size=32", "template_widths=16,32,64", "train_subset=5000",
                    "template_epochs=4"],
    "c10-32px-e8": ["image_size=32", "template_widths=16,32,64", "train_subset=10000",
                    "template_epochs=8"],
    "c10-32px-25k-e8": ["image_size=32", "template_widths=16,32,64", "train_subset=25000",
                        "template_epochs=8"],
    "c10-16px-50k-e8": ["image_size=16", "template_widths=16,32,64", "train_subset=0",
                        "template_epochs=8"],
    "c10-16px-50k-e15": ["image_size=16", "template_widths=16,32,64", "train_subset=0",
                         "template_epochs=15"],
}
COMMON = {"digits": ["image_size=16", "train_subset=0", "retrieval_images=360",
                     "template_epochs=6", "lr=0.002",
                     "batch_size=64"],
          "cifar10": ["retrieval_images=1000", "lr=0.002", "batch_size=64"]}


def main() -> None:
    parser = harness.parser("impression_retrieval", __doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dataset", choices=sorted(COMMON), default="digits")
    parser.add_argument("--templates", nargs="+", choices=sorted(TEMPLATES),
                        default=["depth2", "depth3", "depth3-e15", "depth4"])
    args = harness.parse(parser)
    if args.out == harness.RESULTS / "impression_retrieval.json" and args.dataset != "digits":
        args.out = harness.RESULTS / f"impression_retrieval_{args.dataset}.json"
    result = harness.record("impression_retrieval", args, dataset=args.dataset,
                            seeds=args.seeds, templates={})
    if args.out.exists():      # keep the templates measured by earlier invocations
        earlier = harness.read_json(args.out)
        if earlier.get("dataset") == args.dataset:
            result["templates"] = {k: v for k, v in earlier.get("templates", {}).items()
                                   if k not in args.templates}
    for name in args.templates:
        overrides = ["experiments=retrieval", *COMMON[args.dataset], *TEMPLATES[name]]
        with tempfile.TemporaryDirectory() as runs:
            path = start_run("impression", preset="quick", seeds=args.seeds, out=runs,
                             dataset=args.dataset, device="cpu", overrides=overrides)
            per_seed = json.loads((path / "summary.json").read_text())["per_seed"]
        seeds = sorted(per_seed)
        methods = [m for m in per_seed[seeds[0]] if "retrieval_1nn" in per_seed[seeds[0]][m]]

        def values(method: str, per_seed=per_seed, seeds=seeds) -> list[float]:
            return [per_seed[s][method]["retrieval_1nn"] for s in seeds]
        entry = {"command": result["command"], "date": result["date"], "overrides": overrides,
                 "template_acc": mean_std([per_seed[s]["impression"]["template_acc"]
                                           for s in seeds]),
                 "retrieval_1nn": {m: mean_std(values(m)) for m in methods},
                 "minus_penultimate": {m: paired_difference(values(m), values("penultimate"))
                                       for m in methods if m.startswith("impression")},
                 "selected_view": [per_seed[s]["impression-selected"]["selected_view"]
                                   for s in seeds],
                 "per_seed": per_seed}
        result["templates"][name] = entry
        harness.write_result(args.out, result)
        print(name, f"template {entry['template_acc']['mean']:.3f}",
              {m: round(v["mean"], 4) for m, v in entry["retrieval_1nn"].items()}, flush=True)


if __name__ == "__main__":
    main()
