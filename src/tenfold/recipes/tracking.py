"""``tracking``: tracking-by-counting (Ren et al., arXiv 2007.09509, CVPR 2021) against
tracking-by-detection on the same density maps.

Methods (``methods``), all on the same density maps of one video:

- **counting** — :class:`tenfold.track.CountingTracker`: one network-flow program with count
  constraints over density cells (LP relaxation, then HiGHS MILP on the LP's support), solved in
  overlapping temporal chunks;
- **peaks_hungarian** — local density peaks + frame-to-frame Hungarian association with a
  constant-velocity model (SORT-like);
- **peaks_flow** — the same peaks linked by one global min-cost flow.

Datasets:

- ``synthetic-crowd`` (embedded): targets that move, leave and re-enter, rendered as noisy
  Gaussian density maps, at each of ``densities`` targets per video; metrics ``mota_n{N}``,
  ``idf1_n{N}``, ... and their mean over densities (``mota``, ``idf1``).
- ``tud-stadtmitte`` (embedded in the motmetrics wheel): real pedestrian trajectories, the
  ground-truth box centres rendered as density on ``tud_cell``-pixel cells with the synthetic
  noise model (semi-synthetic, as in the spec).
- ``pets09-s2l1`` (mirror): (a) the MOTChallenge public detections rendered as density (one unit
  Gaussian per box centre on ``cell``-pixel cells); (b) with ``density_net_epochs > 0``, a
  :class:`~tenfold.track.density_net.DensityFCN` trained on the first ``train_fraction`` of the
  video against the ground-truth dots and evaluated on the rest (methods ``*_net``; the
  detection methods then also report ``mota_test``/``idf1_test`` on those frames).

Scoring: py-motmetrics on point distances, a match within ``match_threshold`` cells, and HOTA
(TrackEval) with similarity ``1 - distance / match_threshold``; every
method's tracks are also written as MOTChallenge text under ``<run>/tracks/``. Each
method's result is cached per seed, so a killed run resumes after the last finished method; the
density network trains, and the counting tracker solves its chunks (one program per step),
through ``ctx.fit``, so a killed run also resumes inside a method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import torch

from tenfold.errors import ConfigError
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

METHODS = ("counting", "peaks_hungarian", "peaks_flow")
DATASETS = ("synthetic-crowd", "pets09-s2l1", "tud-stadtmitte")
PETS_SIZE = (576, 768)   # height, width of PETS09-S2L1 view 1
PETS_BOX = (32.0, 80.0)  # width, height of the boxes written around tracked points (pixels)


@dataclass
class TrackingConfig:
    """Settings of the ``tracking`` recipe (defaults = ``quick``)."""

    dataset: Literal["synthetic-crowd", "pets09-s2l1", "tud-stadtmitte"] = "synthetic-crowd"
    methods: Annotated[tuple[str, ...], Rule(
        nonempty=True, unique=True, meaning="counting, peaks_hungarian, peaks_flow")] = METHODS
    densities: Annotated[tuple[int, ...], Rule(
        low=1, nonempty=True, unique=True, meaning="targets per synthetic video")] = (10, 20, 40)
    size: Annotated[int, Rule(low=8, meaning="synthetic grid side (cells)")] = 32
    frames: Annotated[int, Rule(low=2, meaning="synthetic video length")] = 20
    sigma: Annotated[float, Rule(low=0, low_open=True, meaning="object width (cells)")] = 1.0
    noise: Annotated[float, Rule(low=0, meaning="multiplicative density noise")] = 0.1
    match_threshold: Annotated[float, Rule(low=0, low_open=True,
                                           meaning="MOT match distance (cells)")] = 2.0
    # tracking-by-counting
    max_disp: Annotated[int, Rule(low=1, meaning="largest move per frame (cells)")] = 2
    node_thresh: Annotated[float, Rule(low=0, meaning="node if D > rho * peak")] = 0.3
    window: Annotated[int, Rule(low=1, meaning="count window side (cells)")] = 4
    stride: Annotated[int, Rule(low=1, meaning="count window stride (cells)")] = 2
    window_frames: Annotated[int, Rule(low=1, meaning="count window frames")] = 1
    node_cost: Annotated[float, Rule(low=0, meaning="alpha")] = 1.0
    move_cost: Annotated[float, Rule(low=0, meaning="beta, per squared cell")] = 0.15
    enter_cost: Annotated[float, Rule(low=0, meaning="interior entry/exit")] = 2.0
    border_cost: Annotated[float, Rule(low=0, meaning="entry/exit near the border")] = 0.3
    count_penalty: Annotated[float, Rule(low=0, meaning="mu")] = 3.0
    count_tolerance: Annotated[float, Rule(low=0, meaning="delta (dead-zone)")] = 0.5
    time_limit: Annotated[float, Rule(low=0, low_open=True, meaning="MILP s/program")] = 30.0
    mip_gap: Annotated[float, Rule(low=0, meaning="MILP relative gap")] = 0.01
    chunk_length: Annotated[int, Rule(low=2, special=((0, "one program"),),
                                      meaning="frames per program")] = 10
    chunk_overlap: Annotated[int, Rule(low=1, meaning="look-ahead frames")] = 5
    # baselines
    peak_thresh: Annotated[float, Rule(low=0, meaning="peak if D > thresh * peak")] = 0.4
    gate: Annotated[float, Rule(low=0, low_open=True, meaning="association gate (cells)")] = 2.5
    max_age: Annotated[int, Rule(low=1, meaning="frames a lost track survives")] = 2
    # PETS09-S2L1
    cell: Annotated[int, Rule(low=4, meaning="PETS cell size (pixels)")] = 16
    det_conf: Annotated[float, Rule(meaning="PETS detections kept if confidence >= this")] = 0.0
    video_frames: Annotated[int, Rule(low=2, special=((0, "all"),),
                                      meaning="PETS / TUD frames used")] = 0
    density_net_epochs: Annotated[int, Rule(low=0, meaning="0: no density network")] = 0
    train_fraction: Annotated[float, Rule(low=0, high=1, low_open=True, high_open=True,
                                          meaning="PETS frames the network trains on")] = 0.5
    net_width: Annotated[int, Rule(low=1, meaning="density network channels")] = 16
    net_lr: Annotated[float, Rule(low=0, low_open=True)] = 1e-3
    batch_size: Annotated[int, Rule(low=1)] = 8
    target_scale: Annotated[float, Rule(low=0, low_open=True,
                                        meaning="density scale for the MSE")] = 100.0
    checkpoint_every: Annotated[int, Rule(low=1, meaning="network epochs or counting chunks")] = 5
    # TUD-Stadtmitte (ground truth rendered as density)
    tud_cell: Annotated[int, Rule(low=4, meaning="TUD cell size (pixels)")] = 20

    def validate(self) -> None:
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ConfigError(f"methods: expected a subset of {', '.join(METHODS)}, got "
                              f"{', '.join(sorted(unknown))}")
        if self.chunk_length and not self.chunk_overlap < self.chunk_length:
            raise ConfigError(f"chunk_overlap must be below chunk_length ({self.chunk_length}), "
                              f"got {self.chunk_overlap}")
        if self.dataset == "synthetic-crowd" and max(self.densities) > self.size ** 2 // 4:
            raise ConfigError(f"densities: at most size^2 / 4 = {self.size ** 2 // 4} targets on "
                              f"a {self.size}-cell grid, got {max(self.densities)}")
        if self.dataset == "pets09-s2l1" and self.density_net_epochs and "counting" not in \
                self.methods:
            raise ConfigError("density_net_epochs needs 'counting' in methods")


def make_trackers(config: TrackingConfig) -> dict[str, Any]:
    """The configured trackers, one per method."""
    from tenfold.track import CountingTracker, PeakFlowTracker, PeakHungarianTracker

    trackers = {
        "counting": CountingTracker(
            sigma=config.sigma, max_disp=config.max_disp, node_thresh=config.node_thresh,
            window=config.window, stride=config.stride, window_frames=config.window_frames,
            node_cost=config.node_cost, move_cost=config.move_cost,
            enter_cost=config.enter_cost, border_cost=config.border_cost,
            count_penalty=config.count_penalty, count_tolerance=config.count_tolerance,
            time_limit=config.time_limit, mip_gap=config.mip_gap,
            chunk_length=config.chunk_length, chunk_overlap=config.chunk_overlap),
        "peaks_hungarian": PeakHungarianTracker(sigma=config.sigma, thresh=config.peak_thresh,
                                                gate=config.gate, max_age=config.max_age),
        "peaks_flow": PeakFlowTracker(sigma=config.sigma, thresh=config.peak_thresh,
                                      gate=config.gate, max_gap=config.max_age,
                                      move_cost=config.move_cost, enter_cost=config.enter_cost,
                                      border_cost=config.border_cost),
    }
    return {m: trackers[m] for m in config.methods}


def run_tracker(tracker, density: torch.Tensor, fit=None) -> dict[str, Any]:
    """Tracks (as lists) plus, for the counting tracker, solver statistics per chunk. ``fit``
    (e.g. ``lambda s: ctx.fit(key, s)``) drives the counting tracker's chunk-by-chunk
    :class:`~tenfold.track.counting.ChunkSolver` (one program per step) instead of a plain loop."""
    if fit is not None and hasattr(tracker, "solver"):
        out = fit(tracker.solver(density)).result()
    else:
        out = tracker.track(density)
    if hasattr(out, "tracks"):
        starts = np.cumsum([0] + [s.graph.shape[0] for s in out.solutions])
        return {"tracks": out.tracks.tolist(),
                "chunk_end_frame": [int(e) for e in starts[1:]],
                "chunk_solve_s": [float(s.stats.get("total_s", 0.0)) for s in out.solutions],
                "time_limited": float(out.stats["status_limit"]),
                "fractional_share": float(out.stats["fractional_share"])}
    return {"tracks": out.tolist()}


def score(gt: torch.Tensor, tracks: list, config: TrackingConfig, num_frames: int,
          first: int = 0) -> dict[str, float]:
    """MOT metrics and HOTA over frames ``[first, num_frames)``."""
    from tenfold.track import hota, mot_metrics

    hyp = torch.tensor(tracks, dtype=torch.float64).reshape(-1, 4)
    g = gt[gt[:, 0] >= first].clone()
    h = hyp[hyp[:, 0] >= first].clone()
    g[:, 0] -= first
    h[:, 0] -= first
    m = mot_metrics(g, h, config.match_threshold, num_frames - first)
    out = {k: m[k] for k in ("mota", "idf1", "id_switches", "fp", "fn")}
    return out | hota(g, h, config.match_threshold, num_frames - first)


def _track_and_score(ctx, key: str, method: str, tracker, density, gt, config,
                     first: int = 0, cell: float = 1.0,
                     box: tuple[float, float] = (2.0, 2.0)) -> dict[str, Any]:
    """Track (cached per seed), score, and write the tracks as MOTChallenge text to
    ``<run>/tracks/<key>-seed<seed>.txt`` (boxes of ``box`` pixels on ``cell``-pixel cells)."""
    from tenfold.runtime.io import write_text
    from tenfold.track.motformat import format_mot

    def compute() -> dict[str, Any]:
        seed_everything(ctx.seed)
        with ctx.timed(method, f"{key}_s"):
            out = run_tracker(tracker, density, lambda solver: ctx.fit(
                key, solver, config.checkpoint_every, log=False))
        out["metrics"] = score(gt, out["tracks"], config, density.shape[0], first)
        return out
    out = ctx.cached(key, compute)
    if ctx.is_rank_zero:
        rows = torch.tensor(out["tracks"], dtype=torch.float64).reshape(-1, 4)
        write_text(ctx.run_dir.path / "tracks" / f"{key}-seed{ctx.seed}.txt",
                   format_mot(rows, cell=cell, box_size=box))
    return out


def run_synthetic(config: TrackingConfig, ctx) -> tuple[dict, dict]:
    from tenfold.data.synthetic.crowds import synthetic_crowd

    results: dict[str, dict[str, float]] = {m: {} for m in config.methods}
    figs: dict[str, Any] = {}
    trackers = make_trackers(config)
    for n in config.densities:
        seed = int(torch.randint(2 ** 31 - 1, (1,), generator=ctx.generator(n)))
        crowd = synthetic_crowd(n, size=config.size, frames=config.frames, sigma=config.sigma,
                                noise=config.noise, seed=seed)
        for method, tracker in trackers.items():
            out = _track_and_score(ctx, f"{method}-n{n}", method, tracker, crowd.density,
                                   crowd.tracks, config)
            for name, value in out["metrics"].items():
                results[method][f"{name}_n{n}"] = value
            if method == "counting":
                results[method][f"time_limited_n{n}"] = out["time_limited"]
            figs.setdefault(n, {"gt": crowd.tracks.tolist(),
                                "density": crowd.density.amax(0)})[method] = out
    for method in results:
        for name in ("mota", "idf1"):
            results[method][name] = float(np.mean([results[method][f"{name}_n{n}"]
                                                   for n in config.densities]))
    return results, figs


def pets_density(seq, config: TrackingConfig) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Detections rendered as density ``(T, H, W)``, ground truth rows in cells, and ``T``."""
    from tenfold.track.density import box_points, pixel_to_cell, render_boxes
    from tenfold.track.motformat import zero_based

    det, gt = seq.load_boxes("det"), seq.load_boxes("gt")
    last = int(gt[:, 0].max())
    T = min(last, config.video_frames) if config.video_frames else last
    det = det[det[:, 6] >= config.det_conf]
    maps = [render_boxes(zero_based(det[det[:, 0] == f + 1, 2:6]), PETS_SIZE, config.cell,
                         config.sigma) for f in range(T)]
    gt = gt[(gt[:, 0] <= T) & (gt[:, 6] > 0)]
    yx = pixel_to_cell(box_points(zero_based(gt[:, 2:6])), config.cell)
    rows = torch.column_stack([torch.as_tensor(gt[:, 0] - 1), torch.as_tensor(gt[:, 1]), yx])
    return torch.stack(maps), rows, T


