"""SnapMix and the baselines: label weights, pasting, boxes, boost, fallback, loss, seeding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tenfold.augment import (
    AsymmetricCutMix,
    CutMix,
    MixUp,
    SmallResNet,
    SnapMix,
    box_area,
    normalize_map,
    random_box,
    snapmix_batch,
    snapmix_label_weights,
    soft_target_cross_entropy,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def batch(b=6, c=3, h=16, w=20, seed=0, classes=5):
    g = gen(seed)
    return torch.rand(b, c, h, w, generator=g), torch.randint(classes, (b,), generator=g)


def brute_force(spm, box):
    top, left, bottom, right = box
    total = torch.zeros(spm.shape[0], dtype=torch.float64)
    for u in range(spm.shape[1]):
        for v in range(spm.shape[2]):
            if top <= u < bottom and left <= v < right:
                total += spm[:, u, v].double()
    return total


def test_label_weights_equal_brute_force_box_sums():
    g = gen(1)
    spm_a = normalize_map(torch.rand(4, 9, 11, generator=g))
    spm_b = normalize_map(torch.rand(4, 9, 11, generator=g))
    box_a, box_b = (2, 3, 7, 9), (0, 5, 4, 11)
    rho_a, rho_b = snapmix_label_weights(spm_a, spm_b, box_a, box_b)
    assert torch.allclose(rho_a.double(), 1 - brute_force(spm_a, box_a), atol=1e-6)
    assert torch.allclose(rho_b.double(), brute_force(spm_b, box_b), atol=1e-6)


@pytest.mark.parametrize("pixel,inside", [((3, 4), True), ((8, 1), False)])
def test_one_hot_spm(pixel, inside):
    spm = torch.zeros(1, 9, 9)
    spm[0, pixel[0], pixel[1]] = 1.0
    box = (2, 2, 6, 7)
    rho_a, rho_b = snapmix_label_weights(spm, spm, box, box)
    assert rho_a.item() == (0.0 if inside else 1.0)
    assert rho_b.item() == (1.0 if inside else 0.0)


def test_snapmix_batch_pastes_the_resized_partner_box_and_nothing_else():
    x, y = batch(b=5, h=24, w=24)
    spm = normalize_map(torch.rand(5, 24, 24, generator=gen(3)))
    seen_different = False
    for seed in range(6):
        x_mix, info = snapmix_batch(x, y, spm, beta=1.0, generator=gen(seed))
        if not info.mixed:
            continue
        ta, la, ba, ra = info.box_a
        tb, lb, bb, rb = info.box_b
        outside = torch.ones(24, 24, dtype=torch.bool)
        outside[ta:ba, la:ra] = False
        assert torch.equal(x_mix[:, :, outside], x[:, :, outside])
        expect = F.interpolate(x[info.perm][:, :, tb:bb, lb:rb], size=(ba - ta, ra - la),
                               mode="bilinear", align_corners=True)
        assert torch.allclose(x_mix[:, :, ta:ba, la:ra], expect, atol=1e-6)
        rho_a, rho_b = snapmix_label_weights(spm, spm[info.perm], info.box_a, info.box_b)
        same = y == y[info.perm]
        assert torch.allclose(info.weight_a[~same], rho_a[~same])
        assert torch.allclose(info.weight_b[~same], rho_b[~same])
        if info.lam_a != info.lam_b and (ba - ta, ra - la) != (bb - tb, rb - lb):
            seen_different = True
    assert seen_different, "SnapMix must draw independent box sizes for the two images"
    assert torch.equal(x, batch(b=5, h=24, w=24)[0]), "the input must not be modified"


def test_asymmetric_cutmix_uses_equal_sizes_at_independent_places():
    x, y = batch(b=4, h=20, w=20)
    mix = AsymmetricCutMix(5, beta=1.0, generator=gen(0))
    moved = False
    for _ in range(10):
        x_mix, t = mix(x, y)
        info = mix.last_info
        ha, wa = info.box_a[2] - info.box_a[0], info.box_a[3] - info.box_a[1]
        assert (ha, wa) == (info.box_b[2] - info.box_b[0], info.box_b[3] - info.box_b[1])
        frac = box_area(info.box_a) / 400
        assert torch.allclose(t.sum(1), torch.ones(4))
        assert torch.allclose(info.weight_b, torch.full((4,), frac))
        moved |= info.box_a != info.box_b
    assert moved


def test_random_box_size_follows_lambda():
    for seed in range(20):
        lam = 0.3 + 0.03 * seed
        top, left, bottom, right = random_box(40, 30, lam, gen(seed))
        assert 0 <= top <= bottom <= 40 and 0 <= left <= right <= 30
        assert bottom - top <= int(40 * (1 - lam) ** 0.5)
        assert right - left <= int(30 * (1 - lam) ** 0.5)
    assert box_area(random_box(10, 10, 1.0, gen(0))) == 0


def test_same_class_boost():
    x = torch.rand(4, 1, 12, 12, generator=gen(0))
    y = torch.zeros(4, dtype=torch.long)
    spm = normalize_map(torch.rand(4, 12, 12, generator=gen(1)))
    _, on = snapmix_batch(x, y, spm, same_class_boost=True, generator=gen(5))
    _, off = snapmix_batch(x, y, spm, same_class_boost=False, generator=gen(5))
    rho_a, rho_b = snapmix_label_weights(spm, spm[off.perm], off.box_a, off.box_b)
    assert torch.allclose(off.weight_a, rho_a) and torch.allclose(off.weight_b, rho_b)
    assert torch.allclose(on.weight_a, rho_a + rho_b)
    assert torch.allclose(on.weight_b, rho_a + rho_b)


def test_constant_cam_gives_the_area_fallback():
    x, y = batch(b=6, h=16, w=16, classes=3)
    snap = SnapMix(3, same_class_boost=False, cam_fn=lambda m, i, lab: torch.zeros(len(i), 4, 4),
                   generator=gen(2))
    _, t = snap(x, y, model=torch.nn.Identity())
    info = snap.last_info
    assert torch.isfinite(t).all()
    frac = box_area(info.box_a) / 256
    assert torch.allclose(info.weight_a, torch.full((6,), 1 - frac))
    assert torch.allclose(info.weight_b, torch.full((6,), frac))


def test_zero_head_gives_the_area_fallback_through_the_model():
    model = SmallResNet(3, widths=(4,), in_channels=3)
    torch.nn.init.zeros_(model.fc.weight)
    x, y = batch(b=4, h=12, w=12, classes=3)
    snap = SnapMix(3, same_class_boost=False, generator=gen(0))
    _, t = snap(x, y, model)
    frac = box_area(snap.last_info.box_a) / 144
    assert torch.isfinite(t).all()
    assert torch.allclose(snap.last_info.weight_b, torch.full((4,), frac))


def test_soft_targets_rows_and_loss_equal_the_weighted_pair_loss():
    model = SmallResNet(5, widths=(4, 8), in_channels=3)
    x, y = batch(b=8, h=16, w=16)
    snap = SnapMix(5, beta=1.0, same_class_boost=False, generator=gen(4))
    x_mix, t = snap(x, y, model)
    info = snap.last_info
    assert torch.allclose(t.sum(1), info.weight_a + info.weight_b, atol=1e-6)
    logits = model(x_mix)
    pair = (info.weight_a * F.cross_entropy(logits, y, reduction="none")
            + info.weight_b * F.cross_entropy(logits, y[info.perm], reduction="none")).mean()
    assert torch.allclose(soft_target_cross_entropy(logits, t), pair, atol=1e-6)
    assert torch.allclose(soft_target_cross_entropy(logits, y), F.cross_entropy(logits, y))


@pytest.mark.parametrize("make", [
    lambda: MixUp(5, prob=0.0), lambda: CutMix(5, prob=0.0),
    lambda: AsymmetricCutMix(5, prob=0.0), lambda: SnapMix(5, prob=0.0)])
def test_prob_zero_is_the_identity(make):
    x, y = batch()
    x_out, t = make()(x, y, SmallResNet(5, widths=(4,)))
    assert x_out is x
    assert torch.equal(t, F.one_hot(y, 5).float())


def test_mixup_and_cutmix_targets():
    x, y = batch(b=4, h=10, w=10)
    mix = MixUp(5, alpha=0.4, generator=gen(0))
    x_mix, t = mix(x, y)
    lam, perm = mix.last_info.lam_a, mix.last_info.perm
    assert torch.allclose(x_mix, lam * x + (1 - lam) * x[perm], atol=1e-6)
    assert torch.allclose(t, lam * F.one_hot(y, 5) + (1 - lam) * F.one_hot(y[perm], 5))
    cut = CutMix(5, beta=1.0, generator=gen(1))
    x_mix, t = cut(x, y)
    info = cut.last_info
    top, left, bottom, right = info.box_a
    inside = (slice(None), slice(None), slice(top, bottom), slice(left, right))
    assert torch.equal(x_mix[inside], x[info.perm][inside])
    assert torch.allclose(info.weight_b, torch.full((4,), box_area(info.box_a) / 100))


@pytest.mark.parametrize("make", [
    lambda g: MixUp(5, generator=g), lambda g: CutMix(5, generator=g),
    lambda g: AsymmetricCutMix(5, generator=g), lambda g: SnapMix(5, generator=g)])
def test_seeded_determinism_and_batch_of_one(make):
    model = SmallResNet(5, widths=(4,)).eval()
    x, y = batch()
    a = make(gen(7))(x, y, model)
    b = make(gen(7))(x, y, model)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    x1, t1 = make(gen(0))(x[:1], y[:1], model)
    assert x1.shape == x[:1].shape and t1.shape == (1, 5) and torch.isfinite(t1).all()


def test_bad_inputs_raise():
    x, y = batch()
    with pytest.raises(ValueError, match="model"):
        SnapMix(5)(x, y)
    with pytest.raises(ValueError, match="y must be"):
        CutMix(5)(x, y.float())
    with pytest.raises(ValueError, match="labels must lie"):
        MixUp(3)(x, y + 3)
    with pytest.raises(ValueError, match="spm must have shape"):
        snapmix_batch(x, y, torch.rand(6, 4, 4))
    with pytest.raises(ValueError, match="prob"):
        CutMix(5, prob=2.0)
