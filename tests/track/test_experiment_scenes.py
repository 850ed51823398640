"""tenfold.track.experiment / scenes / figures: trackers by name, scoring against known answers,
the TUD density rendering, and the comparison's figures."""

from __future__ import annotations

import pytest
import torch

from tenfold.data.synthetic.crowds import synthetic_crowd
from tenfold.track import CountingTracker, PeakFlowTracker, PeakHungarianTracker
from tenfold.track.density import render_points
from tenfold.track.experiment import TRACKING_METHODS, make_trackers, run_tracker, score_tracks

SETTINGS = dict(sigma=1.0, max_disp=2, node_thresh=0.3, window=4, stride=2, window_frames=1,
                node_cost=1.0, move_cost=0.15, enter_cost=2.0, border_cost=0.3,
                count_penalty=3.0, count_tolerance=0.5, time_limit=10.0, mip_gap=0.01,
                chunk_length=6, chunk_overlap=2, peak_thresh=0.4, gate=2.5, max_age=2)


def test_make_trackers_by_name():
    trackers = make_trackers(TRACKING_METHODS, **SETTINGS)
    assert list(trackers) == list(TRACKING_METHODS)
    assert isinstance(trackers["counting"], CountingTracker)
    assert trackers["counting"].chunk_length == 6
    assert isinstance(trackers["peaks_hungarian"], PeakHungarianTracker)
    assert isinstance(trackers["peaks_flow"], PeakFlowTracker)
    assert list(make_trackers(("peaks_flow", "counting"), **SETTINGS)) == ["peaks_flow",
                                                                          "counting"]
    with pytest.raises(ValueError, match="sort"):
        make_trackers(("sort",), **SETTINGS)


def test_score_perfect_and_shifted_tracks():
    gt = torch.tensor([[0, 1, 2.0, 2.0], [1, 1, 2.0, 3.0], [2, 1, 2.0, 4.0],
                       [0, 2, 8.0, 8.0], [1, 2, 8.0, 8.0], [2, 2, 8.0, 8.0]],
                      dtype=torch.float64)
    perfect = score_tracks(gt, gt.tolist(), 1.0, 3)
    assert perfect["mota"] == 1.0 and perfect["idf1"] == 1.0 and perfect["fp"] == 0
    assert perfect["hota"] == pytest.approx(1.0)
    # only target 1, and only frames 1-2 scored: 2 of 2 matched, 2 ground-truth rows missed
    late = score_tracks(gt, gt[gt[:, 1] == 1].tolist(), 1.0, 3, first=1)
    assert late["fn"] == 2 and late["fp"] == 0 and late["mota"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="first"):
        score_tracks(gt, [], 1.0, 3, first=3)


def test_run_tracker_on_a_small_crowd():
    crowd = synthetic_crowd(4, size=16, frames=8, sigma=1.0, noise=0.0, seed=0)
    trackers = make_trackers(TRACKING_METHODS, **SETTINGS)
    counting = run_tracker(trackers["counting"], crowd.density)
    assert len(counting["chunk_end_frame"]) == len(counting["chunk_solve_s"]) == 2   # 6 + 4
    assert score_tracks(crowd.tracks, counting["tracks"], 2.0, 8)["mota"] > 0.8
    peaks = run_tracker(trackers["peaks_hungarian"], crowd.density)
    assert set(peaks) == {"tracks"} and all(len(r) == 4 for r in peaks["tracks"])


class _FakeTUD:
    image_size = (40, 60)

    def load_boxes(self):
        # frame (1-based), id, left, top, width, height
        return torch.tensor([[1, 1, 0, 0, 20, 20], [2, 1, 20, 0, 20, 20], [2, 2, 40, 20, 20, 20]],
                            dtype=torch.float64)


def test_tud_density_without_noise_is_the_rendered_ground_truth():
    from tenfold.track.scenes import tud_density

    density, rows, T = tud_density(_FakeTUD(), cell=20, sigma=1.0, noise=0.0,
                                   generator=torch.Generator().manual_seed(0))
    assert T == 2 and density.shape == (2, 2, 3)
    assert rows[:, 0].tolist() == [0, 1, 1] and rows[:, 1].tolist() == [1, 1, 2]
    clean = torch.stack([render_points(rows[rows[:, 0] == t, 2:4], (2, 3), 1.0)
                         for t in range(2)])
    gen = torch.Generator().manual_seed(0)
    n1 = torch.randn(clean.shape, generator=gen, dtype=torch.float64)
    n2 = torch.randn(clean.shape, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(density, (clean * (1 + 0.0 * n1) + 0.002 * n2).clamp_min(0))
    assert float(clean.sum()) == pytest.approx(3.0, abs=0.05)   # three unit-mass targets
    one, _, t1 = tud_density(_FakeTUD(), 20, 1.0, 0.0, torch.Generator(), video_frames=1)
    assert t1 == 1 and one.shape[0] == 1


def test_tracking_figures():
    from tenfold.track.figures import tracking_figures

    crowd = synthetic_crowd(4, size=16, frames=8, sigma=1.0, noise=0.0, seed=0)
    trackers = make_trackers(("counting", "peaks_flow"), **SETTINGS)
    scene = {"gt": crowd.tracks.tolist(), "density": crowd.density.amax(0)}
    scene.update({m: run_tracker(t, crowd.density) for m, t in trackers.items()})
    results = {m: {"mota_n4": 0.5, "idf1_n4": 0.5} for m in trackers}
    figs = tracking_figures({4: scene}, results, list(trackers), (4,), seed=0)
    assert set(figs) == {"trajectories", "mota_idf1_vs_density", "solver_time_vs_frames"}
    assert len(figs["trajectories"].axes) == 3
    assert "mota_idf1_vs_density" not in tracking_figures({"tud": scene}, results,
                                                          list(trackers), None, 0)