def pets_network_density(seq, gt: torch.Tensor, T: int, config: TrackingConfig, ctx
                         ) -> tuple[torch.Tensor, int, dict[str, float]]:
    """Train a density network on the first ``train_fraction`` of the video against the
    ground-truth dots; its density maps for every frame, the first test frame, and count MAE."""
    import torch.nn.functional as F

    from tenfold.track.density import render_points
    from tenfold.track.density_net import DensityFCN, DensityTrainer

    factor = 4          # frames are shrunk so that one cell is 4 x 4 network pixels
    grid = (math.ceil(PETS_SIZE[0] / config.cell), math.ceil(PETS_SIZE[1] / config.cell))
    frames = torch.stack([torch.as_tensor(f) for f in seq.frames(0, T, gray=True)]).float()
    images = F.interpolate(frames[:, None] / 255.0, size=(grid[0] * factor, grid[1] * factor),
                           mode="area")
    dots = torch.stack([render_points(gt[gt[:, 0] == t, 2:4], grid, config.sigma)
                        for t in range(T)]).float()
    split = int(T * config.train_fraction)
    seed_everything(ctx.seed)
    model = DensityFCN(1, config.net_width, downsample=2).to(ctx.device)
    opt = torch.optim.Adam(model.parameters(), lr=config.net_lr)
    model_f, opt_f = ctx.fabric.setup(model, opt)
    trainer = DensityTrainer(model_f, images[:split].to(ctx.device), dots[:split].to(ctx.device),
                             opt_f, config.density_net_epochs, config.batch_size,
                             config.target_scale, ctx.generator(7), ctx.fabric.backward)
    with ctx.timed("counting_net", "train_s"):
        ctx.fit("density-net", trainer, config.checkpoint_every)
    pred = model.predict(images.to(ctx.device), config.target_scale).double().cpu()
    mae = float((pred[split:].sum((1, 2)) - dots[split:].sum((1, 2)).double()).abs().mean())
    return pred, split, {"count_mae_test": mae}


