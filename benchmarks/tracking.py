"""Tracking-by-counting against peaks + Hungarian and peaks + min-cost flow.

Sections (all by default; ``--sections`` picks some):

- ``synthetic``: synthetic crowds (32 x 32 cells, 20 frames, 10 % noise) at 10/20/40/60 targets,
  ``--seeds`` seeds: MOTA, IDF1, ID switches, FP, FN per method; the counting tracker chunked
  (10 frames, 5 look-ahead) and, at 40 and 60 targets, as one program over all 20 frames.
- ``scaling``: 20 targets, 50 -> 400 frames: solver time per frame and peak memory (each length
  in a fresh subprocess, ``VmHWM``), chunked, plus one program over 50 / 100 frames.
- ``pets``: PETS09-S2L1, all 795 frames, the public detections rendered as density (16-pixel
  cells): every method's MOTA/IDF1 and the counting tracker's wall time.
- ``tud``: TUD-Stadtmitte ground truth (from the motmetrics wheel) rendered as noisy density on
  20-pixel cells, ``--seeds`` noise seeds (semi-synthetic).
- ``pets_net``: a DensityFCN trained on the first half of PETS09-S2L1 against the ground-truth
  dots (``--net-epochs``), every method on its density maps of the second half.

Writes benchmarks/results/tracking.json after every section.
Run: ``OMP_NUM_THREADS=1 python benchmarks/tracking.py``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from harness import parse, parser, record, write_result
from tenfold.data.synthetic.crowds import synthetic_crowd
from tenfold.runtime.seeding import make_generator, stream_seed
from tenfold.track.density_net import DensityFCN, DensityTrainer
from tenfold.track.experiment import TRACKING_METHODS, make_trackers, run_tracker, score_tracks
from tenfold.track.scenes import pets_density, pets_network_data, tud_density

DENSITIES = (10, 20, 40, 60)
# every setting of the published runs, pinned here (not read from the recipe's defaults);
# --time-limit replaces time_limit
TRACKERS = dict(sigma=1.0, max_disp=2, node_thresh=0.3, window=4, stride=2, window_frames=1,
                node_cost=1.0, move_cost=0.15, enter_cost=2.0, border_cost=0.3,
                count_penalty=3.0, count_tolerance=0.5, time_limit=30.0, mip_gap=0.01,
                chunk_length=10, chunk_overlap=5, peak_thresh=0.4, gate=2.5, max_age=2)
MATCH = 2.0            # MOT match distance (cells)
PETS_CELL, TUD_CELL, NOISE = 16, 20, 0.1
NET = dict(width=16, lr=1e-3, batch_size=8, target_scale=100.0, train_fraction=0.5)


def trackers(time_limit: float, methods=TRACKING_METHODS, **changes) -> dict:
    return make_trackers(methods, **{**TRACKERS, "time_limit": time_limit, **changes})


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def mean_std(values) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
            "values": arr.tolist()}


def synthetic(seeds: list[int], time_limit: float) -> dict:
    methods = trackers(time_limit)
    whole = trackers(time_limit, ("counting",), chunk_length=0)["counting"]
    rows = {}
    for n in DENSITIES:
        per = {}
        for seed in seeds:
            crowd = synthetic_crowd(n, size=32, frames=20, noise=0.1, seed=seed)
            variants = dict(methods)
            if n >= 40:
                variants["counting_one_program"] = whole
            for name, tracker in variants.items():
                out, wall, cpu = timed(lambda t=tracker, d=crowd.density: run_tracker(t, d))
                m = score_tracks(crowd.tracks, out["tracks"], MATCH, 20)
                m.update(wall_s=wall, cpu_s=cpu, time_limited=out.get("time_limited", 0.0))
                per.setdefault(name, []).append(m)
                print(f"n={n} seed={seed} {name}: MOTA {m['mota']:.3f} IDF1 {m['idf1']:.3f} "
                      f"{wall:.1f}s", flush=True)
        rows[str(n)] = {name: {k: mean_std([r[k] for r in runs]) for k in runs[0]}
                        for name, runs in per.items()}
        c = [r["mota"] for r in per["counting"]]
        for base in ("peaks_hungarian", "peaks_flow"):
            diff = [a - r["mota"] for a, r in zip(c, per[base], strict=True)]
            rows[str(n)][f"counting_minus_{base}_mota"] = mean_std(diff)
            rows[str(n)][f"counting_above_{base}_every_seed"] = bool(min(diff) > 0)
    return rows


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``; unlike ``ru_maxrss`` it is not inherited
    from the parent across ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scaling_one(frames: int, chunk: int, time_limit: float) -> dict:
    crowd = synthetic_crowd(20, size=32, frames=frames, noise=0.1, seed=0)
    tracker = trackers(time_limit, ("counting",), chunk_length=chunk)["counting"]
    before = peak_rss_mb()
    res, wall, cpu = timed(lambda: tracker.track(crowd.density))
    m = score_tracks(crowd.tracks, res.tracks.tolist(), MATCH, frames)
    return {"frames": frames, "chunk_length": chunk, "wall_s": wall, "cpu_s": cpu,
            "solver_s": res.stats["lp_s"] + res.stats["mip_s"],
            "solver_s_per_frame": (res.stats["lp_s"] + res.stats["mip_s"]) / frames,
            "cpu_s_per_frame": cpu / frames, "chunks": res.stats["chunks"],
            "max_variables": res.stats["max_variables"],
            "time_limited": res.stats["status_limit"], "mota": m["mota"], "idf1": m["idf1"],
            "peak_rss_mb": peak_rss_mb(), "peak_rss_before_tracking_mb": before}


def scaling(time_limit: float) -> list[dict]:
    runs = [(f, 10) for f in (50, 100, 200, 400)] + [(50, 0), (100, 0)]
    out = []
    for frames, chunk in runs:
        proc = subprocess.run([sys.executable, __file__, "--scaling-one", str(frames), str(chunk),
                               "--time-limit", str(time_limit)], capture_output=True, text=True,
                              check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"frames={frames} chunk={chunk}: {row['solver_s_per_frame']:.3f} s/frame, "
              f"{row['peak_rss_mb']:.0f} MB", flush=True)
        out.append(row)
    return out


def pets(time_limit: float) -> dict:
    from tenfold.data import load_dataset

    seq = load_dataset("pets09-s2l1")
    density, gt, T = pets_density(seq, PETS_CELL, TRACKERS["sigma"])
    rows = {"frames": T, "cell_px": PETS_CELL, "match_threshold_px": MATCH * PETS_CELL}
    for name, tracker in trackers(time_limit).items():
        out, wall, cpu = timed(lambda t=tracker: run_tracker(t, density))
        m = score_tracks(gt, out["tracks"], MATCH, T)
        m.update(wall_s=wall, cpu_s=cpu, time_limited=out.get("time_limited", 0.0))
        rows[name] = m
        print(f"pets {name}: {m}", flush=True)
    return rows


def tud(seeds: list[int], time_limit: float) -> dict:
    from tenfold.data import load_dataset

    seq = load_dataset("tud-stadtmitte")
    per: dict[str, list] = {}
    for seed in seeds:
        density, gt, T = tud_density(seq, TUD_CELL, TRACKERS["sigma"], NOISE,
                                     torch.Generator().manual_seed(seed))
        for name, tracker in trackers(time_limit).items():
            out, wall, cpu = timed(lambda t=tracker, d=density: run_tracker(t, d))
            m = score_tracks(gt, out["tracks"], MATCH, T)
            m.update(wall_s=wall, cpu_s=cpu, time_limited=out.get("time_limited", 0.0))
            per.setdefault(name, []).append(m)
            print(f"tud seed={seed} {name}: {m}", flush=True)
    rows = {"frames": T, "cell_px": TUD_CELL, "match_threshold_px": MATCH * TUD_CELL}
    rows.update({name: {k: mean_std([r[k] for r in runs]) for k in runs[0]}
                 for name, runs in per.items()})
    return rows


def pets_net(time_limit: float, epochs: int, seed: int) -> dict:
    """A DensityFCN trained on the first half (seeded as the recipe's run of ``seed``), every
    method on its density maps and on the detections' of the second half."""
    from tenfold.data import load_dataset
    from tenfold.runtime.seeding import seed_everything

    seq = load_dataset("pets09-s2l1")
    det_density, gt, T = pets_density(seq, PETS_CELL, TRACKERS["sigma"])
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    images, dots = pets_network_data(seq, gt, T, PETS_CELL, TRACKERS["sigma"])
    split = int(T * NET["train_fraction"])
    seed_everything(seed)
    model = DensityFCN(1, NET["width"], downsample=2)
    opt = torch.optim.Adam(model.parameters(), lr=NET["lr"])
    trainer = DensityTrainer(model, images[:split], dots[:split], opt, epochs, NET["batch_size"],
                             NET["target_scale"],
                             make_generator(stream_seed(seed, 7)))
    losses = [trainer.step() for _ in range(epochs)]
    pred = model.predict(images, NET["target_scale"]).double()
    mae = float((pred[split:].sum((1, 2)) - dots[split:].sum((1, 2)).double()).abs().mean())
    rows = {"epochs": epochs, "seed": seed, "train_frames": split, "test_frames": T - split,
            "train_wall_s": time.perf_counter() - start_wall,
            "train_cpu_s": time.process_time() - start_cpu, "final_train": losses[-1],
            "count_mae_test": mae,
            "det_count_mae_test": float((det_density[split:].sum((1, 2))
                                         - torch.bincount(gt[:, 0].long(), minlength=T)[split:]
                                         ).abs().float().mean())}
    for name, tracker in trackers(time_limit).items():
        for source, dens in (("net", pred), ("det", det_density)):
            out = run_tracker(tracker, dens)
            rows[f"{name}_{source}"] = score_tracks(gt, out["tracks"], MATCH, T, split)
            print(f"pets second half {name} on {source}: {rows[f'{name}_{source}']}", flush=True)
    return rows


def main() -> None:
    p = parser("tracking", __doc__.splitlines()[0])
    p.add_argument("--sections", default="synthetic,scaling,pets,tud,pets_net")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--time-limit", type=float, default=30.0)
    p.add_argument("--net-epochs", type=int, default=8)
    p.add_argument("--scaling-one", nargs=2, type=int, metavar=("FRAMES", "CHUNK"))
    args = parse(p)
    if args.scaling_one:
        print(json.dumps(scaling_one(*args.scaling_one, args.time_limit)))
        return
    out = Path(args.out)
    result = json.loads(out.read_text()) if out.exists() else {}
    command = "OMP_NUM_THREADS=1 python " + " ".join(sys.argv)
    result.setdefault("command", command)
    result.update(record("tracking", args, time_limit_s=args.time_limit,
                         trackers=TRACKERS, match_threshold=MATCH, pets_cell=PETS_CELL,
                         tud_cell=TUD_CELL, noise=NOISE, density_net=NET))
    seeds = [int(s) for s in args.seeds.split(",")]
    for section in args.sections.split(","):
        start = time.perf_counter()
        result.setdefault("sections", {})[section] = {
            "command": command, "seeds": seeds,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "loadavg_at_start": list(os.getloadavg())}
        if section == "synthetic":
            result["synthetic"] = synthetic(seeds, args.time_limit)
        elif section == "scaling":
            result["scaling"] = scaling(args.time_limit)
        elif section == "pets":
            result["pets"] = pets(args.time_limit)
        elif section == "tud":
            result["tud"] = tud(seeds, args.time_limit)
        elif section == "pets_net":
            result["pets_net"] = pets_net(args.time_limit, args.net_epochs, seeds[0])
        else:
            raise SystemExit(f"unknown section {section!r}")
        result.setdefault("section_wall_s", {})[section] = time.perf_counter() - start
        write_result(out, result)
        print(f"section {section} done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
