"""Known answers for the MOT metrics, the MOTChallenge round trip, density rendering and the
density network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tenfold.track.density import gaussian_peak, render_boxes, render_points
from tenfold.track.density_net import DensityFCN, DensityTrainer
from tenfold.track.metrics import hota, mot_metrics
from tenfold.track.motformat import format_mot, parse_mot


def test_metrics_known_answer():
    # gt: ids 1 and 2 over 4 frames, far apart
    gt = [(t, 1, 0.0, float(t)) for t in range(4)] + [(t, 2, 10.0, float(t)) for t in range(4)]
    hyp = ([(t, 7, 0.1, float(t)) for t in range(4)]            # perfect track for id 1
           + [(0, 8, 10.0, 0.0), (1, 8, 10.0, 1.0)]              # id 2 in frames 0-1 ...
           + [(2, 9, 10.0, 2.0)]                                 # ... then a switch to 9
           + [(3, 5, 30.0, 30.0)])                               # one false positive, id 2 missed
    m = mot_metrics(torch.tensor(gt), torch.tensor(hyp), threshold=1.0, num_frames=4)
    # GT = 8, FN = 1 (id 2, frame 3), FP = 1, IDSW = 1 -> MOTA = 1 - 3/8
    assert (m["gt"], m["fn"], m["fp"], m["id_switches"]) == (8, 1, 1, 1)
    assert m["mota"] == pytest.approx(1 - 3 / 8)
    # IDF1: best one-to-one id matching: 1<->7 (4), 2<->8 (2): IDTP 6 of 8 gt and 8 hyp
    assert m["idf1"] == pytest.approx(2 * 6 / (8 + 8))


def test_metrics_threshold_is_a_distance():
    gt = torch.tensor([[0, 1, 0.0, 0.0]])
    assert mot_metrics(gt, torch.tensor([[0, 1, 0.0, 1.9]]), threshold=2.0)["mota"] == 1.0
    assert mot_metrics(gt, torch.tensor([[0, 1, 0.0, 2.1]]), threshold=2.0)["mota"] == -1.0


def test_hota_perfect_tracks_is_one():
    gt = torch.tensor([(t, i, 3.0 * i, float(t)) for t in range(5) for i in (1, 2, 3)])
    hyp = gt.clone()
    hyp[:, 1] += 40                       # ids are labels only
    assert hota(gt, hyp, threshold=1.0) == {"hota": 1.0, "deta": 1.0, "assa": 1.0}


def test_hota_known_answer_fragment_and_false_positive():
    # one gt track over 4 frames, covered exactly by two hypothesis ids (2 + 2 frames), plus a
    # far false positive in frame 0. Every match has similarity 1, so every alpha agrees:
    # TP = 4, FN = 0, FP = 1 -> DetA = 4/5; each TP has TPA = 2, FNA = 2, FPA = 0 -> AssA = 1/2
    gt = torch.tensor([(t, 1, 0.0, 0.0) for t in range(4)])
    hyp = torch.tensor([(0, 10, 0.0, 0.0), (1, 10, 0.0, 0.0), (2, 11, 0.0, 0.0),
                        (3, 11, 0.0, 0.0), (0, 12, 50.0, 50.0)])
    m = hota(gt, hyp, threshold=2.0)
    assert m["deta"] == pytest.approx(4 / 5)
    assert m["assa"] == pytest.approx(1 / 2)
    assert m["hota"] == pytest.approx((4 / 5 * 1 / 2) ** 0.5)


def test_hota_similarity_falls_with_distance():
    # every hypothesis 0.48 tau away: S = 0.52 matches for alpha = 0.05 ... 0.50 (10 of 19
    # thresholds, where HOTA_alpha = 1) and never above (HOTA_alpha = 0)
    gt = torch.tensor([(t, 1, 0.0, 0.0) for t in range(3)])
    hyp = torch.tensor([(t, 4, 0.0, 0.96) for t in range(3)])
    m = hota(gt, hyp, threshold=2.0)
    assert m["hota"] == pytest.approx(10 / 19)
    assert m["deta"] == pytest.approx(10 / 19)
    with pytest.raises(ValueError, match="threshold"):
        hota(gt, hyp, threshold=0.0)


def test_mot_text_round_trip_and_external_reader(tmp_path):
    import motmetrics as mm

    rows = torch.tensor([[0, 3, 2.25, 5.5], [0, 4, 10.0, 1.0], [5, 3, 2.75, 6.0]],
                        dtype=torch.float64)
    text = format_mot(rows, cell=16.0, box_size=(30.0, 80.0))
    back = parse_mot(text, cell=16.0)
    torch.testing.assert_close(back, rows, atol=1e-3, rtol=0)
    path = tmp_path / "hyp.txt"
    path.write_text(text)
    df = mm.io.loadtxt(str(path), fmt="mot15-2D")
    assert len(df) == 3 and sorted(df.index.get_level_values(0).unique()) == [1, 6]
    first = df.loc[(1, 3)]
    assert first["X"] + first["Width"] / 2 == pytest.approx((5.5 + 0.5) * 16, abs=1e-3)
    assert parse_mot("").shape == (0, 4)
    with pytest.raises(ValueError, match="MOTChallenge"):
        parse_mot("1,2,3\n")


def test_rendered_density_integrates_to_count():
    pts = torch.tensor([[0.0, 0.0], [5.2, 7.7], [9.4, 3.1], [20.0, 3.0]])   # last is outside
    d = render_points(pts, (10, 12), sigma=1.0)
    assert d.sum().item() == pytest.approx(3.0)
    # far from the border the centre cell holds the analytic peak
    centre = render_points(torch.tensor([[20.0, 20.0]]), (41, 41), sigma=1.3)
    assert centre[20, 20].item() == pytest.approx(gaussian_peak(1.3))
    boxes = torch.tensor([[100.0, 50.0, 30.0, 80.0], [600.0, 400.0, 40.0, 90.0]])
    dens = render_boxes(boxes, (576, 768), cell=16)
    assert dens.shape == (36, 48) and dens.sum().item() == pytest.approx(2.0)
    y, x = np.unravel_index(int(dens.argmax()), dens.shape)
    assert (y, x) in {(5, 7), (27, 38)}      # box centres (90, 115) and (445, 620) in cells
    with pytest.raises(ValueError, match="sigma"):
        render_points(pts, (4, 4), sigma=0.0)


def test_density_network_learns_counts():
    gen = torch.Generator().manual_seed(0)
    images, targets = [], []
    for _ in range(24):
        n = int(torch.randint(1, 4, (1,), generator=gen))
        pts = torch.rand(n, 2, generator=gen) * 7
        targets.append(render_points(pts, (8, 8), 1.0).float())
        img = torch.zeros(32, 32)
        for y, x in (pts * 4 + 2).round().long().tolist():
            img[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] = 1.0
        images.append(img[None])
    images, targets = torch.stack(images), torch.stack(targets)
    torch.manual_seed(0)
    model = DensityFCN(1, width=8, downsample=2)
    trainer = DensityTrainer(model, images, targets, torch.optim.Adam(model.parameters(), 3e-3),
                             max_epochs=60, batch_size=8, generator=gen)
    first = trainer.step()
    while not trainer.stopped:
        last = trainer.step()
    assert last["loss"] < 0.2 * first["loss"]
    pred = model.predict(images, trainer.target_scale)
    assert pred.shape == targets.shape
    err = (pred.sum((1, 2)) - targets.sum((1, 2))).abs().mean()
    assert err < 0.5 < (targets.sum((1, 2)) - targets.sum((1, 2)).mean()).abs().mean()
    # resumable: a state round trip continues with the same epoch
    state = trainer.state_dict()
    other = DensityTrainer(DensityFCN(1, 8, 2), images, targets,
                           torch.optim.Adam(model.parameters(), 3e-3), 60)
    other.load_state_dict(state)
    assert other.epoch == 60 and other.stopped
    with pytest.raises(ValueError, match="multiples of 4"):
        model(torch.zeros(1, 1, 30, 32))