def tud_density(config: TrackingConfig, generator: torch.Generator
                ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """TUD-Stadtmitte: ground-truth centres rendered as noisy density ``(T, H, W)``, the
    ground-truth rows in cells, and ``T``."""
    from tenfold.data import load_dataset
    from tenfold.track.density import box_points, pixel_to_cell, render_points
    from tenfold.track.motformat import zero_based

    seq = load_dataset("tud-stadtmitte")
    gt = seq.load_boxes()
    T = int(gt[:, 0].max())
    T = min(T, config.video_frames) if config.video_frames else T
    gt = gt[gt[:, 0] <= T]
    yx = pixel_to_cell(box_points(zero_based(gt[:, 2:6])), config.tud_cell)
    rows = torch.column_stack([torch.as_tensor(gt[:, 0] - 1), torch.as_tensor(gt[:, 1]), yx])
    grid = tuple(math.ceil(s / config.tud_cell) for s in seq.image_size)
    clean = torch.stack([render_points(rows[rows[:, 0] == t, 2:4], grid, config.sigma)
                         for t in range(T)])
    noisy = clean * (1 + config.noise * torch.randn(clean.shape, generator=generator,
                                                    dtype=torch.float64))
    noisy = noisy + 0.002 * torch.randn(clean.shape, generator=generator, dtype=torch.float64)
    return noisy.clamp_min(0), rows, T


def run_tud(config: TrackingConfig, ctx) -> tuple[dict, dict]:
    density, gt, T = tud_density(config, ctx.generator(99))
    results: dict[str, dict[str, float]] = {}
    figs: dict[str, Any] = {"tud": {"gt": gt.tolist(), "density": density.amax(0)}}
    for method, tracker in make_trackers(config).items():
        out = _track_and_score(ctx, f"{method}-tud", method, tracker, density, gt, config,
                               cell=config.tud_cell, box=(3.0 * config.tud_cell,
                                                          10.0 * config.tud_cell))
        results[method] = dict(out["metrics"])
        figs["tud"][method] = out
    return results, figs


def run_pets(config: TrackingConfig, ctx) -> tuple[dict, dict]:
    from tenfold.data import load_dataset

    seq = load_dataset("pets09-s2l1")
    density, gt, T = pets_density(seq, config)
    trackers = make_trackers(config)
    results: dict[str, dict[str, float]] = {}
    figs: dict[str, Any] = {"pets": {"gt": gt.tolist(), "density": density.amax(0)}}
    net = None
    if config.density_net_epochs:
        net = pets_network_density(seq, gt, T, config, ctx)
    for method, tracker in trackers.items():
        out = _track_and_score(ctx, f"{method}-pets", method, tracker, density, gt, config,
                               cell=config.cell, box=PETS_BOX)
        results[method] = dict(out["metrics"])
        figs["pets"][method] = out
        if net is not None:
            pred, split, extra = net
            test = score(gt, out["tracks"], config, T, split)
            results[method].update(mota_test=test["mota"], idf1_test=test["idf1"],
                                   hota_test=test["hota"])
            out_net = _track_and_score(ctx, f"{method}-pets-net", method, tracker, pred, gt,
                                       config, first=split, cell=config.cell, box=PETS_BOX)
            results[f"{method}_net"] = {**{f"{k}_test": v for k, v in out_net["metrics"].items()},
                                        **extra}
    return results, figs


def draw_figures(figs: dict, results: dict, config: TrackingConfig, ctx) -> None:
    """Trajectories over the density, MOTA/IDF1 against density, solver time against frames."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = max(figs, key=lambda k: (isinstance(k, int), k if isinstance(k, int) else 0))
    scene = figs[key]
    panels = ["gt"] + [m for m in config.methods if m in scene]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, name in zip(axes[0], panels, strict=True):
        rows = np.asarray(scene[name] if name == "gt" else scene[name]["tracks"]).reshape(-1, 4)
        ax.imshow(scene["density"].numpy(), cmap="gray_r")
        for ident in np.unique(rows[:, 1]):
            r = rows[rows[:, 1] == ident]
            ax.plot(r[:, 3], r[:, 2], lw=0.8)
        ax.set_title(name if name == "gt" else f"{name}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    title = {"pets": "PETS09-S2L1", "tud": "TUD-Stadtmitte"}.get(key, f"{key} targets")
    fig.suptitle(f"trajectories ({title}, "
                 f"seed {ctx.seed})", fontsize=10)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"trajectories_seed{ctx.seed}.png", dpi=110)
    plt.close(fig)
    if config.dataset == "synthetic-crowd":
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
        for ax, metric in zip(axes, ("mota", "idf1"), strict=True):
            for m in config.methods:
                ax.plot(config.densities, [results[m][f"{metric}_n{n}"] for n in config.densities],
                        marker="o", label=m)
            ax.set_xlabel("targets")
            ax.set_ylabel(metric.upper())
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(ctx.figures_dir / f"mota_idf1_vs_density_seed{ctx.seed}.png", dpi=110)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, scene in figs.items():
        out = scene.get("counting")
        if out:
            ax.plot(out["chunk_end_frame"], np.cumsum(out["chunk_solve_s"]), marker=".",
                    label=str(name))
    ax.set_xlabel("frames solved")
    ax.set_ylabel("cumulative solver time (s)")
    ax.legend(fontsize=8, title="targets" if config.dataset == "synthetic-crowd" else None)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"solver_time_vs_frames_seed{ctx.seed}.png", dpi=110)
    plt.close(fig)


def run(config: TrackingConfig, ctx) -> dict[str, dict[str, float]]:
    if config.dataset == "synthetic-crowd":
        results, figs = run_synthetic(config, ctx)
    elif config.dataset == "tud-stadtmitte":
        results, figs = run_tud(config, ctx)
    else:
        results, figs = run_pets(config, ctx)
    if ctx.is_rank_zero:
        draw_figures(figs, results, config, ctx)
    return results


RECIPE = register_recipe(Recipe(
    name="tracking",
    config_cls=TrackingConfig,
    run=run,
    presets={
        "smoke": {"densities": (4, 8), "size": 16, "frames": 8, "chunk_length": 6,
                  "chunk_overlap": 2, "time_limit": 10.0, "video_frames": 30,
                  "density_net_epochs": 0, "seeds": [0]},
        "quick": {"seeds": [0]},
        "paper": {"densities": (10, 20, 40, 60), "time_limit": 60.0,
                  "density_net_epochs": 8, "seeds": [0, 1, 2]},
    },
    datasets=DATASETS,
    baseline="peaks_hungarian",
    primary_metric="mota",
    summary="tracking-by-counting (flow program on density maps) vs peaks + Hungarian / flow",
))
