"""The two scales of UDOR's visual-integrity error on the benchmark's test canvases.

For each layout and seed, the test canvases of ``benchmarks/udor.py`` (the ``BENCH`` data
settings, shared by every regime there) are rebuilt from the recipe's data stream and scored
without any model:

* ``do_nothing``: the error of returning the input unchanged, ``255 · mean |x − x^{−c}|``;
* ``empty``: the error of returning an empty canvas for every removal, ``255 · mean |x^{−c}|``
  (a removal above it is worse than erasing everything);
* ``empty_rec_mae``: the reconstruction MAE of an empty canvas, ``255 · mean |x|`` (a model
  whose reconstruction MAE equals it has collapsed to an empty output).

Writes ``benchmarks/results/udor_scales.json``; with ``--check FILE`` the ``do_nothing`` values
must equal that results file's per-seed ``do_nothing_error`` (the canvases are the same).

    python benchmarks/udor_scales.py --seeds 0 1 2 --check benchmarks/results/udor_long.json
"""

from __future__ import annotations

from pathlib import Path

from harness import parse, parser, read_json, record, write_result
from tenfold.recipes.udor import UDORConfig, digit_pools, make_canvases
from tenfold.runtime.seeding import make_generator, stream_seed
from tenfold.udor import metrics
from udor import BENCH


def scales(slots: str, seed: int) -> dict[str, float]:
    """The scales of one layout and seed (the recipe's ``ctx.generator(0)`` stream)."""
    config = UDORConfig(dataset="mnist", slots=slots, num_train=int(BENCH["num_train"]),
                        num_test=int(BENCH["num_test"]),
                        modularity_groups=int(BENCH["modularity_groups"]),
                        group_size=int(BENCH["group_size"]))
    pools = digit_pools(config.dataset, tuple(config.classes), config.object_size)
    test = make_canvases(config, pools, make_generator(stream_seed(seed, 0)))["test"]
    vis = metrics.visual_integrity(test.removed, test.removed, test.present, test.images)
    return {"do_nothing": vis["do_nothing"], "empty": vis["empty"],
            "empty_rec_mae": float(255 * test.images.abs().mean())}


def main(argv: list[str] | None = None) -> None:
    p = parser("udor_scales", __doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--slots", nargs="+", default=["fixed", "offset"])
    p.add_argument("--check", type=Path, default=None)
    args = parse(p, argv)
    check = read_json(args.check)["layouts"] if args.check else {}
    layouts = {}
    for slots in args.slots:
        per_seed = {str(s): scales(slots, s) for s in args.seeds}
        for s, v in per_seed.items():
            ref = check.get(slots, {}).get("per_seed", {}).get(s)
            if ref is not None:
                expected = next(iter(ref.values()))["do_nothing_error"]
                if abs(expected - v["do_nothing"]) > 1e-4:
                    raise SystemExit(f"{slots} seed {s}: do nothing {v['do_nothing']:.4f} here, "
                                     f"{expected:.4f} in {args.check}: not the same canvases")
        layouts[slots] = {"per_seed": per_seed}
        for s, v in per_seed.items():
            print(f"{slots} seed {s}: " + "  ".join(f"{k} {x:.2f}" for k, x in v.items()))
    write_result(args.out, record("udor_scales", args, data=dict(BENCH), layouts=layouts,
                                  checked_against=str(args.check) if args.check else None))


if __name__ == "__main__":
    main()
