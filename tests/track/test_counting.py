"""Tracking-by-counting: invariants of the flow program, known scenes, chunking."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch

from tenfold.data.synthetic.crowds import synthetic_crowd
from tenfold.track.baselines import PeakFlowTracker, PeakHungarianTracker
from tenfold.track.counting import CountingTracker
from tenfold.track.density import render_points
from tenfold.track.metrics import mot_metrics
from tenfold.track.program import extract_paths


def scene(paths: dict[int, list[tuple[float, float]]], size: int = 24) -> tuple[torch.Tensor,
                                                                               torch.Tensor]:
    """Clean density maps and ground-truth rows of hand-placed targets (one list per id)."""
    frames = len(next(iter(paths.values())))
    maps = [render_points(torch.tensor([p[t] for p in paths.values()]), (size, size), 1.0)
            for t in range(frames)]
    gt = [(t, i, *p[t]) for i, p in paths.items() for t in range(frames)]
    return torch.stack(maps), torch.tensor(gt, dtype=torch.float64)


def separable(frames: int = 12):
    return scene({0: [(4.0, 3 + 0.6 * t) for t in range(frames)],
                  1: [(12.0, 20 - 0.5 * t) for t in range(frames)],
                  2: [(19.0 - 0.4 * t, 9.0) for t in range(frames)]})


@pytest.mark.parametrize("chunk", [0, 6])
def test_separable_scene_is_tracked_perfectly(chunk):
    density, gt = separable()
    res = CountingTracker(chunk_length=chunk, chunk_overlap=2).track(density)
    m = mot_metrics(gt, res.tracks, threshold=1.0, num_frames=12)
    assert m["mota"] == 1.0 and m["idf1"] == 1.0 and m["id_switches"] == 0
    # sub-cell positions: the density centroid is within 0.3 cells of the truth
    assert res.tracks[:, 1].unique().numel() == 3
    for tracker in (PeakHungarianTracker(), PeakFlowTracker()):
        m = mot_metrics(gt, tracker.track(density), threshold=1.0, num_frames=12)
        assert m["mota"] == 1.0 and m["id_switches"] == 0


def test_flow_conservation_and_vertex_disjoint_paths():
    crowd = synthetic_crowd(12, size=20, frames=8, seed=3)
    res = CountingTracker(chunk_length=0).track(crowd.density)
    sol = res.solutions[0]
    g = sol.graph
    # every variable integral, conservation exact at every node
    for v in (sol.x, sol.f, sol.a, sol.b):
        assert np.array_equal(v, np.round(v)) and v.min() >= 0 and v.max() <= 1
    inflow = np.bincount(g.edge_v, weights=sol.f, minlength=g.num_nodes)
    outflow = np.bincount(g.edge_u, weights=sol.f, minlength=g.num_nodes)
    np.testing.assert_array_equal(sol.a + inflow, sol.x)
    np.testing.assert_array_equal(sol.b + outflow, sol.x)
    paths = extract_paths(sol)
    visited = np.concatenate(paths)
    assert len(visited) == len(np.unique(visited)) == int(sol.x.sum())
    for p in paths:   # consecutive frames, steps within max_disp
        assert np.all(np.diff(g.node_t[p]) == 1)
        assert np.all(np.abs(np.diff(g.node_y[p])) <= 2)
        assert np.all(np.abs(np.diff(g.node_x[p])) <= 2)
    res.check(max_disp=2)
    # the check is able to fail: break one edge of a used path
    used = np.nonzero(sol.f > 0.5)[0][0]
    sol.f[used] = 0
    with pytest.raises(AssertionError, match="conservation"):
        res.check(max_disp=2)


def test_tracks_per_frame_equal_density_integral_on_clean_scene():
    crowd = synthetic_crowd(6, size=24, frames=10, noise=0.0, additive_noise=0.0, seed=1)
    res = CountingTracker(chunk_length=0).track(crowd.clean)
    counts = res.count_per_frame(10)
    expected = crowd.clean.sum((1, 2)).round().long()
    assert torch.equal(counts, expected)
    # scaling the density by 2 doubles the counts (D_peak kept)
    res2 = CountingTracker(chunk_length=0).track(2 * crowd.clean)
    assert torch.equal(res2.count_per_frame(10), 2 * expected)


def test_count_rows_are_live():
    density, _ = separable()
    assert len(CountingTracker(count_penalty=0.0, chunk_length=0).track(density).tracks) == 0
    assert len(CountingTracker(count_penalty=3.0, chunk_length=0).track(density).tracks) == 36


def test_merged_blob_keeps_two_tracks():
    """Two targets 1 cell apart for 6 frames form one peak; the count keeps both tracks."""
    frames = 16

    def lane(start: float, end: float) -> list[tuple[float, float]]:
        out = []
        for t in range(frames):
            y = start + (end - start) * min(t, 5) / 5 if t < 11 else end + (start - end) * (
                t - 10) / 5
            out.append((y, 4 + t))
        return out

    density, gt = scene({0: lane(8.0, 11.5), 1: lane(15.0, 12.5)})
    merged = slice(5, 11)
    peak_dets = PeakHungarianTracker().track(density)
    assert (peak_dets[:, 0] >= 5).logical_and(peak_dets[:, 0] < 11).sum() < 12   # one peak
    res = CountingTracker(chunk_length=0).track(density)
    assert torch.equal(res.count_per_frame(frames), torch.full((frames,), 2))
    assert res.tracks[:, 1].unique().numel() == 2          # two tracks, each over every frame
    for ident in res.tracks[:, 1].unique():
        assert (res.tracks[:, 1] == ident).sum() == frames
    ours = mot_metrics(gt, res.tracks, threshold=1.5, num_frames=frames)
    theirs = mot_metrics(gt, PeakHungarianTracker().track(density), threshold=1.5,
                         num_frames=frames)
    assert ours["fn"] == 0 and theirs["fn"] >= 6
    assert merged.stop - merged.start == 6


def test_chunked_and_unchunked_agree():
    crowd = synthetic_crowd(5, size=24, frames=16, noise=0.05, seed=2)
    whole = CountingTracker(chunk_length=0).track(crowd.density)
    chunked = CountingTracker(chunk_length=8, chunk_overlap=3).track(crowd.density)
    assert chunked.stats["chunks"] == 3 and chunked.stats["max_nodes"] < whole.stats["nodes"]
    chunked.check(max_disp=2)

    # the same tracks: equal counts, and scoring one against the other is perfect (positions
    # within a cell: cost ties may pick a neighbouring cell inside a blob)
    assert torch.equal(chunked.count_per_frame(16), whole.count_per_frame(16))
    m = mot_metrics(whole.tracks, chunked.tracks, threshold=1.0, num_frames=16)
    assert m["mota"] == 1.0 and m["idf1"] == 1.0 and m["id_switches"] == 0


def test_milp_objective_bounds_and_settings():
    crowd = synthetic_crowd(10, size=20, frames=8, seed=0)
    res = CountingTracker(chunk_length=0).track(crowd.density)
    st = res.solutions[0].stats
    assert st["objective"] >= st["lp_objective"] - 1e-6
    assert st["status"] == 0
    with pytest.raises(ValueError, match="chunk"):
        CountingTracker(chunk_length=5, chunk_overlap=5)
    with pytest.raises(ValueError, match="max_disp"):
        CountingTracker(max_disp=0)
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        CountingTracker().track(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="NaN"):
        CountingTracker().track(torch.full((2, 4, 4), float("nan")))


def test_entry_at_border_starts_a_new_track_in_its_frame():
    frames = 12
    stay = [(12.0, 12.0 + 0.3 * t) for t in range(frames)]
    enter = [(5.0, -5.0 + 0.8 * t) for t in range(frames)]    # inside from x >= -0.5: t >= 6
    maps = [render_points(torch.tensor([stay[t], enter[t]]), (20, 24), 1.0)
            for t in range(frames)]
    res = CountingTracker(chunk_length=0).track(torch.stack(maps))
    starts = {int(i): int(res.tracks[res.tracks[:, 1] == i, 0].min())
              for i in res.tracks[:, 1].unique()}
    assert sorted(starts.values()) == [0, 6]
    # the late track starts at the left border
    late = [i for i, s in starts.items() if s == 6][0]
    first = res.tracks[(res.tracks[:, 1] == late) & (res.tracks[:, 0] == 6)][0]
    assert first[3] < 1.0


def test_support_restriction_never_beats_the_full_milp():
    crowd = synthetic_crowd(8, size=16, frames=6, seed=4)
    support = CountingTracker(chunk_length=0, mip_gap=0.0).track(crowd.density)
    full = CountingTracker(chunk_length=0, mip_gap=0.0, lp_support=False).track(crowd.density)
    s, f = support.solutions[0].stats, full.solutions[0].stats
    assert f["objective"] <= s["objective"] + 1e-6
    assert f["objective"] >= f["lp_objective"] - 1e-6


@pytest.mark.parametrize(("frames", "chunks"), [(6, 1), (8, 2), (10, 2), (11, 3), (16, 4)])
def test_chunk_solver_resumes_from_its_state(frames, chunks, tmp_path):
    """One program per step; a solver rebuilt from a saved state after the first chunk (a killed
    run resumed) ends with exactly the uninterrupted tracks."""
    crowd = synthetic_crowd(5, size=20, frames=frames, noise=0.05, seed=4)
    tracker = CountingTracker(chunk_length=6, chunk_overlap=2)
    whole = tracker.track(crowd.density)
    solver = tracker.solver(crowd.density)
    assert (solver.max_epochs, solver.epoch) == (chunks, 0)
    solver.step()
    torch.save(solver.state_dict(), tmp_path / "state.pt")
    resumed = tracker.solver(crowd.density)
    resumed.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=False))
    with pytest.raises(RuntimeError, match="unsolved") if chunks > 1 else nullcontext():
        resumed.result()
    steps = 0
    while not resumed.stopped:
        resumed.step()
        steps += 1
    assert steps == chunks - 1 and resumed.epoch == chunks     # only the unsolved chunks
    out = resumed.result()
    assert torch.equal(out.tracks, whole.tracks) and torch.equal(out.cells, whole.cells)
    assert out.stats["chunks"] == chunks
    out.check(max_disp=2)
