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
TRACKER_SETTINGS = ("sigma", "max_disp", "node_thresh", "window", "stride", "window_frames",
                    "node_cost", "move_cost", "enter_cost", "border_cost", "count_penalty",
                    "count_tolerance", "time_limit", "mip_gap", "chunk_length", "chunk_overlap",
                    "peak_thresh", "gate", "max_age")


@dataclass
class TrackingConfig:
    """Settings of the ``tracking`` recipe (defaults = ``quick``)."""

    dataset: Literal["synthetic-crowd", "pets09-s2l1", "tud-stadtmitte"] = "synthetic-crowd"
    methods: tuple[Literal["counting", "peaks_hungarian", "peaks_flow"], ...] = METHODS
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
    """The configured trackers, one per method (:func:`tenfold.track.experiment.make_trackers`)."""
    from tenfold.track.experiment import make_trackers as build

    return build(config.methods, **{k: getattr(config, k) for k in TRACKER_SETTINGS})


def score(gt: torch.Tensor, tracks: list, config: TrackingConfig, num_frames: int,
          first: int = 0) -> dict[str, float]:
    """MOT metrics and HOTA over frames ``[first, num_frames)``."""
    from tenfold.track.experiment import score_tracks

    return score_tracks(gt, tracks, config.match_threshold, num_frames, first)


def _track_and_score(ctx, key: str, method: str, tracker, density, gt, config,
                     first: int = 0, cell: float = 1.0,
                     box: tuple[float, float] = (2.0, 2.0)) -> dict[str, Any]:
    """Track (cached per seed), score, and write the tracks as MOTChallenge text to
    ``<run>/tracks/<key>-seed<seed>.txt`` (boxes of ``box`` pixels on ``cell``-pixel cells)."""
    from tenfold.runtime.io import write_text
    from tenfold.track.experiment import run_tracker
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


def pets_network_density(seq, gt: torch.Tensor, T: int, config: TrackingConfig, ctx
                         ) -> tuple[torch.Tensor, int, dict[str, float]]:
    """Train a density network on the first ``train_fraction`` of the video against the
    ground-truth dots; its density maps for every frame, the first test frame, and count MAE."""
    from tenfold.track.density_net import DensityFCN, DensityTrainer
    from tenfold.track.scenes import pets_network_data

    images, dots = pets_network_data(seq, gt, T, config.cell, config.sigma)
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


def run_tud(config: TrackingConfig, ctx) -> tuple[dict, dict]:
    from tenfold.data import load_dataset
    from tenfold.track.scenes import tud_density

    density, gt, T = tud_density(load_dataset("tud-stadtmitte"), config.tud_cell, config.sigma,
                                 config.noise, ctx.generator(99), config.video_frames)
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
    from tenfold.track.scenes import PETS_BOX, pets_density

    seq = load_dataset("pets09-s2l1")
    density, gt, T = pets_density(seq, config.cell, config.sigma, config.det_conf,
                                  config.video_frames)
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


def draw_figures(scenes: dict, results: dict, config: TrackingConfig, ctx) -> None:
    """Trajectories over the density, MOTA/IDF1 against density, solver time against frames."""
    import matplotlib.pyplot as plt

    from tenfold.track.figures import tracking_figures

    synthetic = config.dataset == "synthetic-crowd"
    figures = tracking_figures(scenes, results, config.methods,
                               config.densities if synthetic else None, ctx.seed)
    for name, fig in figures.items():
        fig.savefig(ctx.figures_dir / f"{name}_seed{ctx.seed}.png", dpi=110)
        plt.close(fig)


RUNS = {"synthetic-crowd": run_synthetic, "tud-stadtmitte": run_tud, "pets09-s2l1": run_pets}


def run(config: TrackingConfig, ctx) -> dict[str, dict[str, float]]:
    """Track every configured method on the dataset's density video(s) for ``ctx.seed``."""
    results, figs = RUNS[config.dataset](config, ctx)
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
        "quick": {"densities": (10, 20), "seeds": [0, 1, 2]},
        "paper": {"densities": (10, 20, 40, 60), "time_limit": 60.0,
                  "density_net_epochs": 8, "seeds": [0, 1, 2]},
    },
    datasets=DATASETS,
    baseline="peaks_hungarian",
    primary_metric="mota",
    summary="tracking-by-counting (flow program on density maps) vs peaks + Hungarian / flow",
    quick_minutes=0.7,  # 3 x one quick seed: 13.6 CPU s at one thread (loaded 2-core box)
))
